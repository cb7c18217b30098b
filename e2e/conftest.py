"""End-to-end tests against a real cluster (kind, k3d, …) through KUBECONFIG; see docs/operator.md.

Not collected by the default test run (pytest's testpaths is `tests`); run `pytest e2e`. Without a
kubeconfig, kubectl or a reachable API server every test is skipped, and the reason is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: needs a real cluster through KUBECONFIG")


def cluster_unavailable() -> str | None:
    """Why the e2e tests cannot run here, or None when they can."""
    kubeconfig = os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    if not any(Path(p).is_file() for p in kubeconfig.split(os.pathsep) if p):
        return "no kubeconfig: set KUBECONFIG to a test cluster (kind, k3d) to run the e2e tests"
    if shutil.which(os.environ.get("KUBECTL", "kubectl")) is None:
        return "kubectl is not on PATH (or set KUBECTL)"
    probe = subprocess.run(
        [os.environ.get("KUBECTL", "kubectl"), "version", "--request-timeout=5s", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"the cluster in the kubeconfig is not reachable: {probe.stderr.strip()[:300]}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = cluster_unavailable()
    if reason is None:
        return
    print(f"\ne2e tests skipped: {reason}")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))
