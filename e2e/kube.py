"""kubectl, the operator process and waiting, for the e2e tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = os.environ.get("KUBECTL", "kubectl")
T = TypeVar("T")


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def kubectl_json(*args: str) -> Any:
    return json.loads(kubectl(*args, "-o", "json"))


def wait_for(predicate: Callable[[], T | None], what: str, timeout: float = 180.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def operator_running(namespace: str, log: Path) -> Iterator[str]:
    """The operator, scoped to one namespace: the Helm chart when KGOV_E2E_IMAGE names an image the
    cluster can pull (and helm is installed), else `kgov run` in a local process. Yields how."""
    image = os.environ.get("KGOV_E2E_IMAGE")
    chart = ROOT / "charts" / "kube-governor"
    if image and shutil.which("helm") and chart.is_dir():
        repository, _, tag = image.rpartition(":")
        release = f"kgov-{namespace}"
        subprocess.run(
            ["helm", "upgrade", "--install", release, str(chart), "-n", namespace, "--wait",
             "--set", f"image.repository={repository}", "--set", f"image.tag={tag}",
             "--set", f"config.namespaces.include[0]={namespace}"],
            check=True,
        )  # fmt: skip
        try:
            yield "chart"
        finally:
            subprocess.run(["helm", "uninstall", release, "-n", namespace, "--wait"], check=False)
        return
    port = str(_free_port())
    command = [sys.executable, "-m", "kgov", "run", "--standalone", "--namespace", namespace, "--port", port]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield "process"
            assert proc.poll() is None, f"kgov run exited early; see {log}"
        finally:
            proc.terminate()
            proc.wait(timeout=60)
