"""Every check's fixtures: each `fail*.yaml` makes it fire, each `pass*.yaml` keeps it quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import EVIDENCE_SUFFIX, read_header, run_fixture
from kgov.checks.builtin import default_registry

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(
    (check_dir.name, path)
    for check_dir in FIXTURES.iterdir()
    if check_dir.is_dir()
    for path in check_dir.glob("*.yaml")
    if path.name.startswith(("pass", "fail")) and not path.name.endswith(EVIDENCE_SUFFIX)
)


@pytest.mark.parametrize(("check", "path"), CASES, ids=[f"{c}/{p.name}" for c, p in CASES])
def test_fixture(check: str, path: Path) -> None:
    assert check in default_registry(), f"fixture folder for unknown check {check}"
    header = read_header(path.read_text(encoding="utf-8"))
    evaluation = run_fixture(path, check)
    assert not evaluation.errors, [str(e) for e in evaluation.errors]
    fired = [f for f in evaluation.findings if f.check == check]
    if header.skip_evaluation:
        assert not fired
        assert [s.check for s in evaluation.skipped] == [check]
    elif path.name.startswith("fail"):
        assert fired, f"{check} did not fire on {path.name}"
        for finding in fired:
            assert finding.message and finding.evidence, "a finding explains itself"
    else:
        assert not fired, [f.message for f in fired]
