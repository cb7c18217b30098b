"""The operator never causes churn itself: no writes for events that change no finding, restarts
converge without duplicates, and API errors (409, 404, 429, 5xx) are survived."""

from __future__ import annotations

import asyncio
import copy
import re
import threading
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kmock
import pytest
from harness import (
    FINDINGS,
    REPORTS,
    assert_only_own_writes,
    by_check,
    describe,
    emulated_cluster,
    findings,
    kube,
    operator_requests,
    running_operator,
    stored,
    writes,
)

from kube_emulator import RunningEmulator

EXPECTED_CHECKS = [
    "autoscaling.hpa-fixed-replicas",
    "gateway.parent-not-found",
    "ingress.eol-controller",
    "ingress.legacy-class-annotation",
    "qos.best-effort",
]
REPORT_STATUS = "PATCH /apis/kgov.io/v1alpha1/governancereports/cluster/status"


class Fault:
    """A kmock filter that matches the first `times` requests with this method and path pattern
    (and, with `watch`, only watch requests)."""

    def __init__(self, method: str, path: str, times: int = 1, *, watch: bool = False) -> None:
        self.method, self.path, self.left, self.watch = method, re.compile(path), times, watch
        self.after = -1  # request ids up to this one came before the fault was armed
        self.hits: list[str] = []
        self._matched: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, request: kmock.Request) -> bool:
        if request.id <= self.after:  # kmock also shows filters the requests already served
            return False
        if request.method != self.method or not self.path.search(request.url.path):
            return False
        if self.watch != (request.params.get("watch") == "true"):
            return False
        with self._lock:  # kmock may ask more than once about one request: answer the same
            if request.id in self._matched:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            self._matched.add(request.id)
            self.hits.append(request.url.path)
            return True


def inject(cluster: RunningEmulator, fault: Fault, status: int, **headers: str) -> Fault:
    """Answer the matching requests with `status`. (kmock still applies the write it intercepts, as
    an API server does when only its answer is lost.)"""
    body = {"apiVersion": "v1", "kind": "Status", "code": status, "message": f"injected {status}"}
    fault.after = max((r.id for r in cluster.requests()), default=-1)
    reaction = cluster.emulator[fault] << status
    if headers:
        reaction = reaction << headers
    reaction << body
    return fault


def _stale(template: dict[str, Any], name: str, **spec: Any) -> dict[str, Any]:
    body = copy.deepcopy(template)
    body["metadata"] = {
        k: v for k, v in body["metadata"].items() if k in ("namespace", "labels", "ownerReferences")
    }
    body["metadata"]["name"] = name
    body["spec"].update(spec)
    return body


def _put_finding(cluster: RunningEmulator, body: dict[str, Any]) -> None:
    resource = FINDINGS if body["kind"] == "Finding" else "kgov.io/v1alpha1/clusterfindings"
    cluster.put(resource, body)


def test_events_that_change_no_finding_cause_no_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        start = len(cluster.requests())
        mark = op.mark()
        # The same object sent again, twice, and changes no check cares about.
        deployment = "/apis/apps/v1/namespaces/shop/deployments/web"
        for _ in range(2):
            assert kube(cluster, "PATCH", deployment, {"metadata": {"labels": {"app": "web"}}})[0] == 200
        assert kube(cluster, "PATCH", deployment, {"status": {"observedGeneration": 7}})[0] == 200
        assert (
            kube(cluster, "PATCH", "/api/v1/namespaces/other", {"metadata": {"labels": {"team": "a"}}})[0]
            == 200
        )
        op.settle_after(mark, events=4)

        assert describe(writes(cluster, start)) == []
        assert_only_own_writes(cluster)


def test_watch_resync_causes_no_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first watch of these kinds is held open until `expire` is set, then ends with 410 Gone
    # (the resource version expired): kopf re-lists everything, as after a long disconnect.
    expire = threading.Event()
    relisted = ("deployments", "namespaces", "findings", "ingresses")
    first_watches = Fault("GET", "/(" + "|".join(relisted) + ")$", times=len(relisted), watch=True)

    async def expired_later() -> AsyncIterator[dict[str, Any]]:
        while not expire.is_set():
            await asyncio.sleep(0.02)
        yield {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}

    with emulated_cluster() as cluster:
        first_watches.after = max((r.id for r in cluster.requests()), default=-1)
        cluster.emulator[first_watches] << (lambda: expired_later())
        with running_operator(cluster, tmp_path, monkeypatch) as op:
            assert first_watches.left == 0  # every one of them is being held
            start = len(cluster.requests())
            mark = op.mark()
            expire.set()

            def lists() -> set[str]:
                return {
                    r.url.path.rsplit("/", 1)[-1]
                    for r in operator_requests(cluster, start)
                    if not r.params.get("watch")
                }

            op.wait_until(lambda: set(relisted) <= lists(), "every expired kind to be listed again")
            # The relisted objects come again: the two seeded namespaces at least.
            op.settle_after(mark, events=2)

        assert describe(writes(cluster, start)) == []
        assert sorted(by_check(cluster)) == EXPECTED_CHECKS
        assert_only_own_writes(cluster)


def test_restart_converges_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster() as cluster:
        with running_operator(cluster, tmp_path, monkeypatch):
            pass
        first = findings(cluster)
        names = {key[1] for key in first}

        # While the operator was away: one Finding no longer holds (a stale one for Deployment api),
        # one was changed by hand (and must be put back, keeping its firstSeen), one was deleted.
        best_effort = next(b for b in first.values() if b["spec"]["check"] == "qos.best-effort")
        stale = _stale(best_effort, "deployment-api-qos-best-effort-00000000", message="stale")
        stale["metadata"]["namespace"] = "other"
        _put_finding(cluster, stale)
        changed = copy.deepcopy(best_effort)
        changed["spec"]["message"] = "edited by hand"
        changed["status"]["firstSeen"] = "2026-01-01T00:00:00Z"
        _put_finding(cluster, changed)
        fixed = next(b for b in first.values() if b["spec"]["check"] == "autoscaling.hpa-fixed-replicas")
        assert (
            kube(
                cluster,
                "DELETE",
                f"/apis/kgov.io/v1alpha1/namespaces/other/findings/{fixed['metadata']['name']}",
            )[0]
            == 200
        )

        start = len(cluster.requests())
        with running_operator(cluster, tmp_path, monkeypatch):
            pass
        second = findings(cluster)
        done = describe(writes(cluster, start))

        assert {key[1] for key in second} == names
        assert Counter(b["spec"]["check"] for b in second.values()) == Counter(EXPECTED_CHECKS)
        restored = second["shop", best_effort["metadata"]["name"]]
        assert restored["spec"]["message"] == best_effort["spec"]["message"]
        assert restored["status"]["firstSeen"] == "2026-01-01T00:00:00Z"
        assert (
            "DELETE /apis/kgov.io/v1alpha1/namespaces/other/findings/deployment-api-qos-best-effort-00000000"
            in done
        )
        assert "POST /apis/kgov.io/v1alpha1/namespaces/other/findings" in done
        assert not [w for w in done if w.startswith("POST") and "/shop/" in w]  # nothing else re-created

        # A third start finds everything as it should be: only the report's evaluation time moves.
        start = len(cluster.requests())
        with running_operator(cluster, tmp_path, monkeypatch):
            pass
        assert describe(writes(cluster, start)) in ([], [REPORT_STATUS])
        assert findings(cluster) == second
        assert_only_own_writes(cluster)


def test_api_errors_are_survived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster() as cluster:
        with running_operator(cluster, tmp_path, monkeypatch):
            pass
        template = next(b for b in findings(cluster).values() if b["spec"]["check"] == "qos.best-effort")
        expected = findings(cluster)
        for (namespace, name), body in list(expected.items()):
            assert kube(cluster, "DELETE", _path(body, namespace, name))[0] == 200
        gone_404 = _stale(template, "deployment-web-qos-stale-404-00000000")
        gone_503 = _stale(template, "deployment-web-qos-stale-503-00000000")
        for body in (gone_404, gone_503):
            _put_finding(cluster, body)

        # Each fault matches requests no other fault matches (kmock asks every filter about a request).
        # kmock stores every write whatever it answers: these are answers lost after the write, so each
        # is made once (the client retries nothing), and what the writer tries again finds it done.
        conflict = inject(cluster, Fault("POST", r"/namespaces/shop/findings$"), 409)
        throttled = inject(
            cluster,
            Fault("PATCH", r"(best-effort|class-annotation)-[0-9a-f]+/status$"),
            429,
            **{"Retry-After": "0"},
        )
        failing = inject(cluster, Fault("POST", r"/clusterfindings$"), 500)
        missing = inject(cluster, Fault("DELETE", r"stale-404"), 404)
        unavailable = inject(cluster, Fault("DELETE", r"stale-503"), 503)
        broken = inject(cluster, Fault("PATCH", r"hpa-fixed-replicas-[0-9a-f]+/status$"), 503)
        report = inject(cluster, Fault("PATCH", r"governancereports/cluster/status$"), 503)
        # A token the API server stopped taking: the operator logs in again and goes on.
        unauthorized = inject(cluster, Fault("PATCH", r"parent-not-found-[0-9a-f]+/status$"), 401)

        start = len(cluster.requests())
        with running_operator(cluster, tmp_path, monkeypatch) as op:
            op.settle()
            registry = op.runtime.metrics.registry
            logins = op.runtime.credentials.logins
        done = describe(writes(cluster, start))

        for fault in (conflict, throttled, failing, missing, unavailable, broken, unauthorized, report):
            assert fault.left == 0, (fault.path, done)
        assert {key[1] for key in findings(cluster)} == {key[1] for key in expected}
        assert Counter(b["spec"]["check"] for b in findings(cluster).values()) == Counter(EXPECTED_CHECKS)
        # 409 on create: the existing object was read and adopted, never created twice.
        adopted = [
            r
            for r in operator_requests(cluster, start)
            if r.method == "GET" and "/shop/findings/" in r.url.path
        ]
        assert adopted, done
        # 404 on delete is done; 503 is retried until the object is gone. (kmock deleted it anyway:
        # the retry answers 404, unless the watch showed the delete before the retry was due.)
        assert done.count(f"DELETE {_path(gone_404, 'shop', gone_404['metadata']['name'])}") == 1
        assert done.count(f"DELETE {_path(gone_503, 'shop', gone_503['metadata']['name'])}") in (1, 2)
        assert (gone_503["metadata"]["namespace"], gone_503["metadata"]["name"]) not in findings(cluster)
        assert logins >= 2
        # The report's status patch failed and the report still holds the totals.
        [report_body] = stored(cluster, REPORTS).values()
        assert report_body["status"]["findings"] == len(EXPECTED_CHECKS)
        # The status patch that failed was counted once as a failed write.
        failed = {"verb": "patch", "kind": "Finding", "code": "503"}
        assert registry.get_sample_value("kgov_api_write_errors_total", failed) == 1
        # The retried 429s reached their status patches.
        assert all(b.get("status", {}).get("firstSeen") for b in findings(cluster).values())
        assert_only_own_writes(cluster)


def _path(body: dict[str, Any], namespace: str | None, name: str) -> str:
    if body["kind"] == "Finding":
        return f"/apis/kgov.io/v1alpha1/namespaces/{namespace}/findings/{name}"
    return f"/apis/kgov.io/v1alpha1/clusterfindings/{name}"
