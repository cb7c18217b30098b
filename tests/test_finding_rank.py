"""Finding resources carry a numeric severity rank, so `kubectl get findings --sort-by=.spec.severityRank`
orders them by severity (the string sorts alphabetically: critical, high, info, low, medium)."""

from __future__ import annotations

import jsonschema
import pytest

from chart_support import load_yaml
from conftest import ROOT
from kgov.engine.resources import finding_body
from kgov.findings.model import Category, Finding, Severity
from kgov.model.objects import ObjectRef


def _finding(severity: Severity, namespace: str | None = "shop") -> Finding:
    return Finding(
        check="qos.best-effort",
        category=Category.RESOURCES,
        severity=severity,
        target=ObjectRef("Deployment", f"app-{severity.value}", namespace, "apps/v1", uid="u"),
        message="m",
        remediation="r",
    )


@pytest.mark.parametrize("crd", ["kgov.io_findings.yaml", "kgov.io_clusterfindings.yaml"])
def test_rank_orders_by_severity_and_validates(crd: str) -> None:
    schema = load_yaml(ROOT / "crds" / crd)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    namespace = "shop" if crd == "kgov.io_findings.yaml" else None
    bodies = [finding_body(_finding(s, namespace)) for s in Severity]
    for body in bodies:
        assert list(jsonschema.Draft7Validator(schema).iter_errors(body)) == []
    ordered = sorted(bodies, key=lambda b: b["spec"]["severityRank"])
    assert [b["spec"]["severity"] for b in ordered] == ["info", "low", "medium", "high", "critical"]
    bad = {**bodies[0], "spec": {**bodies[0]["spec"], "severityRank": 9}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))


def test_the_chart_ships_the_same_crds() -> None:
    for crd in ("kgov.io_findings.yaml", "kgov.io_clusterfindings.yaml"):
        chart = ROOT / "charts" / "kube-governor" / "crds" / crd
        assert chart.read_text(encoding="utf-8") == (ROOT / "crds" / crd).read_text(encoding="utf-8")
