"""The scan benchmark's quick mode runs end to end and reports what it measured (never how fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import require_shared

ROOT = Path(__file__).resolve().parents[1]
SCAN = ROOT / "bench" / "scan.py"
RATIOS = {
    "kgov/parse",
    "kgov/parse_cpu",
    "kgov_process/parse",
    "kgov_process/parse_cpu",
    "parse/kgov_parse_cpu",
    "checkov/kgov",
    "checkov/kgov_cpu",
}
TIMINGS = {"parse_s", "kgov_parse_s", "kgov_s", "kgov_process_s", "checkov_s"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("bench")
    out = work / "scan.json"
    done = subprocess.run(
        [sys.executable, str(SCAN), "--quick", "--no-checkov", "--work", str(work), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "kgov/parse" in done.stdout  # the table is printed
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def by_name(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in results["sets"]}


def test_quick_run_reports_every_field(results: dict[str, Any]) -> None:
    assert results["benchmark"] == "scan" and results["quick"] is True
    assert {"nproc", "cpu", "python", "pyyaml"} <= set(results["machine"])
    for entry in results["sets"]:
        assert set(entry) >= TIMINGS
        assert set(entry["ratios"]) == RATIOS
        assert {"load", "inventory", "evaluate"} == set(entry["kgov_phases_s"])
        assert {"parse", "kgov", "kgov_process", "checkov"} == set(entry["per_document_us"])
        assert entry["parse_s"] > 0 and entry["kgov_s"] > 0 and entry["kgov_process_s"] > 0
        assert entry["kgov_parse_s"] > 0
        assert entry["checkov_s"] is None and entry["ratios"]["checkov/kgov"] is None  # --no-checkov
        assert entry["ratios"]["kgov/parse"] == pytest.approx(entry["kgov_s"] / entry["parse_s"])
    assert {"per_document_us", "linearity", "from", "to"} <= set(results["growth"])
    assert {"parse", "kgov", "kgov_process"} <= set(results["growth"]["linearity"])
    assert {"kgov/parse", "checkov/kgov", "linear", "one_file/import_yaml", "scan_path_imports"} == set(
        results["budgets"]
    )
    assert all(entry["report_s"] > 0 for entry in results["sets"])


def test_quick_run_measures_the_one_file_scan_against_import_yaml(results: dict[str, Any]) -> None:
    start = results["startup"]
    assert set(start["cpu_s"]) == {
        "python",
        "import_yaml",
        "dependencies",
        "dependencies_in_use",
        "dependencies_in_use_without_plugins",
        "kgov_scan_one_file",
        "kgov_version",
        "kgov_help",
    }
    assert start["ratios"]["kgov_scan/import_yaml_cpu"] > 0
    imports = start["imports"]
    assert imports["kgov_modules"] > 0 and imports["kgov_cli_cumulative_us"] > 0
    assert imports["not_on_scan_path"] == [] and results["budgets"]["scan_path_imports"]["holds"]
    profile = start["profile"]
    assert set(profile["ms"]) == {"yaml", "click", "pydantic", "kgov", "stdlib", "work"}
    assert profile["ms"]["kgov"] > 0
    assert sum(profile["ms"].values()) == pytest.approx(profile["total_ms"], rel=0.2)  # medians of parts
    assert all(name.startswith("kgov") for name in profile["kgov_slowest_own_ms"])


def test_generated_sets_have_the_requested_size_and_findings(results: dict[str, Any]) -> None:
    sets = by_name(results)
    small, large = sets["gen-200"], sets["gen-400"]
    assert 200 <= small["documents"] < 230 and 400 <= large["documents"] < 430
    assert large["objects"] == large["documents"] and large["input_errors"] == 0
    # Every kind of problem the generator plants at a fixed rate is found.
    found = set(large["findings_by_check"])
    assert {
        "qos.best-effort",
        "qos.missing-requests",
        "qos.memory-overcommit",
        "autoscaling.hpa-replicas-in-template",
        "autoscaling.hpa-target-missing",
        "ingress.snippet-annotation",
        "ingress.unknown-annotation",
        "ingress.risky-annotation",
        "ingress.eol-controller",
    } <= found
    assert large["findings"] > small["findings"] > 0


def test_corpus_subset_is_scanned(results: dict[str, Any]) -> None:
    require_shared("corpus/manifests")
    subset = by_name(results)["corpus-quick"]
    assert subset["documents"] > 100
    assert {"ingress.admission-webhook", "qos.best-effort"} <= set(subset["findings_by_check"])
