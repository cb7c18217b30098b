"""Meta-tests over the registry: every check is documented, has fixtures, and sane metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kgov.checks.catalog import default_registry
from kgov.checks.registry import CheckSpec
from kgov.findings.model import Severity

FIXTURES = Path(__file__).parent / "fixtures"
SPECS = list(default_registry())
_ID = re.compile(r"^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_check_metadata(spec: CheckSpec) -> None:
    assert _ID.match(spec.id), "ids are dotted, lowercase, with no slash (label values)"
    assert spec.id.split(".")[0] in {"qos", "autoscaling", "ingress", "gateway", "migration", "scope"}
    assert isinstance(spec.severity, Severity)
    assert spec.title and spec.condition
    assert spec.remediation.endswith("."), "remediation is a full sentence"
    assert spec.docs == f"docs/checks.md#{spec.anchor}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_check_has_pass_and_fail_fixtures(spec: CheckSpec) -> None:
    folder = FIXTURES / spec.id
    assert list(folder.glob("pass*.yaml")), f"{folder}/pass*.yaml missing"
    assert list(folder.glob("fail*.yaml")), f"{folder}/fail*.yaml missing"


def test_params_have_defaults() -> None:
    for spec in SPECS:
        spec.params()  # constructible from defaults alone
