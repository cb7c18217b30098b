"""JSON with a schema version and a fingerprint per finding, validated against the schema the
package ships; the fingerprint's stability; GitLab Code Quality."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from kgov.cli import main
from kgov.data import data_text
from kgov.findings.model import Category, Finding, Severity
from kgov.model.objects import Location, ObjectRef
from kgov.report.codequality import render_codequality
from kgov.report.fingerprint import fingerprint
from kgov.report.model import ScanReport

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(data_text("report.schema.json"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "-o", "json"])
    assert result.exit_code in (0, 1, 2), result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def _problems(validator: Draft202012Validator, report: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(report)]


@pytest.mark.parametrize(
    "args",
    [
        ("scan", str(EXAMPLES)),
        ("scan", str(EXAMPLES / "clean")),
        ("gate", "migration", str(EXAMPLES / "migration")),
        ("scan", str(ROOT / "tests" / "bad_input")),
    ],
    ids=["scan-examples", "scan-clean", "gate", "bad-input"],
)
def test_real_reports_validate_against_the_shipped_schema(
    validator: Draft202012Validator, args: tuple[str, ...]
) -> None:
    report = _json(*args)
    assert report["schemaVersion"] == 1
    assert not _problems(validator, report)


def test_the_schema_rejects_what_it_should(validator: Draft202012Validator) -> None:
    report = _json("scan", str(EXAMPLES / "resources"))
    report["findings"][0]["fingerprint"] = "not-a-hash"
    del report["findings"][0]["severity"]
    report["surprise"] = True
    assert len(_problems(validator, report)) == 3


def _finding(**changes: Any) -> Finding:
    base = Finding(
        check="qos.best-effort",
        category=Category.RESOURCES,
        severity=Severity.HIGH,
        target=ObjectRef("Deployment", "web", "shop", "apps/v1"),
        message="Deployment shop/web runs BestEffort",
        remediation="Set requests.",
        location=Location("deploy/app.yaml", 12),
    )
    return replace(base, **changes)


def test_fingerprint_ignores_lines_messages_severity_and_order() -> None:
    first = fingerprint(_finding())
    assert len(first) == 32
    assert fingerprint(_finding(location=Location("deploy/app.yaml", 40, column=3))) == first
    assert fingerprint(_finding(location=Location("./deploy/app.yaml", 1))) == first
    assert fingerprint(_finding(message="reworded", severity=Severity.LOW, evidence={"a": 1})) == first
    different = [
        _finding(check="qos.missing-requests"),
        _finding(target=ObjectRef("Deployment", "api", "shop", "apps/v1")),
        _finding(target=ObjectRef("Deployment", "web", "other", "apps/v1")),
        _finding(target=ObjectRef("StatefulSet", "web", "shop", "apps/v1")),
        _finding(discriminator="container app"),
        _finding(location=Location("deploy/other.yaml", 12)),
        _finding(location=Location("cluster")),
    ]
    assert len({fingerprint(f) for f in different} | {first}) == len(different) + 1


def test_fingerprints_survive_reordering_and_moving_documents(tmp_path: Path) -> None:
    text = (EXAMPLES / "resources" / "shop.yaml").read_text(encoding="utf-8")
    documents = [d for d in text.split("\n---\n") if d.strip()]
    (tmp_path / "shop.yaml").write_text("\n---\n".join(documents), encoding="utf-8")
    before = {
        (f["check"], f["target"]["name"]): f["fingerprint"] for f in _json("scan", str(tmp_path))["findings"]
    }
    moved = "# a comment that moves every line\n\n" + "\n---\n".join(reversed(documents))
    (tmp_path / "shop.yaml").write_text(moved, encoding="utf-8")
    after = _json("scan", str(tmp_path))["findings"]
    assert before and {(f["check"], f["target"]["name"]): f["fingerprint"] for f in after} == before
    assert {f["location"]["line"] for f in after} != set()  # the lines did move
    fingerprints = [f["fingerprint"] for f in _json("scan", str(EXAMPLES))["findings"]]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_partial_fingerprints_are_the_report_fingerprints() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLES / "resources"), "-o", "sarif"])
    sarif = json.loads(result.output)["runs"][0]["results"]
    report = _json("scan", str(EXAMPLES / "resources"))
    assert [r["partialFingerprints"]["kgovFinding/v2"] for r in sarif] == [
        f["fingerprint"] for f in report["findings"]
    ]


def test_codequality_issues() -> None:
    findings = [
        _finding(),
        _finding(
            check="qos.missing-requests", severity=Severity.MEDIUM, location=Location("a.yaml", 3, column=5)
        ),
        _finding(check="ingress.open-admin", severity=Severity.CRITICAL, location=Location("cluster")),
    ]
    from kgov.analysis import Evaluation

    issues = json.loads(render_codequality(ScanReport(Evaluation(findings=findings), [])))
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["qos.best-effort"] == {
        "type": "issue",
        "description": "Deployment shop/web: Deployment shop/web runs BestEffort",
        "check_name": "qos.best-effort",
        "fingerprint": fingerprint(findings[0]),
        "severity": "critical",
        "location": {"path": "deploy/app.yaml", "lines": {"begin": 12}},
    }
    assert by_check["qos.missing-requests"]["severity"] == "major"
    assert by_check["qos.missing-requests"]["location"] == {
        "path": "a.yaml",
        "positions": {"begin": {"line": 3, "column": 5}},
    }
    assert by_check["ingress.open-admin"]["severity"] == "blocker"
    assert by_check["ingress.open-admin"]["location"] == {
        "path": "cluster/Deployment/shop/web",
        "lines": {"begin": 1},
    }


def test_codequality_from_the_cli() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLES / "autoscaling"), "-o", "codequality"])
    assert result.exit_code == 1
    issues = json.loads(result.output)
    report = _json("scan", str(EXAMPLES / "autoscaling"))
    assert len(issues) == len(report["findings"]) > 0
    assert {i["fingerprint"] for i in issues} == {f["fingerprint"] for f in report["findings"]}
    required = {"description", "check_name", "fingerprint", "severity", "location"}
    assert all(required <= set(i) and i["location"]["path"] for i in issues)
