"""A malformed object is shown in the GovernanceReport (kind, namespace, name, reason) while it lasts,
costs no Finding (not even across a restart), and leaves the report when it is fixed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from harness import (
    FIXED,
    REPORTS,
    SEED_HPA,
    by_check,
    emulated_cluster,
    findings,
    http_get,
    kube,
    operator_requests,
    running_operator,
    stored,
)

from kube_emulator import RunningEmulator


def report_failures(cluster: RunningEmulator) -> dict[str, Any]:
    report = stored(cluster, REPORTS).get((None, "cluster")) or {}
    failures: dict[str, Any] = (report.get("status") or {}).get("failures") or {}
    return failures


def break_hpa(cluster: RunningEmulator) -> None:
    assert kube(cluster, "PATCH", SEED_HPA, {"spec": {"metrics": 5}})[0] == 200  # a number, not a list


def deletes(cluster: RunningEmulator, since: int) -> list[str]:
    return [r.url.path for r in operator_requests(cluster)[since:] if r.method.value == "DELETE"]


def test_a_malformed_object_is_in_the_report_until_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        assert report_failures(cluster) == {"total": 0, "notListed": 0, "items": []}
        before = findings(cluster)
        start = len(cluster.requests())
        broken = time.monotonic()
        break_hpa(cluster)
        failures = op.wait_until(
            lambda: (f := report_failures(cluster)) and f["total"] and f, "the failure in the report"
        )
        shown = time.monotonic() - broken
        [item] = failures["items"]
        assert {k: item[k] for k in ("type", "kind", "namespace", "name")} == {
            "type": "object",
            "kind": "HorizontalPodAutoscaler",
            "namespace": "other",
            "name": "api",
        }
        assert "spec.metrics" in item["reason"], item
        metrics = http_get(f"http://127.0.0.1:{op.runtime.port}/metrics")[1]
        assert 'kgov_evaluation_failures_total{kind="object"} 1.0' in metrics
        assert findings(cluster) == before and FIXED in by_check(cluster)  # its Finding is kept

        fixed = time.monotonic()
        assert kube(cluster, "PATCH", SEED_HPA, {"spec": {"metrics": []}})[0] == 200
        op.wait_until(lambda: report_failures(cluster).get("total") == 0, "the failure to leave the report")
        print(
            f"\nin the report {shown:.2f} s after the object broke, out {time.monotonic() - fixed:.2f} s after the fix"
        )
        op.settle()
        assert findings(cluster).keys() == before.keys() and deletes(cluster, start) == []


def test_a_restart_with_a_malformed_object_deletes_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster:
        with running_operator(cluster, tmp_path, monkeypatch):
            pass
        before = findings(cluster)
        assert FIXED in by_check(cluster)
        break_hpa(cluster)
        start = len(cluster.requests())
        with running_operator(cluster, tmp_path, monkeypatch) as op:
            op.wait_until(lambda: report_failures(cluster).get("total") == 1, "the failure in the report")
        assert deletes(cluster, start) == []
        assert findings(cluster).keys() == before.keys()
