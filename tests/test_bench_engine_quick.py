"""The engine benchmark's quick mode runs (so it never rots) and its findings are right; timings are
not asserted here, the full run in bench/ measures them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_engine_bench_writes_nothing_for_no_op_events_and_keeps_findings_right(tmp_path: Path) -> None:
    output = tmp_path / "engine.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "engine.py"),
            "--quick",
            "--batch",
            "100",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(output.read_text(encoding="utf-8"))["points"]
    assert "events_per_s" in done.stdout  # the printed table
    assert result["noop_writes"] == 0
    # After the event mix, the incrementally kept findings equal a fresh full evaluation.
    assert result["mismatched_count"] == 0, result["mismatched_findings"]
    assert result["changed_findings"] > 0 and result["writes_per_changed_finding"] == 1.0
    by_check = result["findings_by_check"]
    for check in (
        "qos.memory-limit-missing",
        "qos.oom-killed",
        "autoscaling.hpa-vpa-overlap",
        "ingress.snippet-annotation",
        "ingress.eol-controller",
        "gateway.route-not-accepted",
    ):
        assert by_check.get(check, 0) > 0, (check, by_check)
    assert result["churn_per_hour"]["IngressClass/nginx"] > 0
    for key in ("initial_eval_s", "events_per_s", "rss_mib"):
        assert result[key] > 0
