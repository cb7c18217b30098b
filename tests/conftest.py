from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import evidence_series as es  # noqa: E402  (found through the path above)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """A test's prerequisite is missing: skipped with the reason locally, failed under CI."""
    if in_ci():
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


def require_shared(sub: str) -> Path:
    """The shared corpus beside the clone; skipped with a reason without it, never under CI."""
    path = SHARED / sub
    if not path.is_dir():
        unavailable(f"{path} is absent (a user's clone has no ../shared beside it)")
    return path


# ---- a real Prometheus server over the evidence scenarios (see tests/evidence_series.py) -------------
# The series of `evidence_series` are written as OpenMetrics, turned into TSDB blocks by
# `promtool tsdb create-blocks-from openmetrics`, and served by a real `prometheus` on a free loopback
# port, started once per test session. The series end a few minutes before the session starts.


@dataclass(frozen=True)
class Server:
    url: str
    end: datetime  # the time of the last sample


def _binaries() -> tuple[str, str]:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        unavailable("prometheus/promtool not installed (scripts/setup installs Debian's prometheus package)")
    return prometheus, promtool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"prometheus did not become ready: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    prometheus, promtool = _binaries()
    root = tmp_path_factory.mktemp("prometheus")
    end = (int(time.time()) // 60) * 60 - 300
    source = root / "series.om"
    source.write_text(es.openmetrics(end, [es.scenario("incident"), es.scenario("baseline")]))
    data = root / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    config = root / "prometheus.yml"
    config.write_text("global: {scrape_interval: 15s}\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=30d",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process, log)
        yield Server(url, datetime.fromtimestamp(end, UTC))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
