"""Operator start-up benchmark: the real `kgov run` process against kmock's emulator.

    python bench/startup.py                   # 2,000 / 8,000 / 32,000 objects
    python bench/startup.py --sizes 2000      # one size
    python bench/startup.py --quick           # 500 objects to the first write, in seconds

For each size the cluster of bench/engine.py (pods, ReplicaSets, Deployments, StatefulSets, HPAs,
VPAs, Ingresses, HTTPRoutes, namespaces), scaled to about that many objects, is served over HTTP by
`bench/apiserver.py` (lists paged as the API server pages them; the resources of the integration
tests' kmock emulator, whose own cost grows with the square of the requests), and
`python -m kgov run` is started against it. Measured:

- `ready_s` / `startup_cpu_s`: process start to its first list request (interpreter, imports, login,
  discovery), wall clock and the process's CPU (user + system);
- `first_write_s`: process start to the first write (the first evaluation is done: its writes
  begin), and `listed_to_first_write_s` = first_write_s − ready_s, the start-up that depends on the
  cluster;
- `all_written_s`: to the GovernanceReport's status, written after every write of the first
  evaluation (these go at the operator's write rate, 20 per second by default);
- `operator_cpu_s`: the operator's CPU from its first list request to its first write — listing,
  decoding, feeding the engine and the first evaluation;
- `engine_cpu_s`: in this process, the engine alone on the same objects (every object applied as
  the initial listing, then the first evaluation) — what the operator cannot do with less;
- `ingestion_ratio` = operator_cpu_s ÷ engine_cpu_s, and both per object.

Linearity: `growth` = listed_to_first_write_s per object at the largest size ÷ at the smallest (1.0
is linear). JSON goes to bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]

from apiserver import ApiServer, serving  # noqa: E402
from engine import Cluster, FakeClock, Scale, new_engine  # noqa: E402

from kube_emulator import write_kubeconfig  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "startup.json"
BUDGETS = {"growth": 1.25, "ingestion_ratio": 3.0}
TIMEOUT_S = 1800.0


def scale_for(objects: int) -> Scale:
    """bench/engine.py's cluster shape, scaled to about `objects` objects."""
    base = Scale.quick()
    per = len(Cluster(base).objects)
    factor = objects / per
    fields = {k: max(1, round(v * factor)) for k, v in base.__dict__.items()}
    return replace(base, **fields)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def engine_cpu(cluster: Cluster) -> float:
    engine = new_engine(FakeClock())
    started = time.process_time()
    for event_type, body in cluster.initial():
        engine.apply_event(event_type, body)
    engine.evaluate()
    return time.process_time() - started


def wait_for(flag: threading.Event, proc: subprocess.Popen[str], started: float) -> float:
    """Wait until the server sets `flag`; the operator's CPU seconds at that moment (sampled)."""
    cpu = 0.0
    while not flag.wait(0.02):
        if proc.poll() is not None:
            raise RuntimeError(f"kgov run exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        if time.perf_counter() - started > TIMEOUT_S:
            raise RuntimeError(f"nothing after {TIMEOUT_S} s")
        cpu = cpu_seconds(proc.pid)
    return max(cpu, cpu_seconds(proc.pid))


def run_size(objects: int, workdir: Path, first_only: bool = False) -> dict[str, Any]:
    cluster = Cluster(scale_for(objects))
    bodies = list(cluster.objects.values())
    server = ApiServer()
    for body in bodies:
        server.put(body)
    with serving(server) as url:
        kubeconfig = write_kubeconfig(workdir / f"kubeconfig-{objects}", {"bench": url}, current="bench")
        config = workdir / "config.yaml"
        config.write_text("operator:\n  debounce_seconds: 0.05\n  max_findings: 1000000\n", encoding="utf-8")
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(ROOT / "operator")}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(name, None)
        command = [sys.executable, "-m", "kgov", "run", "--config", str(config), "--port", "0"]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            cpu_ready = wait_for(server.listed, proc, started)
            ready_s = time.perf_counter() - started
            cpu_first = wait_for(server.written, proc, started)
            first_write_s = time.perf_counter() - started
            all_written_s = None
            if not first_only:
                wait_for(server.report_written, proc, started)
                all_written_s = round(time.perf_counter() - started, 2)
        finally:
            proc.terminate()
            proc.communicate(timeout=60)
    engine_s = engine_cpu(cluster)
    return {
        "objects": len(bodies),
        "writes": server.writes,
        "ready_s": round(ready_s, 2),
        "first_write_s": round(first_write_s, 2),
        "listed_to_first_write_s": round(first_write_s - ready_s, 2),
        "all_written_s": all_written_s,
        "startup_cpu_s": round(cpu_ready, 2),
        "operator_cpu_s": round(cpu_first - cpu_ready, 2),
        "engine_cpu_s": round(engine_s, 2),
        "operator_ms_per_object": round(1000 * (cpu_first - cpu_ready) / len(bodies), 3),
        "engine_ms_per_object": round(1000 * engine_s / len(bodies), 3),
        "ingestion_ratio": round((cpu_first - cpu_ready) / engine_s, 2),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = runs[0], runs[-1]
    per_object = [r["listed_to_first_write_s"] / r["objects"] for r in (first, last)]
    growth = round(per_object[1] / per_object[0], 2) if len(runs) > 1 else None
    worst_ratio = max(r["ingestion_ratio"] for r in runs)
    return {
        "growth": growth,
        "worst_ingestion_ratio": worst_ratio,
        "budgets": BUDGETS,
        "holds": {
            "growth": growth is None or growth <= BUDGETS["growth"],
            "ingestion_ratio": worst_ratio <= BUDGETS["ingestion_ratio"],
        },
    }


def table(runs: list[dict[str, Any]]) -> str:
    lines = ["objects | listed→first write s | all written s | ingestion CPU s | engine CPU s | ratio"]
    for r in runs:
        lines.append(
            f"{r['objects']:>7,} | {r['listed_to_first_write_s']:>20} | {r['all_written_s']!s:>13} | "
            f"{r['operator_cpu_s']:>15} | {r['engine_cpu_s']:>12} | {r['ingestion_ratio']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,8000,32000", help="objects per run, comma-separated")
    parser.add_argument("--quick", action="store_true", help="one run of 500 objects, to the first write")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [500] if args.quick else [int(s) for s in args.sizes.split(",")]
    output = args.output or (ROOT / "bench" / "out" / "startup-quick.json" if args.quick else RESULTS)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            runs.append(run_size(size, Path(tmp), first_only=args.quick))
            print(table(runs[-1:]), flush=True)
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "runs": runs,
        **summarise(runs),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(runs))
    print(json.dumps({k: result[k] for k in ("growth", "worst_ingestion_ratio", "holds")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
