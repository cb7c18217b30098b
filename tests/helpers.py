"""Run the real pipeline (loader → inventory → registry → evaluation) on YAML text or files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.inventory import Inventory
from kgov.model.evidence import ChurnEstimate, Evidence
from kgov.model.facts import Facts
from kgov.sources.files import load_text

_HEADER = re.compile(r"^# kgov-test:(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class FixtureHeader:
    """Options on a fixture's first line: `# kgov-test: live now=2026-11-22T10:00:00Z`, or
    `# kgov-test: skip-evaluation reason=...` for a check that must report itself skipped (decided only
    from history, or from evidence that is unavailable).

    A side file `<fixture>.evidence.yaml` beside the fixture holds measured evidence (the
    `kgov.model.evidence.Evidence` model): the run then has Prometheus configured and sees it."""

    live: bool = False
    now: datetime | None = None
    skip_evaluation: bool = False
    complete: bool = False  # `complete`: the fixture is the whole of what it targets (`--complete`)


def read_header(text: str) -> FixtureHeader:
    match = _HEADER.search(text.split("\n", 1)[0])
    if match is None:
        return FixtureHeader()
    words = match.group(1).split()
    now = next((w.split("=", 1)[1] for w in words if w.startswith("now=")), None)
    return FixtureHeader(
        live="live" in words,
        now=datetime.fromisoformat(now.replace("Z", "+00:00")) if now else None,
        skip_evaluation="skip-evaluation" in words,
        complete="complete" in words,
    )


def run_checks(
    text: str,
    checks: list[str] | None = None,
    *,
    live: bool = False,
    config: Config | None = None,
    now: datetime | None = None,
    name: str = "test.yaml",
    evidence: Evidence | None = None,
    churn: tuple[ChurnEstimate, ...] = (),
    complete: bool = False,
) -> Evaluation:
    loaded = load_text(text, name)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    config = config or Config()
    inventory = Inventory(loaded.objects, live=live, declared=config.scope.declared(complete))
    assert not inventory.errors, [str(e) for e in inventory.errors]
    registry = default_registry()
    selected = select_checks(registry, config, checks or ())
    return evaluate(
        inventory,
        selected,
        config,
        resolve_params(registry, config),
        Capabilities(live=live, history=bool(churn), prometheus=evidence is not None),
        now=now or datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        facts=Facts(evidence=evidence, churn={(c.class_kind, c.class_name): c for c in churn}),
    )


EVIDENCE_SUFFIX = ".evidence.yaml"


@dataclass(frozen=True)
class Measured:
    """What a fixture's side file holds: Prometheus evidence, and watch-based churn estimates under
    `churn:` (a list of `ChurnEstimate` fields), as the operator's engine would attach them."""

    evidence: Evidence | None = None
    churn: tuple[ChurnEstimate, ...] = ()


def measured_beside(path: Path) -> Measured:
    side = path.with_name(path.stem + EVIDENCE_SUFFIX)
    if not side.exists():
        return Measured()
    data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    churn = tuple(
        ChurnEstimate(**{**entry, "top_contributors": tuple(map(tuple, entry.get("top_contributors", ())))})
        for entry in data.pop("churn", ())
    )
    return Measured(Evidence.model_validate(data) if data else None, churn)


def run_fixture(path: Path, check: str) -> Evaluation:
    text = path.read_text(encoding="utf-8")
    header = read_header(text)
    measured = measured_beside(path)
    return run_checks(
        text,
        [check],
        live=header.live,
        now=header.now,
        name=str(path),
        evidence=measured.evidence,
        churn=measured.churn,
        complete=header.complete,
    )
