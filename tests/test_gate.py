"""`kgov gate migration`: verdicts, exit codes, every output format, stdin, and the new-Ingress policy
against a folder or a git ref."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import unavailable
from kgov.cli import main
from kgov.migration.readiness import verdict_table
from kube_emulator import BUILTIN, Served, running_emulator

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ROOT / "examples" / "migration" / "blocked.yaml"
READY = ROOT / "examples" / "migration" / "ready.yaml"
NEW_INGRESS = ROOT / "tests" / "fixtures" / "migration.new-ingress"


def gate(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["gate", "migration", *args], input=stdin)


def gate_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    result = gate(*args, "-o", "json", stdin=stdin)
    return result.exit_code, json.loads(result.output)


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i["verdict"] for i in report["migration"]["ingresses"]}


def test_blocked_example_exits_1_with_every_reason() -> None:
    code, report = gate_json(str(BLOCKED))
    assert code == 1
    assert report["migration"]["verdict"] == "blocked"
    docs, orders = report["migration"]["ingresses"]
    assert docs["verdict"] == "blocked"
    assert orders["verdict"] == "blocked" and orders["parity"] == "mismatch"
    classes = {a["key"].rsplit("/", 1)[1]: a["class"] for a in orders["annotations"]}
    assert classes == {
        "configuration-snippet": "—",
        "whitelist-source-range": "I",
        "auth-url": "X",
        "use-regex": "N~",
    }
    probes = {m["probe"]: m for m in orders["mismatches"]}
    assert "orders/orders:8080" in probes["https://orders.example.org/orders/0"]["ingress"]
    assert "orders/orders:9090" in probes["https://orders.example.org/orders/0"]["routes"]
    checks = set(report["summary"]["by_check"])
    assert {
        "migration.untranslatable-annotation",
        "migration.route-parity",
        "migration.tls-parity",
        "migration.access-control-dropped",
        "migration.invalid-annotation-value",
        "migration.nginx-config-rejected",
    } <= checks


def test_ready_example_exits_0() -> None:
    code, report = gate_json(str(READY))
    assert code == 0
    assert report["migration"]["verdict"] == "ready"
    assert verdicts(report) == {"store": "ready", "store-canary": "ready"}
    assert {i["parity"] for i in report["migration"]["ingresses"]} == {"full"}
    assert report["errors"] == []


def test_json_shape_is_the_contract() -> None:
    _, report = gate_json(str(BLOCKED))
    assert set(report["migration"]) == {"verdict", "ingresses"}
    item = report["migration"]["ingresses"][1]
    assert set(item) == {"namespace", "name", "verdict", "annotations", "parity", "mismatches"}
    assert set(item["annotations"][0]) == {"key", "class", "equivalent", "note"}
    assert set(item["mismatches"][0]) == {"probe", "ingress", "routes"}
    assert {"findings", "summary", "skipped", "errors"} <= set(report)


def test_parity_not_checked_without_gateway_api_objects() -> None:
    text = BLOCKED.read_text(encoding="utf-8").split("\n---\n")[0]
    code, report = gate_json("-", stdin=text)
    assert code == 1  # still blocked by the snippet
    assert report["migration"]["ingresses"][0]["parity"] == "not-checked"
    assert report["migration"]["ingresses"][0]["mismatches"] == []


@pytest.mark.parametrize("fmt", ["table", "json", "yaml", "sarif", "junit", "markdown"])
@pytest.mark.parametrize(("example", "code"), [(BLOCKED, 1), (READY, 0)], ids=["blocked", "ready"])
def test_every_format(fmt: str, example: Path, code: int) -> None:
    result = gate(str(example), "-o", fmt)
    assert result.exit_code == code, result.output
    out = result.output
    verdict = "blocked" if code else "ready"
    if fmt == "json":
        assert json.loads(out)["migration"]["verdict"] == verdict
    elif fmt == "yaml":
        assert yaml.safe_load(out)["migration"]["verdict"] == verdict
    elif fmt == "sarif":
        sarif = json.loads(out)
        results = sarif["runs"][0]["results"]
        assert any(r["ruleId"] == "migration.route-parity" for r in results) == bool(code)
    elif fmt == "junit":
        tree = ET.fromstring(out)
        failed = {case.get("classname") for case in tree.iter("testcase") if case.find("failure") is not None}
        assert ("migration.untranslatable-annotation" in failed) == bool(code)
    elif fmt == "markdown":
        assert out.startswith("<!-- kgov-report -->\n### kgov gate migration")
        assert "| Verdict | Ingress | Annotations | Parity | Findings |" in out
        assert f"| {'⛔' if code else '✅'} {verdict} |" in out
        assert "<details>" in out and "#### Findings" in out
    else:
        assert f"Migration verdict: {verdict}" in out


def test_stdin_gives_the_same_verdict() -> None:
    code, report = gate_json("-", stdin=READY.read_text(encoding="utf-8"))
    assert code == 0 and verdicts(report) == {"store": "ready", "store-canary": "ready"}


def test_fail_on_reaches_info_findings() -> None:
    assert gate(str(READY), "--fail-on", "info").exit_code == 1  # the dual-served host is info


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = gate(str(BLOCKED), "-o", "markdown", "--output-file", str(out))
    assert result.exit_code == 1 and result.output == ""
    assert "⛔ blocked" in out.read_text(encoding="utf-8")


def test_usage_and_input_errors_exit_2(tmp_path: Path) -> None:
    assert gate().exit_code == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Ingress\nmetadata: [\n", encoding="utf-8")
    assert gate(str(broken)).exit_code == 2
    config = tmp_path / "config.yaml"
    config.write_text("migration: {forbid_new_ingress: maybe}\n", encoding="utf-8")
    assert gate(str(READY), "--config", str(config)).exit_code == 2


# ---- forbid_new_ingress ----------------------------------------------------------------------------


@pytest.fixture
def forbid(tmp_path: Path) -> Path:
    config = tmp_path / "kgov.yaml"
    config.write_text("migration:\n  forbid_new_ingress: true\n", encoding="utf-8")
    return config


def new_ingress_findings(report: dict[str, Any]) -> list[str]:
    return [f["target"]["name"] for f in report["findings"] if f["check"] == "migration.new-ingress"]


def test_new_ingress_against_a_folder(forbid: Path) -> None:
    fail = str(NEW_INGRESS / "fail-new-blog.yaml")
    code, report = gate_json(fail, "--config", str(forbid), "--base", str(NEW_INGRESS / "base"))
    assert new_ingress_findings(report) == ["blog"]
    assert verdicts(report) == {"blog": "needs-review", "shop": "ready"}
    assert code == 0  # medium is below the default --fail-on high
    assert (
        gate(
            fail, "--config", str(forbid), "--base", str(NEW_INGRESS / "base"), "--fail-on", "medium"
        ).exit_code
        == 1
    )
    code, report = gate_json(
        str(NEW_INGRESS / "pass-existing.yaml"), "--config", str(forbid), "--base", str(NEW_INGRESS / "base")
    )
    assert code == 0 and new_ingress_findings(report) == []


def test_new_ingress_needs_the_policy(forbid: Path) -> None:
    # --base without the policy would be ignored: an error rather than a gate that looks checked.
    result = CliRunner().invoke(
        main,
        ["gate", "migration", str(NEW_INGRESS / "fail-new-blog.yaml"), "--base", str(NEW_INGRESS / "base")],
    )
    assert result.exit_code == 2
    assert "forbid_new_ingress" in result.output
    _, report = gate_json(str(NEW_INGRESS / "fail-new-blog.yaml"), "--config", str(forbid))
    assert new_ingress_findings(report) == []
    assert any(s["check"] == "migration.new-ingress" and "baseline" in s["reason"] for s in report["skipped"])


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_new_ingress_against_a_git_ref(tmp_path: Path, forbid: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        unavailable("git is not installed")
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    shutil.copy(NEW_INGRESS / "base" / "ingresses.yaml", repo / "deploy" / "ingresses.yaml")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    shutil.copy(NEW_INGRESS / "fail-new-blog.yaml", repo / "deploy" / "ingresses.yaml")
    monkeypatch.chdir(repo)
    code, report = gate_json("deploy", "--config", str(forbid), "--base", "HEAD", "--fail-on", "medium")
    assert new_ingress_findings(report) == ["blog"] and code == 1
    code, report = gate_json(
        "-", "--config", str(forbid), "--base", "HEAD", stdin=(repo / "deploy" / "ingresses.yaml").read_text()
    )
    assert new_ingress_findings(report) == ["blog"]
    assert gate("deploy", "--config", str(forbid), "--base", "no-such-ref").exit_code == 2


def test_cluster_read_only(tmp_path: Path) -> None:
    """`kgov gate migration --cluster` over real HTTP against the Kubernetes API emulator."""
    plurals = {
        "Ingress": "networking.k8s.io/v1/ingresses",
        "ConfigMap": "v1/configmaps",
        "Service": "v1/services",
    }
    for kind in ("Gateway", "HTTPRoute"):
        plurals[kind] = f"gateway.networking.k8s.io/v1/{kind.lower()}s"
    served = {**BUILTIN, **{plurals[k]: Served(k) for k in ("Gateway", "HTTPRoute", "ConfigMap", "Service")}}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    with running_emulator(served) as cluster:
        for doc in yaml.safe_load_all(READY.read_text(encoding="utf-8")):
            cluster.put(plurals[doc["kind"]], doc)
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        env.update(KUBECONFIG=str(kubeconfig), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        proc = subprocess.run(
            [sys.executable, "-m", "kgov", "gate", "migration", "--cluster", "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert {request.method for request in cluster.requests()} == {"GET"}
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert verdicts(report) == {"store": "ready", "store-canary": "ready"}
    assert {i["parity"] for i in report["migration"]["ingresses"]} == {"full"}


def test_verdicts_follow_severity_overrides_and_waivers(tmp_path: Path) -> None:
    config = tmp_path / "accept.yaml"
    config.write_text(
        "checks:\n"
        "  migration.untranslatable-annotation: {severity: medium}\n"
        "  migration.route-parity: {severity: low}\n"
        "  migration.nginx-config-rejected: {severity: low}\n"
        "waivers:\n"
        "  - check: migration.tls-parity\n"
        "    target: orders/Ingress/orders\n"
        "    reason: HTTP stays open until DNS moves\n"
        "  - check: migration.access-control-dropped\n"
        "    target: orders/Ingress/orders\n"
        "    reason: the allow list and auth move to the Gateway\n"
        "    replacement: SecurityPolicy orders/orders-access\n",
        encoding="utf-8",
    )
    code, report = gate_json(str(BLOCKED), "--config", str(config))
    assert code == 0
    assert verdicts(report) == {"orders": "needs-review", "docs": "needs-review"}
    assert "migration.tls-parity" not in report["summary"]["by_check"]
    assert "migration.access-control-dropped" not in report["summary"]["by_check"]


def test_access_control_waiver_must_name_the_replacement(tmp_path: Path) -> None:
    config = tmp_path / "accept.yaml"
    config.write_text(
        "waivers:\n"
        "  - check: migration.access-control-dropped\n"
        "    target: orders/Ingress/orders\n"
        "    reason: we will sort it out later\n",
        encoding="utf-8",
    )
    code, report = gate_json(str(BLOCKED), "--config", str(config))
    assert code == 1
    assert report["summary"]["by_check"]["migration.access-control-dropped"] == 1


def test_scan_reports_readiness_too_but_not_new_ingresses() -> None:
    result = CliRunner().invoke(main, ["scan", str(BLOCKED), "-o", "json"])
    report = json.loads(result.output)
    fired = set(report["summary"]["by_check"])
    assert {"migration.untranslatable-annotation", "migration.route-parity", "migration.tls-parity"} <= fired
    assert "migration" not in report  # verdicts are the gate's
    assert {
        "check": "migration.new-ingress",
        "reason": "needs a baseline: run `kgov gate migration --base GIT_REF|FOLDER`",
    } in report["skipped"]


def test_junit_counts_blocking_findings_as_failures_whatever_fail_on_says() -> None:
    result = gate(str(BLOCKED), "--fail-on", "critical", "-o", "junit")
    assert result.exit_code == 1  # blocked
    root = ET.fromstring(result.output)
    failed = {c.get("classname") for c in root.iter("testcase") if c.find("failure") is not None}
    assert "migration.untranslatable-annotation" in failed
    assert "migration.policy-required" not in failed  # medium: below both thresholds


def test_docs_verdict_table_is_the_code_table() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "migration.md").read_text(encoding="utf-8")
    assert verdict_table() in text


def _two_ingresses(first: str, second: str, annotations: str = "{}") -> str:
    """IngressClass nginx and Ingresses `a` and `b` of shop.example.com; `first`/`second` are the
    backend of `a`'s and `b`'s path / (or `default:SERVICE` for a defaultBackend with no path)."""

    def spec(backend: str) -> str:
        if backend.startswith("default:"):
            service = backend.split(":", 1)[1]
            return (
                f"  defaultBackend: {{service: {{name: {service}, port: {{number: 80}}}}}}\n"
                "  rules: [{host: shop.example.com, http: {paths: [{path: /x, pathType: Prefix, "
                "backend: {service: {name: x, port: {number: 80}}}}]}}]\n"
            )
        return (
            "  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, "
            f"backend: {{service: {{name: {backend}, port: {{number: 80}}}}}}}}]}}}}]\n"
        )

    documents = [
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\n"
        "spec: {controller: k8s.io/ingress-nginx}\n"
    ]
    for name, backend, notes in (("a", first, "{}"), ("b", second, annotations)):
        documents.append(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
            f"metadata: {{name: {name}, namespace: shop, annotations: {notes}}}\n"
            f"spec:\n  ingressClassName: nginx\n{spec(backend)}"
        )
    return "---\n".join(documents)


def _conflict_findings(report: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return sorted(
        (f["check"], f["target"]["name"], [r["name"] for r in f["related"]])
        for f in report["findings"]
        if f["check"] in ("ingress.conflicting-paths", "migration.order-unknown")
    )


def test_one_path_conflict_is_one_finding_and_still_needs_review_in_the_gate() -> None:
    """Two Ingresses routing one host and path to different Services: one problem. The scan reports it
    once, on the Ingress the controller's order of equal times does not serve, with the migration
    consequence folded in; the gate, which runs the migration checks only, reports it as
    migration.order-unknown and holds both Ingresses for review."""
    text = _two_ingresses("web", "api")
    result = CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=text)
    report = json.loads(result.output)
    assert _conflict_findings(report) == [("ingress.conflicting-paths", "a", ["b"])]
    (finding,) = [f for f in report["findings"] if f["check"] == "ingress.conflicting-paths"]
    assert finding["evidence"]["merged"] == ["migration.order-unknown"]
    assert "the migration gate assumes Ingress shop/b" in finding["message"]
    code, gated = gate_json("-", stdin=text)
    assert code == 0  # needs-review: nothing blocks
    assert _conflict_findings(gated) == [("migration.order-unknown", "a", ["b"])]
    assert verdicts(gated) == {"a": "needs-review", "b": "needs-review"}


def test_a_path_conflict_between_ingresses_of_equal_creation_times_is_of_known_order() -> None:
    """Equal creation times put the Ingresses in descending name order, as the controller does: the
    order is known (b is served), so the conflict is not an order question and holds no Ingress for
    review."""
    stamp = "namespace: shop, creationTimestamp: '2024-05-01T10:00:00Z',"
    text = _two_ingresses("web", "api").replace("namespace: shop,", stamp)
    report = json.loads(CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=text).output)
    (finding,) = [f for f in report["findings"] if f["check"] == "ingress.conflicting-paths"]
    assert finding["target"]["name"] == "a"
    assert "merged" not in finding["evidence"]
    assert "comes first" in finding["message"]
    _, gated = gate_json("-", stdin=text)
    assert verdicts(gated) == {"a": "ready", "b": "ready"}


def test_an_ingress_canary_only_by_the_default_prefix_is_still_an_order_question(tmp_path: Path) -> None:
    """With a controller prefix of custom.io/, nginx.ingress.kubernetes.io/canary is no canary: the two
    Ingresses conflict. ingress.conflicting-paths, left with the default prefix, takes b for a canary and
    leaves the pair alone; migration.order-unknown, given the controller's, still says it: the gate does
    not call them ready."""
    config = tmp_path / "prefix.yaml"
    config.write_text(
        "checks:\n  migration.order-unknown: {params: {annotation_prefix: custom.io/}}\n", encoding="utf-8"
    )
    text = _two_ingresses("web", "api", '{nginx.ingress.kubernetes.io/canary: "true"}')
    _, gated = gate_json("-", "--config", str(config), stdin=text)
    assert "migration.order-unknown" in gated["summary"]["by_check"]
    assert verdicts(gated) == {"a": "needs-review", "b": "needs-review"}


def _prefix_config(tmp_path: Path, *checks: str) -> str:
    """A config giving `checks` the prefix custom.io/ (a controller run with --annotations-prefix)."""
    config = tmp_path / "prefix.yaml"
    lines = [f"  {check}: {{params: {{annotation_prefix: custom.io/}}}}\n" for check in checks]
    config.write_text("checks:\n" + "".join(lines), encoding="utf-8")
    return str(config)


def test_conflicting_paths_reads_the_canary_flag_under_the_controller_prefix(tmp_path: Path) -> None:
    """With the controller's --annotations-prefix custom.io/ configured, custom.io/canary makes a canary
    (no conflict) and nginx.ingress.kubernetes.io/canary does not (one conflict, one finding)."""
    config = _prefix_config(tmp_path, "ingress.conflicting-paths", "migration.order-unknown")
    canary = _two_ingresses("web", "api", '{custom.io/canary: "true"}')
    scanned = CliRunner().invoke(main, ["scan", "-", "--config", config, "-o", "json"], input=canary)
    assert _conflict_findings(json.loads(scanned.output)) == []
    not_canary = _two_ingresses("web", "api", '{nginx.ingress.kubernetes.io/canary: "true"}')
    scanned = CliRunner().invoke(main, ["scan", "-", "--config", config, "-o", "json"], input=not_canary)
    assert _conflict_findings(json.loads(scanned.output)) == [("ingress.conflicting-paths", "a", ["b"])]
    _, gated = gate_json("-", "--config", config, stdin=not_canary)
    assert verdicts(gated) == {"a": "needs-review", "b": "needs-review"}


def test_a_path_conflict_needs_review_in_the_gate_when_conflicting_paths_is_off_for_scans(
    tmp_path: Path,
) -> None:
    """The gate reads migration.order-unknown's own finding: a config turning ingress.conflicting-paths off
    does not let it call both Ingresses ready, and a scan under that config still reports the conflict,
    once, as migration.order-unknown."""
    config = tmp_path / "quiet.yaml"
    config.write_text("checks:\n  ingress.conflicting-paths: {enabled: false}\n", encoding="utf-8")
    text = _two_ingresses("web", "api")
    code, gated = gate_json("-", "--config", str(config), stdin=text)
    assert code == 0
    assert verdicts(gated) == {"a": "needs-review", "b": "needs-review"}
    scanned = CliRunner().invoke(main, ["scan", "-", "--config", str(config), "-o", "json"], input=text)
    assert _conflict_findings(json.loads(scanned.output)) == [("migration.order-unknown", "a", ["b"])]


def test_a_path_conflict_copied_into_two_folders_is_folded_into_each_copy(tmp_path: Path) -> None:
    """The same two Ingresses in two folders: conflicting-paths reports each copy, order-unknown the conflict
    once; both copies carry it folded in, and no order-unknown finding is left over."""
    for folder in ("staging", "production"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ingresses.yaml").write_text(_two_ingresses("web", "api"), encoding="utf-8")
    report = json.loads(CliRunner().invoke(main, ["scan", str(tmp_path), "-o", "json"]).output)
    found = [
        f
        for f in report["findings"]
        if f["check"] in ("ingress.conflicting-paths", "migration.order-unknown")
    ]
    assert [(f["check"], f["evidence"].get("merged")) for f in found] == [
        ("ingress.conflicting-paths", ["migration.order-unknown"])
    ] * 2


def test_a_path_conflict_is_reported_by_conflicting_paths_alone_when_the_migration_checks_are_off(
    tmp_path: Path,
) -> None:
    """Without migration.order-unknown in the scan there is nothing to fold: conflicting-paths' finding
    stands on its own."""
    config = tmp_path / "no-migration.yaml"
    config.write_text("checks:\n  migration.order-unknown: {enabled: false}\n", encoding="utf-8")
    text = _two_ingresses("web", "api")
    scanned = CliRunner().invoke(main, ["scan", "-", "--config", str(config), "-o", "json"], input=text)
    report = json.loads(scanned.output)
    assert _conflict_findings(report) == [("ingress.conflicting-paths", "a", ["b"])]
    (finding,) = [f for f in report["findings"] if f["check"] == "ingress.conflicting-paths"]
    assert "merged" not in finding["evidence"]


def test_an_order_conflict_conflicting_paths_does_not_report_is_one_migration_finding() -> None:
    """Two default backends for one host: only the order decides, and only order-unknown says so."""
    text = _two_ingresses("default:web", "default:api")
    report = json.loads(CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=text).output)
    assert _conflict_findings(report) == [("migration.order-unknown", "a", ["b"])]
    assert verdicts(gate_json("-", stdin=text)[1]) == {"a": "needs-review", "b": "needs-review"}


def test_a_canary_ingress_is_no_path_conflict() -> None:
    """canary: "true" joins the primary's upstream (ingress-nginx's canary mechanism): no conflict."""
    canary = '{nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-weight: "20"}'
    text = _two_ingresses("web", "web-next", canary)
    report = json.loads(CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=text).output)
    assert _conflict_findings(report) == []


def test_access_control_is_reported_once_with_the_keys_of_its_feature() -> None:
    """auth-type with its realm and secret (one basic-auth feature), an allowlist, and proxy-body-size:
    access-control-dropped reports the access control; policy-required only what is left."""
    prefix = "nginx.ingress.kubernetes.io/"
    notes = {
        "auth-type": "basic",
        "auth-realm": "shop",
        "auth-secret": "basic-auth",
        "whitelist-source-range": "10.0.0.0/8",
        "proxy-body-size": "8m",
    }
    annotations = "{" + ", ".join(f'{prefix}{k}: "{v}"' for k, v in notes.items()) + "}"
    text = _two_ingresses("web", "web", annotations).split("---\n", 2)
    ingress = "---\n".join([text[0], text[2]])  # the class and Ingress b only
    report = json.loads(CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=ingress).output)
    found = {f["check"]: f for f in report["findings"] if f["check"].startswith("migration.")}
    dropped = found["migration.access-control-dropped"]
    assert "(auth-type, whitelist-source-range; with auth-realm, auth-secret)" in dropped["message"]
    assert dropped["evidence"]["configuring"] == [prefix + "auth-realm", prefix + "auth-secret"]
    assert [a["key"] for a in found["migration.policy-required"]["evidence"]["annotations"]] == [
        prefix + "proxy-body-size"
    ]


def test_two_copies_of_one_ingress_are_no_order_conflict(tmp_path: Path) -> None:
    """The same Ingress in two folders (an overlay each) is one object: which copy is applied is
    scope.conflicting-copies' question, not an order between two Ingresses."""
    text = _two_ingresses("web", "web").split("---\n")
    ingress = text[2]
    for folder, size in (("staging", "1m"), ("production", "8m")):
        (tmp_path / folder).mkdir()
        annotated = ingress.replace(
            "annotations: {}", f'annotations: {{nginx.ingress.kubernetes.io/proxy-body-size: "{size}"}}'
        )
        (tmp_path / folder / "ingress.yaml").write_text(text[0] + "---\n" + annotated, encoding="utf-8")
    report = json.loads(CliRunner().invoke(main, ["scan", str(tmp_path), "-o", "json"]).output)
    assert _conflict_findings(report) == []


_ON_A_GATEWAY_NOT_IN_THE_INPUT = """apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: grafana, namespace: grafana}
spec:
  ingressClassName: nginx
  tls: [{hosts: [grafana.example.com], secretName: grafana-tls}]
  rules:
    - host: grafana.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: grafana, port: {number: 80}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: grafana, namespace: grafana}
spec:
  parentRefs: [{name: public-gateway, namespace: gateway-system, sectionName: https}]
  hostnames: [grafana.example.com]
  rules: [{backendRefs: [{name: grafana, port: 80}]}]
"""


def test_tls_on_a_gateway_not_in_the_input_is_undecided_and_needs_review() -> None:
    """The route takes the https listener of a Gateway the input lacks: plain HTTP is answered by that
    Gateway's own listeners and routes (a redirect route beside it, or no HTTP listener), and its
    certificates are its own. No tls-parity finding either way: a skipped entry, and the gate holds the
    Ingress for review, parity undecided."""
    result = CliRunner().invoke(main, ["scan", "-", "-o", "json"], input=_ON_A_GATEWAY_NOT_IN_THE_INPUT)
    report = json.loads(result.output)
    assert [f["check"] for f in report["findings"] if f["check"] == "migration.tls-parity"] == []
    reason = "1 Ingress whose TLS and HTTPS redirect are decided by a Gateway not in the input"
    assert {"check": "migration.tls-parity", "reason": reason, "undecided": 1} in report["skipped"]
    code, gated = gate_json("-", stdin=_ON_A_GATEWAY_NOT_IN_THE_INPUT)
    assert code == 0
    assert verdicts(gated) == {"grafana": "needs-review"}
    (item,) = gated["migration"]["ingresses"]
    assert (item["parity"], item["mismatches"]) == ("undecided", [])


def test_the_row_of_an_undecided_ingress_says_why() -> None:
    """The verdict table and the Markdown table give the reason beside `undecided`, not only the
    skipped list below them."""
    reason = "undecided: TLS and the HTTPS redirect are decided by a Gateway not in the input"
    markdown = gate("-", "-o", "markdown", stdin=_ON_A_GATEWAY_NOT_IN_THE_INPUT).output
    (row,) = [line for line in markdown.splitlines() if line.startswith("| 🟠 needs-review")]
    assert f"| {reason} |" in row
    wide = CliRunner(env={"COLUMNS": "300"})
    table = wide.invoke(main, ["gate", "migration", "-", "-o", "table"], input=_ON_A_GATEWAY_NOT_IN_THE_INPUT)
    assert reason in table.output
