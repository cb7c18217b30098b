"""The operator's policy reports against a scripted API: what is written, and what is not.

Writes happen only when a report's results change (not for its timestamps or summary), each result
keeps the timestamp it was first written with, failures follow the Findings writer's rules (transient
ones tried again, 403/422 not until the content changes), another tool's report is never touched, and
what exists is read again after `relist_seconds`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kgov.findings.model import Category, Finding, Severity
from kgov.model.objects import ObjectRef
from kgov.operator import policyreports
from kgov.operator.backoff import Backoff
from kgov.operator.client import ApiError
from kgov.operator.policyreports import PolicyReports
from kgov.operator.writer import WriteResult
from kgov.report.policyreport import OPENREPORTS

REPORTS = "/apis/openreports.io/v1alpha1/namespaces/{ns}/reports"
CLUSTER_REPORTS = "/apis/openreports.io/v1alpha1/clusterreports"
OURS = {"app.kubernetes.io/managed-by": "kube-governor"}


def _finding(name: str, namespace: str | None = "shop", severity: Severity = Severity.HIGH) -> Finding:
    kind = "Deployment" if namespace else "IngressClass"
    return Finding(
        check="qos.best-effort",
        category=Category.RESOURCES,
        severity=severity,
        target=ObjectRef(kind, name, namespace, "apps/v1" if namespace else "networking.k8s.io/v1"),
        message=f"{kind} {name} has no requests",
        remediation="Set requests.",
    )


class FakeApi:
    """Reports by path; every request logged; `fail` maps (method, path) to the status to answer."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self.fail: dict[tuple[str, str], int] = {}

    async def call(self, verb: str, kind: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        self.log.append(f"{method} {path}")
        status = self.fail.get((method, path.split("?")[0]))
        if status is not None:
            raise ApiError(status, method, path, "injected")
        if method == "GET" and "?" in path:
            plural = path.split("?")[0].rsplit("/", 1)[1]
            items = [o for p, o in self.objects.items() if p.split("/")[-2] == plural]
            return {"items": items}
        if method == "GET":
            if path not in self.objects:
                raise ApiError(404, method, path, "not found")
            return self.objects[path]
        if method == "POST":
            name = body["metadata"]["name"]
            if f"{path}/{name}" in self.objects:
                raise ApiError(409, method, path, "exists")
            self.objects[f"{path}/{name}"] = body
            return body
        if method == "PATCH":
            if path not in self.objects:
                raise ApiError(404, method, path, "not found")
            merged = {**self.objects[path], **{k: v for k, v in body.items() if k != "metadata"}}
            self.objects[path] = merged
            return merged
        if method == "DELETE":
            if self.objects.pop(path, None) is None:
                raise ApiError(404, method, path, "not found")
            return {}
        raise AssertionError(method)

    def take_log(self) -> list[str]:
        log, self.log = self.log, []
        return log


class Clock:
    def __init__(self) -> None:
        self.monotonic = 0.0
        self.wall = datetime(2026, 1, 1, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += timedelta(seconds=seconds)


RETRY = Backoff(first=2.0, cap=10.0)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reports(api: FakeApi, clock: Clock) -> PolicyReports:
    return PolicyReports(
        OPENREPORTS,
        api.call,
        relist_seconds=3600,
        retry=RETRY,
        clock=lambda: clock.monotonic,
        now=lambda: clock.wall,
    )


def _sync(reports: PolicyReports, findings: list[Finding]) -> WriteResult:
    outcome = WriteResult()
    asyncio.run(reports.sync(findings, outcome))
    return outcome


def _shop(api: FakeApi) -> dict[str, Any]:
    return api.objects[REPORTS.format(ns="shop") + "/kgov"]


def test_first_sync_lists_then_creates_one_report_per_scope(reports: PolicyReports, api: FakeApi) -> None:
    outcome = _sync(reports, [_finding("web"), _finding("api", "other"), _finding("nginx", None)])
    assert outcome == WriteResult(written=3)
    log = api.take_log()
    assert log[:2] == [
        "GET /apis/openreports.io/v1alpha1/reports?labelSelector=app.kubernetes.io/managed-by%3Dkube-governor",
        "GET /apis/openreports.io/v1alpha1/clusterreports?labelSelector=app.kubernetes.io/managed-by%3Dkube-governor",
    ]
    assert sorted(log[2:]) == [
        f"POST {CLUSTER_REPORTS}",
        f"POST {REPORTS.format(ns='other')}",
        f"POST {REPORTS.format(ns='shop')}",
    ]


def test_nothing_changed_means_no_request(reports: PolicyReports, api: FakeApi, clock: Clock) -> None:
    _sync(reports, [_finding("web")])
    api.take_log()
    clock.advance(30)
    assert _sync(reports, [_finding("web")]) == WriteResult()
    assert api.take_log() == []


def test_timestamps_and_summary_alone_cause_no_write(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    _sync(reports, [_finding("web")])
    api.take_log()
    reports.relist()  # forget everything known: the comparison is with what the API holds
    clock.advance(30)
    assert _sync(reports, [_finding("web")]) == WriteResult()
    assert [r for r in api.take_log() if not r.startswith("GET")] == []


def test_a_changed_report_is_patched_and_old_results_keep_their_timestamp(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    _sync(reports, [_finding("web")])
    first = _shop(api)["results"][0]["timestamp"]
    clock.advance(30)
    api.take_log()
    outcome = _sync(reports, [_finding("web"), _finding("api", severity=Severity.LOW)])
    assert outcome == WriteResult(written=1)
    assert api.take_log() == [f"PATCH {REPORTS.format(ns='shop')}/kgov"]
    stamps = {r["resources"][0]["name"]: r["timestamp"]["seconds"] for r in _shop(api)["results"]}
    assert stamps == {"web": first["seconds"], "api": first["seconds"] + 30}
    assert _shop(api)["summary"] == {"pass": 0, "fail": 1, "warn": 1, "error": 0, "skip": 0}


def test_a_namespace_without_findings_loses_its_report(reports: PolicyReports, api: FakeApi) -> None:
    _sync(reports, [_finding("web"), _finding("api", "other")])
    api.take_log()
    assert _sync(reports, [_finding("web")]) == WriteResult(written=1)
    assert api.take_log() == [f"DELETE {REPORTS.format(ns='other')}/kgov"]


def test_another_tools_report_of_the_same_name_is_left_alone(reports: PolicyReports, api: FakeApi) -> None:
    theirs = {
        "metadata": {"name": "kgov", "namespace": "shop", "labels": {"owner": "someone"}},
        "results": [],
    }
    api.objects[REPORTS.format(ns="shop") + "/kgov"] = theirs
    outcome = _sync(reports, [_finding("web")])
    assert outcome.again and not outcome.written and not outcome.failed
    assert api.take_log()[2:] == [
        f"POST {REPORTS.format(ns='shop')}",
        f"GET {REPORTS.format(ns='shop')}/kgov",
    ]
    # Never patched, never deleted, not tried again until the next listing.
    assert _sync(reports, [_finding("web"), _finding("api")]) == WriteResult()
    assert _sync(reports, []) == WriteResult()
    assert api.take_log() == []
    assert _shop(api) is theirs


def test_transient_failures_are_tried_again_once_their_backoff_ends(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    api.fail[("POST", REPORTS.format(ns="shop"))] = 503
    outcome = _sync(reports, [_finding("web"), _finding("api", "other")])
    assert outcome == WriteResult(written=1, failed=1)
    api.take_log()
    # Held for its backoff (1 to 2 s after a first failure): evaluations meanwhile do not send it, but
    # write the other reports as their findings change.
    clock.advance(0.9)
    assert _sync(
        reports, [_finding("web"), _finding("api", "other"), _finding("db", "other")]
    ) == WriteResult(written=1)
    assert api.take_log() == [f"PATCH {REPORTS.format(ns='other')}/kgov"]
    assert reports.holds.next_due() is not None
    del api.fail[("POST", REPORTS.format(ns="shop"))]
    clock.advance(RETRY.first)
    assert _sync(
        reports, [_finding("web"), _finding("api", "other"), _finding("db", "other")]
    ) == WriteResult(written=1)
    assert api.take_log() == [f"POST {REPORTS.format(ns='shop')}"]
    assert reports.holds.next_due() is None  # the success ends the hold: a next failure starts afresh


def test_a_rejected_report_is_not_sent_again_until_it_changes(reports: PolicyReports, api: FakeApi) -> None:
    api.fail[("POST", REPORTS.format(ns="shop"))] = 422
    assert _sync(reports, [_finding("web")]) == WriteResult(failed=1)
    api.take_log()
    assert _sync(reports, [_finding("web")]) == WriteResult()
    assert api.take_log() == []
    assert _sync(reports, [_finding("web"), _finding("api")]) == WriteResult(failed=1)
    assert api.take_log() == [f"POST {REPORTS.format(ns='shop')}"]


def test_a_report_deleted_meanwhile_is_created_again(reports: PolicyReports, api: FakeApi) -> None:
    _sync(reports, [_finding("web")])
    del api.objects[REPORTS.format(ns="shop") + "/kgov"]
    assert _sync(reports, [_finding("web"), _finding("api")]).again  # the patch finds nothing: 404
    assert _sync(reports, [_finding("web"), _finding("api")]) == WriteResult(written=1)
    assert len(_shop(api)["results"]) == 2


def test_a_report_deleted_by_hand_comes_back_at_the_next_listing(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    _sync(reports, [_finding("web")])
    del api.objects[REPORTS.format(ns="shop") + "/kgov"]
    assert _sync(reports, [_finding("web")]) == WriteResult()  # not known yet: nothing read, nothing written
    clock.advance(3600)
    assert _sync(reports, [_finding("web")]) == WriteResult(written=1)
    assert _shop(api)["results"]


def test_a_failed_listing_writes_nothing_and_is_tried_again(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    api.fail[("GET", "/apis/openreports.io/v1alpha1/reports")] = 503
    assert _sync(reports, [_finding("web")]) == WriteResult(failed=1)
    assert [r for r in api.take_log() if not r.startswith("GET")] == []
    api.fail.clear()
    assert _sync(reports, [_finding("web")]) == WriteResult()  # within the backoff: no request
    assert api.take_log() == []
    clock.advance(RETRY.first)
    assert _sync(reports, [_finding("web")]) == WriteResult(written=1)


def test_a_listing_held_after_a_failure_and_then_refused_leaves_nothing_held(
    reports: PolicyReports, api: FakeApi, clock: Clock
) -> None:
    api.fail[("GET", "/apis/openreports.io/v1alpha1/reports")] = 503
    assert _sync(reports, [_finding("web")]) == WriteResult(failed=1)
    api.fail[("GET", "/apis/openreports.io/v1alpha1/reports")] = 404  # the CRD went meanwhile
    clock.advance(RETRY.cap)
    assert _sync(reports, [_finding("web")]) == WriteResult()
    assert reports.holds.next_due() is None  # nothing for the evaluator to wake up for


def test_reports_wait_for_their_crd_without_holding_back_evaluations(
    reports: PolicyReports, api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail[("GET", "/apis/openreports.io/v1alpha1/reports")] = 404  # the CRD is not installed
    for _ in range(3):
        assert _sync(reports, [_finding("web")]) == WriteResult()  # no `again`: no retry loop
    assert len([r for r in caplog.records if "cannot list Report" in r.getMessage()]) == 1
    assert [r for r in api.take_log() if not r.startswith("GET")] == []
    api.fail.clear()  # installed: the next evaluation writes
    assert _sync(reports, [_finding("web")]) == WriteResult(written=1)


def test_a_bug_is_counted_not_raised(reports: PolicyReports) -> None:
    async def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError("bug")

    reports._call = broken
    assert _sync(reports, [_finding("web")]) == WriteResult(failed=1)
    assert reports.holds.next_due() is not None  # tried again after the backoff, not at every evaluation


def test_a_report_too_large_for_the_api_keeps_its_most_severe_results(
    reports: PolicyReports, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policyreports, "MAX_REPORT_BYTES", 20_000)
    many = [_finding(f"web-{i}", severity=Severity.LOW) for i in range(60)]
    many += [_finding(f"db-{i}", severity=Severity.CRITICAL) for i in range(5)]
    assert _sync(reports, many) == WriteResult(written=1)
    report = _shop(api)
    assert len(json.dumps(report)) <= 20_000
    *listed, note = report["results"]
    assert {r["resources"][0]["name"] for r in listed} >= {f"db-{i}" for i in range(5)}
    assert note["result"] == "skip" and note["message"].startswith(f"{65 - len(listed)} less severe findings")
    assert "kubectl get findings -n shop" in note["message"]
    assert sum(report["summary"].values()) == len(report["results"])
