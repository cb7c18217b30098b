"""How the operator is put together: handlers, kopf settings, the writer's pieces, `kgov run`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import kopf
import pytest
from click.testing import CliRunner
from harness import by_check, emulated_cluster, http_get

from kgov.cli import main
from kgov.config import Config
from kgov.operator.informer import Resource
from kgov.operator.kinds import OWN, WATCHED, WatchedKind, object_path
from kgov.operator.main import prepare
from kgov.operator.options import NamespaceScope, RunOptions, load_operator_config
from kgov.operator.ownership import OwnedFindings
from kgov.operator.settings import NoDiffBaseStorage, NoProgressStorage, operator_settings
from kgov.operator.watches import discover
from kgov.operator.writer import RateLimiter


def test_kopf_handles_no_resource() -> None:
    registry = prepare(RunOptions()).registry
    # kopf logs in, starts and stops the runtime, and keeps the peering entry; it has no handler on
    # any resource (the informers read them), so it can store nothing on an object.
    for handlers in (registry._changing, registry._spawning, registry._webhooks, registry._watching):
        assert handlers.get_all_handlers() == []
    assert registry._indexing.get_all_handlers() == []
    assert not [k for k in (*WATCHED, *OWN) if "secret" in k.plural]


def test_kopf_storages_store_nothing() -> None:
    settings = operator_settings(standalone=True, peering=None)
    assert isinstance(settings.persistence.progress_storage, NoProgressStorage)
    assert isinstance(settings.persistence.diffbase_storage, NoDiffBaseStorage)
    assert settings.posting.enabled is False
    body = kopf.Body({"metadata": {"name": "web", "namespace": "shop", "annotations": {}}})
    patch = kopf.Patch()
    settings.persistence.progress_storage.store(key=kopf.HandlerId("h"), record={}, body=body, patch=patch)
    settings.persistence.progress_storage.touch(body=body, patch=patch, value="x")
    settings.persistence.diffbase_storage.store(body=body, patch=patch, essence={"spec": {}})
    assert not patch
    assert settings.persistence.progress_storage.fetch(key=kopf.HandlerId("h"), body=body) is None
    assert settings.persistence.diffbase_storage.fetch(body=body) is None


def test_peering_settings() -> None:
    standalone = operator_settings(standalone=True, peering=None)
    assert standalone.peering.standalone is True
    peered = operator_settings(standalone=False, peering="kgov")
    assert (peered.peering.standalone, peered.peering.name, peered.peering.mandatory) == (False, "kgov", True)


def test_namespace_scope() -> None:
    scope = NamespaceScope(include=("team-*", "shop"), exclude=("team-x",))
    assert scope.allows("shop") and scope.allows("team-a")
    assert not scope.allows("team-x") and not scope.allows("other")
    assert scope.allows(None)  # cluster-scoped objects
    assert scope.allows_object("Namespace", None, "shop")
    assert not scope.allows_object("Namespace", None, "other")
    assert NamespaceScope().allows("anything")


def test_object_paths() -> None:
    assert (
        object_path("Finding", "shop", "f", "status")
        == "/apis/kgov.io/v1alpha1/namespaces/shop/findings/f/status"
    )
    assert object_path("ClusterFinding", None) == "/apis/kgov.io/v1alpha1/clusterfindings"
    with pytest.raises(ValueError, match="needs a namespace"):
        object_path("Finding", None, "f")


def test_rate_limiter_spreads_writes_beyond_the_burst() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def take(count: int) -> None:
        limiter = RateLimiter(rate=10, burst=3, clock=lambda: now[0], sleep=sleep)
        for _ in range(count):
            await limiter.acquire()

    asyncio.run(take(3))
    assert slept == []
    asyncio.run(take(5))
    assert len(slept) == 2 and sum(slept) == pytest.approx(0.2)


def test_owned_findings_left_to_gc_only_when_every_owner_went() -> None:
    now = [0.0]
    owned = OwnedFindings(clock=lambda: now[0])
    body = {
        "kind": "Finding",
        "metadata": {"name": "f", "namespace": "shop", "ownerReferences": [{"uid": "u1"}]},
    }
    key = ("Finding", "shop", "f")
    owned.finding_event("ADDED", body)
    assert not owned.left_to_gc(key)
    owned.object_deleted("unrelated")
    assert not owned.left_to_gc(key)
    owned.object_deleted("u1")
    assert owned.left_to_gc(key)
    now[0] += 3600  # remembered for a while only: after that the operator deletes it itself
    assert not owned.left_to_gc(key)
    owned.object_deleted("u1")
    owned.finding_event("DELETED", body)
    assert not owned.left_to_gc(key)


def test_run_refuses_bad_flags_and_config(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(main, ["run", "--standalone", "--peering", "kgov"])
    assert both.exit_code == 2 and "exclude each other" in both.output
    bad = tmp_path / "config.yaml"
    bad.write_text("checks: {no.such-check: {}}\n", encoding="utf-8")
    refused = runner.invoke(main, ["run", "--config", str(bad)])
    assert refused.exit_code == 2 and "no.such-check" in refused.output
    missing = runner.invoke(main, ["run", "--config", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 2 and "absent.yaml" in missing.output
    assert "Traceback" not in both.output + refused.output + missing.output


def test_command_line_overrides_of_the_config(tmp_path: Path) -> None:
    capped = prepare(RunOptions(max_findings=7)).runtime
    assert capped.config.operator.max_findings == 7
    assert capped.engine.max_findings == 7
    if "prometheus" in Config.model_fields:  # the evidence layer's key
        config = load_operator_config(RunOptions(prometheus="http://prometheus:9090"))
        assert config.model_dump()["prometheus"]["url"] == "http://prometheus:9090"
    else:
        refused = CliRunner().invoke(main, ["run", "--prometheus", "http://prometheus:9090"])
        assert refused.exit_code == 2 and "Prometheus" in refused.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_kgov_run_against_a_kubeconfig(tmp_path: Path) -> None:
    """The real command in its own process: it serves /healthz, writes Findings, stops on SIGTERM."""
    port = _free_port()
    with emulated_cluster() as cluster:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["KUBECONFIG"] = str(cluster.write_kubeconfig(tmp_path / "kubeconfig"))
        command = [sys.executable, "-m", "kgov", "run", "--standalone", "--port", str(port)]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(by_check(cluster)) < 5:
                assert proc.poll() is None, proc.communicate()[0]
                time.sleep(0.1)
            assert len(by_check(cluster)) == 5
            assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Traceback" not in output


def test_discovery_tells_kinds_apart_by_group() -> None:
    pods, metrics_pods = WatchedKind("", "pods"), WatchedKind("metrics.k8s.io", "pods")
    deployments, vpa = (
        WatchedKind("apps", "deployments"),
        WatchedKind("autoscaling.k8s.io", "x", optional=True),
    )
    answers = {
        "/apis": {
            "groups": [
                {"name": "apps", "preferredVersion": {"version": "v1"}},
                {"name": "metrics.k8s.io", "preferredVersion": {"version": "v1beta1"}},
            ]
        },
        "/api/v1": {"resources": [{"name": "pods", "kind": "Pod", "namespaced": True}]},
        "/apis/apps/v1": {"resources": [{"name": "deployments/scale", "kind": "Scale", "namespaced": True}]},
        "/apis/metrics.k8s.io/v1beta1": {
            "resources": [{"name": "pods", "kind": "PodMetrics", "namespaced": True}]
        },
    }

    class Client:
        async def get(self, path: str) -> dict[str, object]:
            return answers[path]

    served = asyncio.run(discover(Client(), [pods, metrics_pods, deployments, vpa]))  # type: ignore[arg-type]
    assert served == {
        pods: Resource("", "v1", "pods", "Pod", True),
        metrics_pods: Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True),
    }
