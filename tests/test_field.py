"""The judged findings on ../shared/field/: each folder scanned on its own, as a user would, through the
pipeline `kgov scan FOLDER` runs (charts rendered with helm, kustomizations built with kubectl, the
scope of a folder scan), gives exactly the findings a platform engineer read and agreed with
(tests/data/field_judgements.yaml), none of the false positives fixed on the way, holds back what it
says it holds back, and says what it could not decide and which inputs it could not render."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from chart_support import helm_binary
from conftest import require_shared
from kgov.analysis import resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.commands.pipeline import Source, analyse
from kgov.config import find_config, load_config
from kgov.report.model import ScanReport
from test_rendering import kubectl_binary

JUDGEMENTS = Path(__file__).parent / "data" / "field_judgements.yaml"


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(JUDGEMENTS.read_text(encoding="utf-8"))
    return data


def _judgements() -> dict[str, dict[str, Any]]:
    folders: dict[str, dict[str, Any]] = _data()["folders"]
    return folders


@contextmanager
def _as_a_user_in(folder: Path) -> Iterator[None]:
    """In `folder`, with the helm and kubectl that CI has first on PATH (skipped locally without them)."""
    tools = os.pathsep.join(str(b.parent) for b in (kubectl_binary(), helm_binary()))
    path, cwd = os.environ.get("PATH", ""), Path.cwd()
    os.environ["PATH"] = f"{tools}{os.pathsep}{path}"
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ["PATH"] = path


@cache
def _scan(folder: str) -> ScanReport:
    """`kgov scan .` in the folder, in process: what it prints is rendered from this report."""
    with _as_a_user_in(require_shared("field") / folder):
        registry = default_registry()
        config = load_config(find_config(Path.cwd()))
        checks = select_checks(registry, config)
        return analyse(Source((".",)), checks, config, resolve_params(registry, config)).report


@pytest.mark.parametrize("folder", sorted(_judgements()))
def test_field_findings_are_the_judged_ones(folder: str) -> None:
    judged = _judgements()[folder]
    report = _scan(folder)
    evaluation = report.evaluation
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
    held_back = sorted(
        [s.check, s.target.kind, s.target.namespace, s.target.name] for s in evaluation.skipped if s.target
    )
    assert held_back == sorted(entry[:4] for entry in judged.get("held_back", []))
    undecided = sorted(f"{s.check}: {s.reason}" for s in evaluation.skipped if s.undecided)
    assert undecided == judged["undecided"]
    # A note names the input and what happened to it; the tool's own message holds machine paths.
    assert [": ".join(note.split(": ")[:2]) for note in report.notes] == judged.get("notes", [])


def test_every_judged_check_says_why() -> None:
    judged = {entry[0] for folder in _judgements().values() for entry in folder["expected"]}
    assert sorted(judged - set(_data()["reasons"])) == []
    assert sorted(set(_data()["reasons"]) - judged) == [], "reasons for checks no folder finds"


def test_every_field_folder_is_judged() -> None:
    folders = {p.name for p in require_shared("field").iterdir() if p.is_dir()}
    assert folders == set(_judgements())
