"""`kgov scan --write-baseline` / `--baseline`: adopt kgov on a repository with findings, fail only
on new ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kgov.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

NEW_DEPLOYMENT = """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: brand-new, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
"""


def scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args])


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = scan(*args, "-o", "json")
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    shutil.copy(EXAMPLES / "resources" / "shop.yaml", tmp_path / "repo" / "shop.yaml")
    return tmp_path / "repo"


def test_write_then_use_a_baseline(repo: Path) -> None:
    baseline = repo / ".kgov-baseline.json"  # as docs/ci.md suggests: hidden, so never scanned
    code, report = scan_json(str(repo))
    assert code == 1 and report["findings"]

    result = scan(str(repo), "--write-baseline", str(baseline))
    assert result.exit_code == 0  # recording is not failing
    recorded = json.loads(baseline.read_text(encoding="utf-8"))
    assert recorded["schemaVersion"] == 1
    assert sorted(e["fingerprint"] for e in recorded["findings"]) == sorted(
        f["fingerprint"] for f in report["findings"]
    )

    code, known = scan_json(str(repo), "--baseline", str(baseline))
    assert code == 0
    assert known["findings"] == []
    assert known["baseline"] == {"file": str(baseline), "known": len(report["findings"]), "fixed": 0}
    table = " ".join(scan(str(repo), "--baseline", str(baseline)).output.split())
    assert f"Baseline: {len(report['findings'])} known findings in {baseline} not shown." in table

    # A new problem fails the build; the known ones stay hidden, even after lines moved.
    text = (repo / "shop.yaml").read_text(encoding="utf-8")
    (repo / "shop.yaml").write_text("# moved\n\n" + text + NEW_DEPLOYMENT, encoding="utf-8")
    code, after = scan_json(str(repo), "--baseline", str(baseline))
    assert code == 1
    assert {f["target"]["name"] for f in after["findings"]} == {"brand-new"}
    assert after["baseline"]["known"] == len(report["findings"])


def test_fixed_findings_are_counted(repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    scan(str(repo), "--write-baseline", str(baseline))
    data = json.loads(baseline.read_text(encoding="utf-8"))
    data["findings"].append({"fingerprint": "0" * 32, "check": "qos.best-effort", "target": "gone"})
    baseline.write_text(json.dumps(data), encoding="utf-8")
    _, report = scan_json(str(repo), "--baseline", str(baseline))
    assert report["baseline"]["fixed"] == 1


def test_matching_counts_duplicates(repo: Path, tmp_path: Path) -> None:
    """A baseline entry hides one finding: the same finding twice needs two entries."""
    baseline = tmp_path / "baseline.json"
    scan(str(repo), "--write-baseline", str(baseline))
    data = json.loads(baseline.read_text(encoding="utf-8"))
    data["findings"] = data["findings"][1:]
    baseline.write_text(json.dumps(data), encoding="utf-8")
    _, report = scan_json(str(repo), "--baseline", str(baseline))
    assert len(report["findings"]) == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read the baseline"),
        ("{not json", "invalid JSON"),
        ('{"findings": []}', "schemaVersion 1 expected"),
        ('{"schemaVersion": 1, "findings": [{"check": "x"}]}', "list of fingerprints"),
    ],
)
def test_a_bad_baseline_is_a_usage_error(
    repo: Path, tmp_path: Path, content: str | None, problem: str
) -> None:
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content, encoding="utf-8")
    result = scan(str(repo), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert problem in result.output and str(baseline) in result.output
    assert "Traceback" not in result.output
