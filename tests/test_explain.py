"""`kgov explain CHECK`: every check has its why, sources and a bad and a good manifest, and those
manifests behave as they say (they run like fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import read_header, run_fixture
from kgov.checks.builtin import default_registry
from kgov.cli import main
from kgov.report.explain import MAX_EXAMPLE_LINES, example_text, explanation

EXPLAIN = Path(__file__).resolve().parent.parent / "operator" / "kgov" / "data" / "explain"
IDS = default_registry().ids()


def test_every_check_has_examples_and_nothing_else_does() -> None:
    assert {p.name for p in EXPLAIN.iterdir()} == set(IDS)


@pytest.mark.parametrize("check", IDS)
@pytest.mark.parametrize("role", ["bad", "good"])
def test_examples_behave_as_they_say(check: str, role: str) -> None:
    path = EXPLAIN / check / f"{role}.yaml"
    evaluation = run_fixture(path, check)
    assert not evaluation.errors, [str(e) for e in evaluation.errors]
    fired = [f for f in evaluation.findings if f.check == check]
    if read_header(path.read_text(encoding="utf-8")).skip_evaluation:
        assert not fired and [s.check for s in evaluation.skipped] == [check]
    else:
        assert bool(fired) == (role == "bad"), [f.message for f in fired]


def test_the_cli_explains_a_check() -> None:
    result = CliRunner().invoke(main, ["explain", "qos.memory-overcommit"])
    assert result.exit_code == 0
    out = result.output
    spec = default_registry().get("qos.memory-overcommit")
    assert out.startswith("qos.memory-overcommit: Memory limit far above the request\n")
    assert "Why it matters: Memory between the request and the limit" in out
    assert spec.sources[0].url in out
    assert "Fix: Raise the memory request" in out
    assert "- ratio (default 2.0): " in out
    assert "Bad (the check fires):\n\n    apiVersion: apps/v1" in out
    assert "Good (the check stays quiet):" in out
    assert "kgov-test" not in out  # the fixture header is the harness's, not the reader's
    prose = [line for line in out.splitlines() if not line.startswith("    ") and "https://" not in line]
    assert max(map(len, prose)) <= 100


def test_unknown_check_suggests_the_closest() -> None:
    result = CliRunner().invoke(main, ["explain", "qos.best-efort"])
    assert result.exit_code == 2
    assert "no such check: qos.best-efort; did you mean qos.best-effort?" in result.output


def test_long_examples_are_cut_in_the_display() -> None:
    text = example_text("gateway.route-count", "bad")
    lines = text.splitlines()
    assert len(lines) == MAX_EXAMPLE_LINES + 1 and lines[-1].startswith("# … ")
    full = (EXPLAIN / "gateway.route-count" / "bad.yaml").read_text(encoding="utf-8")
    assert lines[-1] == f"# … {len(full.splitlines()) - MAX_EXAMPLE_LINES} more lines"


def test_checks_reference_carries_the_explanations() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for spec in default_registry():
        assert spec.why and spec.why in text, spec.id


def test_measured_checks_say_their_examples_need_measurements() -> None:
    assert explanation("qos.cpu-throttled").measured
    assert not explanation("qos.best-effort").measured
    out = CliRunner().invoke(main, ["explain", "qos.cpu-throttled"]).output
    assert "decided with Prometheus measurements" in out
