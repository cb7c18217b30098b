"""The judged findings on ../shared/field/: each folder scanned on its own, as a user would, gives exactly
the findings a platform engineer read and agreed with (tests/data/field_judgements.yaml), none of the
false positives fixed on the way, and says what it could not decide."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import require_shared
from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.inventory import Inventory
from kgov.sources.files import LoadResult, discover, read_source

JUDGEMENTS = Path(__file__).parent / "data" / "field_judgements.yaml"


def _judgements() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(JUDGEMENTS.read_text(encoding="utf-8"))
    return data


@cache
def _scan(folder: str) -> Evaluation:
    root = require_shared("field") / folder
    sources, _ = discover([str(root)])
    loaded = LoadResult()
    for source in sources:
        loaded.extend(read_source(source))
    registry, config = default_registry(), Config()
    return evaluate(
        Inventory(loaded.objects),
        select_checks(registry, config),
        config,
        resolve_params(registry, config),
        Capabilities(),
    )


@pytest.mark.parametrize("folder", sorted(_judgements()))
def test_field_findings_are_the_judged_ones(folder: str) -> None:
    judged = _judgements()[folder]
    evaluation = _scan(folder)
    found = {
        (f.check, f.severity.value, f.target.kind, f.target.namespace, f.target.name)
        for f in evaluation.findings
    }
    expected = {tuple(entry) for entry in judged["expected"]}
    assert sorted(found - expected, key=str) == [], "findings nobody has judged yet"
    assert sorted(expected - found, key=str) == [], "judged findings that disappeared"
    for check, kind, namespace, name, why in judged["forbidden"]:
        wrong = [
            f
            for f in evaluation.findings
            if (f.check, f.target.kind, f.target.namespace, f.target.name) == (check, kind, namespace, name)
        ]
        assert not wrong, why
    undecided = sorted(f"{s.check}: {s.reason}" for s in evaluation.skipped if s.undecided)
    assert undecided == judged["undecided"]


def test_every_field_folder_is_judged() -> None:
    folders = {p.name for p in require_shared("field").iterdir() if p.is_dir()}
    assert folders == set(_judgements())
