"""`-o policyreport` (OpenReports) and `-o policyreport-wgpolicyk8s`: valid against the real CRDs, one
report per namespace, cluster-scoped targets and skipped checks in the cluster-scoped report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import require_shared
from kgov.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# (format, CRD folder under corpus/crds, API version, namespaced kind, cluster kind)
APIS = [
    ("policyreport", "openreports", "openreports.io/v1alpha1", "Report", "ClusterReport"),
    (
        "policyreport-wgpolicyk8s",
        "wgpolicyk8s",
        "wgpolicyk8s.io/v1alpha2",
        "PolicyReport",
        "ClusterPolicyReport",
    ),
]

MIXED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: example/web:1.0}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
"""


def _schemas(folder: str, version: str) -> dict[str, dict[str, Any]]:
    schemas = {}
    for path in sorted((require_shared("corpus/crds") / folder).glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        served = {v["name"]: v for v in crd["spec"]["versions"]}
        schemas[crd["spec"]["names"]["kind"]] = served[version]["schema"]["openAPIV3Schema"]
    return schemas


def _run(*args: str, stdin: str | None = None) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code in (0, 1), result.output
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.mark.parametrize(("fmt", "folder", "api_version", "namespaced", "cluster"), APIS)
def test_examples_validate_against_the_crds(
    fmt: str, folder: str, api_version: str, namespaced: str, cluster: str
) -> None:
    schemas = _schemas(folder, api_version.split("/")[1])
    documents = _run("scan", str(EXAMPLES), "-o", fmt)
    assert len(documents) > 5
    for document in documents:
        assert document["apiVersion"] == api_version
        assert document["kind"] in (namespaced, cluster)
        jsonschema.validate(document, schemas[document["kind"]])
        counted = sum(document["summary"].values())
        assert counted == len(document["results"])
    namespaces = [d["metadata"]["namespace"] for d in documents if d["kind"] == namespaced]
    assert namespaces == sorted(set(namespaces)), "one report per namespace"
    assert [d["kind"] for d in documents][-1] == cluster


def test_targets_land_in_the_report_of_their_scope() -> None:
    documents = _run("scan", "-", "-o", "policyreport", stdin=MIXED)
    by_kind = {d["kind"]: d for d in documents}
    namespaced = by_kind["Report"]
    # A namespaced object that names no namespace is applied to `default`, as kubectl does.
    assert namespaced["metadata"]["namespace"] == "default"
    assert {r["policy"] for r in namespaced["results"]} >= {"qos.best-effort"}
    best_effort = next(r for r in namespaced["results"] if r["policy"] == "qos.best-effort")
    assert best_effort["resources"][0] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "namespace": "default",
    }
    assert best_effort["properties"]["location"].endswith(":9")  # the container the finding is about
    cluster = by_kind["ClusterReport"]
    assert "namespace" not in cluster["metadata"]
    for result in cluster["results"]:
        assert result["result"] == "skip" or all("namespace" not in r for r in result["resources"])
    skipped = [r for r in cluster["results"] if r["result"] == "skip"]
    assert skipped and all(r["message"] for r in skipped)


def test_severity_decides_fail_or_warn() -> None:
    documents = _run("scan", str(EXAMPLES), "-o", "policyreport")
    results = [r for d in documents for r in d["results"] if r["result"] != "skip"]
    assert {r["result"] for r in results if r["severity"] in ("critical", "high", "medium")} == {"fail"}
    assert {r["result"] for r in results if r["severity"] in ("low", "info")} == {"warn"}


def test_gate_writes_policy_reports_too() -> None:
    documents = _run("gate", "migration", str(EXAMPLES / "migration"), "-o", "policyreport")
    policies = {r["policy"] for d in documents for r in d["results"]}
    assert any(p.startswith("migration.") for p in policies)
