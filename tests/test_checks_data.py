"""kgov/data/checks.yaml and the check families' FUNCTIONS: every entry follows the schema, has a
function that takes the entry's subject and params, every function has an entry, and listing the
checks imports none of the families' modules."""

from __future__ import annotations

import json
import subprocess
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kgov.checks import params as params_models
from kgov.checks.builtin import CHECKS_DATA, default_registry, family_functions
from kgov.checks.registry import CheckContext, CheckSpec, Need, Reach, Subject, SubjectKind
from kgov.data import data_file, data_text
from kgov.findings.model import Category, Severity
from kgov.inventory import inventory as inventory_module
from kgov.inventory import network as network_module

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(data_text("checks.schema.json"))
ENTRIES: dict[str, dict[str, Any]] = data_file(CHECKS_DATA)
SPECS = list(default_registry())
FAMILIES = sorted({check_id.split(".", 1)[0] for check_id in ENTRIES})


def test_the_schema_is_valid_and_its_enumerations_are_the_code_s() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    fields = SCHEMA["additionalProperties"]["properties"]
    assert fields["category"]["enum"] == [c.value for c in Category]
    assert fields["severity"]["enum"] == [s.value for s in Severity]
    assert fields["needs"]["items"]["enum"] == [n.value for n in Need]
    assert fields["reads"]["enum"] == [r.name.lower() for r in Reach]


@pytest.mark.parametrize("check_id", list(ENTRIES))
def test_each_entry_follows_the_schema(check_id: str) -> None:
    assert list(Draft202012Validator(SCHEMA).iter_errors({check_id: ENTRIES[check_id]})) == []


@pytest.mark.parametrize("check_id", list(ENTRIES))
def test_each_entry_names_a_subject_kind_and_a_params_model(check_id: str) -> None:
    entry = ENTRIES[check_id]
    assert entry["subject"] in {s.value for s in SubjectKind.ALL}
    params = getattr(params_models, entry.get("params", "NoParams"), None)
    assert isinstance(params, type) and issubclass(params, params_models.Params)
    assert entry.get("params") != "NoParams", "leave `params` out for a check without"


@pytest.mark.parametrize("family", FAMILIES)
def test_every_entry_has_a_function_and_every_function_an_entry(family: str) -> None:
    declared = [check_id for check_id in ENTRIES if check_id.startswith(family + ".")]
    assert sorted(family_functions(family)) == sorted(declared)


def _declared_subject_types() -> dict[str, Any]:
    """Subject value → `S` of its `Subject[S]` annotation on SubjectKind (whose module imports the
    inventory's views for type checking only: they are looked up where they are declared)."""
    views = {**vars(inventory_module), **vars(network_module)}
    hints = typing.get_type_hints(SubjectKind, localns=views)
    found = {}
    for name, hint in hints.items():
        subject = getattr(SubjectKind, name)
        if isinstance(subject, Subject):
            (annotated,) = typing.get_args(hint) if typing.get_origin(hint) is typing.Final else (hint,)
            (found[subject.value],) = typing.get_args(annotated)
    return found


SUBJECT_TYPES = _declared_subject_types()


def _members(hint: Any) -> set[Any]:
    origin = typing.get_origin(hint)
    return set(typing.get_args(hint)) if origin in (typing.Union, types.UnionType) else {hint}


def _signature(fn: Callable[..., Any]) -> tuple[Any, Any]:
    """The subject type and the params model of a check function, from its annotations."""
    hints = typing.get_type_hints(fn)
    subject, context = (hints[name] for name in list(hints)[:2])
    assert typing.get_origin(context) is CheckContext, f"{fn.__name__}: second argument is not a CheckContext"
    (params,) = typing.get_args(context)
    return subject, params


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_each_function_takes_its_entry_s_subject_and_params(spec: CheckSpec) -> None:
    fn = family_functions(spec.id.split(".", 1)[0])[spec.id]
    subject, params = _signature(fn)
    assert set(SUBJECT_TYPES) == {s.value for s in SubjectKind.ALL}
    assert _members(subject) == _members(SUBJECT_TYPES[spec.subject.value]), (
        f"{spec.id}: the function takes {subject}, the data says subject {spec.subject.value}"
    )
    assert params is spec.params, f"{spec.id}: the function takes {params}, the data says {spec.params}"


def test_a_mismatched_subject_is_caught() -> None:
    from kgov.checks import qos

    subject, _ = _signature(qos.FUNCTIONS["qos.best-effort"])
    assert _members(subject) != _members(SUBJECT_TYPES["ingress"])


# ---- lazy loading: the metadata is data, the modules are imported when a check runs ------------

_FAMILY_MODULES = (
    "[m for m in sys.modules if m.startswith('kgov.checks.') and hasattr(sys.modules[m], 'FUNCTIONS')]"
)


def _imported_families(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(sorted({_FAMILY_MODULES}))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    imported: list[str] = json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"'))
    return imported


@pytest.mark.parametrize("command", [["checks", "-o", "json"], ["explain", "ingress.reload-churn"]])
def test_listing_and_explaining_the_checks_build_no_inventory(command: list[str]) -> None:
    script = (
        "import sys\nfrom kgov.cli import main\n"
        f"try: main({command!r})\nexcept SystemExit: pass\n"
        "print([m for m in sys.modules if m.startswith(('kgov.inventory', 'kgov.domain'))])"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_listing_explaining_and_config_import_no_check_module() -> None:
    code = (
        "from kgov.checks.builtin import default_registry\n"
        "from kgov.analysis import resolve_params\n"
        "from kgov.config import Config\n"
        "from kgov.report.reference import render_reference\n"
        "from kgov.report.explain import render_explain\n"
        "registry = default_registry()\n"
        "resolve_params(registry, Config())\n"
        "render_reference(registry, 'markdown')\n"
        "render_explain(registry.get('gateway.validation-rule'))"
    )
    assert _imported_families(code) == []


def test_a_scan_imports_only_the_families_it_runs(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n")
    code = (
        "from kgov.cli import main\n"
        f"try: main(['scan', {str(manifest)!r}, '--checks', 'qos.best-effort', '-o', 'json'])\n"
        "except SystemExit: pass"
    )
    assert _imported_families(code) == ["kgov.checks.qos"]
