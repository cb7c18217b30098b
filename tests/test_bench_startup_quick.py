"""The start-up benchmark's quick mode runs `kgov run` to its first evaluation written (so it never
rots); timings are not asserted here, the full run in bench/ measures them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_startup_bench_reaches_the_first_evaluation(tmp_path: Path) -> None:
    output = tmp_path / "startup.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "startup.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [run] = json.loads(output.read_text())["runs"]
    assert run["objects"] > 400
    assert run["writes"] > 0 and run["engine_cpu_s"] > 0
    assert run["ready_s"] <= run["first_write_s"]
