"""The README's first command: `kgov scan --complete examples/` shows every check that decides from
manifests, and `examples/clean` passes them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgov.analysis import Capabilities
from kgov.checks.builtin import default_registry
from kgov.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _scan(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(main, ["scan", "--complete", *args, "-o", "json"])
    return result.exit_code, json.loads(result.output)


def test_examples_fire_every_manifest_check() -> None:
    code, report = _scan(str(EXAMPLES))
    assert code == 1
    assert report["errors"] == []
    fired = set(report["summary"]["by_check"])  # type: ignore[index]
    runnable = {s.id for s in default_registry() if not Capabilities().missing(s)}
    assert runnable <= fired, f"no example for {sorted(runnable - fired)}"


# Checks that say an object the input refers to is missing: the examples are complete (the README scans
# them with --complete), so each fires only in the example written to show it.
MISSING_REFERENCE = (
    "autoscaling.hpa-target-missing",
    "gateway.unresolved-refs",
    "gateway.parent-not-found",
    "gateway.missing-reference-grant",
)


def test_examples_refer_only_to_objects_they_define() -> None:
    _, report = _scan(str(EXAMPLES))
    stray = [
        (f["check"], f["location"]["file"], f["message"])
        for f in report["findings"]  # type: ignore[attr-defined]
        if f["check"] in MISSING_REFERENCE
        and Path(f["location"]["file"]).stem != f["check"].split(".", 1)[1]
        and not (f["check"] == "gateway.unresolved-refs" and "has no port" in f["message"])
    ]
    assert stray == []


def test_clean_examples_pass() -> None:
    code, report = _scan(str(EXAMPLES / "clean"))
    assert code == 0
    assert report["findings"] == [] and report["errors"] == []


def _identities(report: dict[str, object]) -> dict[str, set[tuple[str, ...]]]:
    by_file: dict[str, set[tuple[str, ...]]] = {}
    for f in report["findings"]:  # type: ignore[attr-defined]
        target = f["target"]
        key = (f["check"], target["kind"], target["namespace"] or "", target["name"], f["message"])
        by_file.setdefault(f["location"]["file"], set()).add(key)
    return by_file


@pytest.mark.parametrize("flags", [(), ("--complete",)], ids=["open", "complete"])
def test_example_files_do_not_interfere(flags: tuple[str, ...]) -> None:
    """Each file gives the same findings alone as in `kgov scan [--complete] examples/` (the README's
    command): no finding comes from two example files meeting (a shared namespace, hostname, class,
    controller or Service)."""
    _, together = _scan(*flags, str(EXAMPLES))
    whole = _identities(together)
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        _, alone = _scan(*flags, str(path))
        assert _identities(alone).get(str(path), set()) == whole.get(str(path), set()), path
