"""Meta-tests over the registry: every check is documented, has fixtures, and sane metadata."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from kgov.analysis import resolve_params
from kgov.checks.builtin import default_registry
from kgov.checks.params import OvercommitParams
from kgov.checks.registry import CheckSpec
from kgov.config import Config, ConfigError
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


def test_params_the_config_does_not_set_are_the_validated_defaults() -> None:
    """`resolve_params` constructs the defaults of a check the config gives no params (building no
    validator); they must be what validating `{}` gives, and a check without config must get them."""
    resolved = resolve_params(default_registry(), Config())
    for spec in SPECS:
        validated = spec.params.model_validate({})
        assert resolved[spec.id] == validated, spec.id
        assert resolved[spec.id].model_dump() == validated.model_dump(), spec.id
        assert type(resolved[spec.id]) is spec.params


def test_params_the_config_sets_are_validated() -> None:
    config = Config.model_validate({"checks": {"qos.memory-overcommit": {"params": {"ratio": "0.5"}}}})
    with pytest.raises(ConfigError, match=r"checks\.qos\.memory-overcommit\.params: ratio"):
        resolve_params(default_registry(), config)
    config = Config.model_validate({"checks": {"qos.memory-overcommit": {"params": {"ratio": "3"}}}})
    assert resolve_params(default_registry(), config)["qos.memory-overcommit"] == OvercommitParams(
        ratio=Decimal(3)
    )


_TYPED = """
from collections.abc import Iterator

from kgov.checks.params import NoParams, OvercommitParams
from kgov.checks.registry import Check, CheckContext, Issue, SubjectKind
from kgov.findings.model import Category, Severity
from kgov.inventory import Workload
from kgov.inventory.network import IngressView


def on_ingress(view: IngressView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    yield Issue(view.obj.name)


def on_workload(workload: Workload, context: CheckContext[OvercommitParams]) -> Iterator[Issue]:
    yield Issue(f"{workload.obj.name} {context.params.ratio}")


CHECKS = (
    Check("x.a", "t", Category.INGRESS, Severity.LOW, SubjectKind.INGRESS, "c", "r", on_ingress, NoParams),
    Check("x.b", "t", Category.INGRESS, Severity.LOW, SubjectKind.WORKLOAD, "c", "r", on_workload, OvercommitParams),
    Check("x.c", "t", Category.INGRESS, Severity.LOW, SubjectKind.WORKLOAD, "c", "r", on_ingress, NoParams),
    Check("x.d", "t", Category.INGRESS, Severity.LOW, SubjectKind.WORKLOAD, "c", "r", on_workload, NoParams),
)
"""


def test_mypy_rejects_a_check_whose_function_does_not_fit_its_subject_or_params(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    module = tmp_path / "typed_checks.py"
    module.write_text(_TYPED)
    root = Path(__file__).parent.parent
    out, _, status = api.run(["--strict", "--cache-dir", str(root / ".mypy_cache"), str(module)])
    errors = sorted({int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line})
    assert status == 1 and errors == [22, 23]  # the last two checks: wrong subject, wrong params, out
