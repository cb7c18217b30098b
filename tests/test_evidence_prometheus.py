"""The evidence layer against a real Prometheus server (Debian package `prometheus`, with promtool).

The series of `evidence_series` are written as OpenMetrics, turned into TSDB blocks by
`promtool tsdb create-blocks-from openmetrics`, and served by a real `prometheus` on a free loopback
port, started once per test session. The series end a few minutes before the session starts (blocks in
the future are refused, blocks past retention are deleted) and the queries are evaluated at that end
time, so every run sees the same numbers; one CLI test evaluates at "now" instead.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import evidence_series as es
from conftest import Server, free_port
from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.cli import main
from kgov.config import Config, PrometheusSettings
from kgov.evidence import CHECK_SIGNALS, collect_evidence, signals_for
from kgov.inventory import Inventory
from kgov.model.evidence import Evidence, Signal
from kgov.model.facts import Facts
from kgov.sources.files import load_text

EVIDENCE_CHECKS = sorted(CHECK_SIGNALS)


def settings(url: str, cluster: str | None = "incident", **extra: object) -> PrometheusSettings:
    return PrometheusSettings.model_validate(
        {"url": url, "timeout_seconds": 5, "labels": {"cluster": cluster}, **extra}
    )


def inventory() -> Inventory:
    loaded = load_text(es.manifests(), "cluster.yaml")
    assert not loaded.errors
    return Inventory(loaded.objects, live=True)


def run(evidence: Evidence, inv: Inventory, checks: list[str] = EVIDENCE_CHECKS) -> Evaluation:
    registry = default_registry()
    config = Config()
    return evaluate(
        inv,
        select_checks(registry, config, checks),
        config,
        resolve_params(registry, config),
        Capabilities(live=True, prometheus=True),
        now=evidence.evaluated_at,
        facts=Facts(evidence=evidence),
    )


def measure(server: Server, cluster: str | None = "incident", **extra: object) -> tuple[Evidence, Inventory]:
    inv = inventory()
    found = collect_evidence(
        inv, settings(server.url, cluster, **extra), signals_for(EVIDENCE_CHECKS), server.end
    )
    return found, inv


def by_check(evaluation: Evaluation) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in evaluation.findings:
        found.setdefault(finding.check, []).append(f"{finding.target.kind}/{finding.target.name}")
    return {k: sorted(v) for k, v in found.items()}


# ---- the scenarios -----------------------------------------------------------------------------------


def test_every_check_fires_on_its_scenario(server: Server) -> None:
    evidence, inv = measure(server)
    assert evidence.health.reachable and not evidence.health.failures
    evaluation = run(evidence, inv)
    assert not evaluation.errors
    assert by_check(evaluation) == {
        "qos.cpu-throttled": ["Deployment/api"],
        "qos.memory-near-limit": ["Deployment/cache"],
        "qos.oom-killed": ["Deployment/worker"],
        "autoscaling.hpa-on-starved-pods": ["Deployment/api", "Deployment/worker"],
        "autoscaling.scaling-oscillation": ["HorizontalPodAutoscaler/flappy"],
        "ingress.reload-churn": ["IngressClass/nginx"],
        "ingress.reload-failing": ["Deployment/ingress-nginx-controller"],
    }
    # sparse has three samples: the check says it cannot decide, for that workload only.
    assert [(s.check, s.target.name if s.target else None) for s in evaluation.skipped] == [
        ("qos.cpu-throttled", "sparse")
    ]


def findings(evaluation: Evaluation, check: str) -> list[dict[str, object]]:
    return [f.evidence for f in evaluation.findings if f.check == check]


def test_measured_values_and_provenance(server: Server) -> None:
    evidence, inv = measure(server)
    evaluation = run(evidence, inv)
    (throttled,) = findings(evaluation, "qos.cpu-throttled")
    assert throttled["value"] == pytest.approx(0.4, abs=0.01)
    assert throttled["threshold"] == 0.25 and throttled["window"] == "1h"
    assert throttled["source"] == "prometheus"
    assert 'cluster="incident"' in str(throttled["query"]) and "[1h]" in str(throttled["query"])
    (near,) = findings(evaluation, "qos.memory-near-limit")
    (cache,) = near["containers"]  # type: ignore[misc]
    # 240 or 241 samples: whether a range's left edge is included changed across Prometheus versions
    assert cache.pop("samples") in (240, 241)
    assert cache == {
        "container": "cache",
        "pod": es.pod_name("cache"),
        "workingSet": "490Mi",
        "limit": "512Mi",
        "ratio": 0.957,
    }
    (oom,) = findings(evaluation, "qos.oom-killed")
    assert oom["source"] == "prometheus" and oom["value"] == pytest.approx(2, abs=0.2)
    (flapping,) = findings(evaluation, "autoscaling.scaling-oscillation")
    assert flapping["changes"] == 30 and flapping["reversals"] == 29
    assert flapping["value"] == 30 and flapping["threshold"] == 12
    (churn,) = findings(evaluation, "ingress.reload-churn")
    assert churn["source"] == "prometheus" and churn["estimated"] is False
    assert churn["value"] == pytest.approx(120, abs=3)
    assert [f.severity.value for f in evaluation.findings if f.check == "ingress.reload-churn"] == ["high"]
    (failing,) = findings(evaluation, "ingress.reload-failing")
    pods = failing["pods"]
    assert isinstance(pods, list) and [p["pod"] for p in pods] == [f"ingress-nginx/{es.FAILING_POD}"]
    assert pods[0]["lastReloadSuccessful"] == 0 and pods[0]["reloadErrors"] == pytest.approx(10, abs=1)


def test_quiet_on_the_healthy_baseline(server: Server) -> None:
    evidence, inv = measure(server, cluster="baseline")
    evaluation = run(evidence, inv)
    assert evaluation.findings == []
    assert [s.target.name for s in evaluation.skipped if s.target] == ["sparse"] * len(evaluation.skipped)
    reloads = evidence.result(Signal.RELOADS).series
    assert {s.labels["controller_pod"] for s in reloads} == {es.BUSY_POD, es.FAILING_POD}
    assert all(s.value == pytest.approx(3, abs=1) for s in reloads)


def test_empty_results_decide_nothing_and_skip_nothing(server: Server) -> None:
    evidence, inv = measure(server, cluster="nowhere")
    assert evidence.health.reachable
    assert all(not r.series and r.error is None for r in evidence.signals.values())
    evaluation = run(evidence, inv)
    assert evaluation.findings == [] and evaluation.skipped == []


def test_too_few_samples_is_unknown_not_a_pass(server: Server) -> None:
    evidence, inv = measure(server, min_samples=500)  # more than the 2 hours of data can hold
    evaluation = run(evidence, inv, ["qos.cpu-throttled"])
    assert evaluation.findings == []
    assert {s.target.name for s in evaluation.skipped if s.target} == {"api", "cache", "worker", "sparse"}
    assert all("fewer than the 500 required" in s.reason for s in evaluation.skipped)


def test_queries_are_batched_per_namespace_with_escaped_names(server: Server) -> None:
    evidence, _ = measure(server)
    query = evidence.result(Signal.CPU_THROTTLING).query
    assert 'namespace="shop"' in query
    assert f'pod=~"{es.pod_name("api")}|{es.pod_name("cache")}|' in query


# ---- a failing source -------------------------------------------------------------------------------


def test_server_down_makes_every_check_report_evidence_unavailable() -> None:
    inv = inventory()
    port = free_port()  # nothing listens there
    evidence = collect_evidence(inv, settings(f"http://127.0.0.1:{port}"), signals_for(EVIDENCE_CHECKS))
    assert not evidence.health.reachable and "cannot connect" in (evidence.health.last_error or "")
    evaluation = run(evidence, inv)
    assert evaluation.findings == []
    assert sorted(s.check for s in evaluation.skipped) == EVIDENCE_CHECKS
    assert all(
        s.reason.startswith("evidence unavailable: Prometheus unreachable") for s in evaluation.skipped
    )


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_slow_server_times_out(silent_server: str) -> None:
    inv = inventory()
    started = time.monotonic()
    evidence = collect_evidence(inv, settings(silent_server, timeout_seconds=1), signals_for(EVIDENCE_CHECKS))
    assert time.monotonic() - started < 10  # one timed-out query stops the whole collection
    assert not evidence.health.reachable
    assert evidence.health.last_error == "no answer within 1s"
    evaluation = run(evidence, inv, ["ingress.reload-failing"])
    assert evaluation.findings == []
    assert [s.reason for s in evaluation.skipped] == [
        "evidence unavailable: Prometheus unreachable (no answer within 1s)"
    ]


def test_refused_queries_fail_their_signals_only(server: Server) -> None:
    # A path prefix Prometheus does not serve: the server answers every query with 404.
    inv = inventory()
    evidence = collect_evidence(inv, settings(f"{server.url}/no-such-prefix"), {Signal.RELOADS}, server.end)
    assert evidence.health.reachable
    assert set(evidence.health.failures) == {"reloads"}
    assert "HTTP Status Code 404" in (evidence.health.last_error or "")
    evaluation = run(evidence, inv, ["ingress.reload-churn"])
    (skipped,) = evaluation.skipped
    assert skipped.reason.startswith("evidence unavailable: reloads query failed (HTTP Status Code 404")


def test_unreadable_token_file_is_reported_not_raised(server: Server, tmp_path: Path) -> None:
    inv = inventory()
    missing = tmp_path / "token"
    evidence = collect_evidence(
        inv, settings(server.url, bearer_token_file=str(missing)), {Signal.RELOADS}, server.end
    )
    assert not evidence.health.reachable
    assert evidence.health.last_error == f"cannot read bearer_token_file {missing}: No such file or directory"
    missing.write_text("s3cret\n")
    evidence = collect_evidence(
        inv,
        settings(server.url, bearer_token_file=str(missing), headers={"X-Scope-OrgID": "t1"}),
        {Signal.RELOADS},
        server.end,
    )
    assert evidence.health.reachable and evidence.result(Signal.RELOADS).series


def test_collection_runs_off_the_event_loop(server: Server) -> None:
    inv = inventory()

    async def collect() -> Evidence:
        return await asyncio.to_thread(
            collect_evidence, inv, settings(server.url), {Signal.HPA_DESIRED_REPLICAS}, server.end
        )

    evidence = asyncio.run(collect())
    flappy = evidence.matching(Signal.HPA_DESIRED_REPLICAS, horizontalpodautoscaler="flappy")
    assert [s.value for s in flappy] == [30]


# ---- the command line --------------------------------------------------------------------------------


def test_cli_scan_with_prometheus_evaluates_now(server: Server, tmp_path: Path) -> None:
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(es.manifests())
    config = tmp_path / "kgov.yaml"
    config.write_text(yaml.safe_dump({"prometheus": {"labels": {"cluster": "incident"}, "window": "30m"}}))
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(manifests),
            "--prometheus",
            server.url,
            "--config",
            str(config),
            "--checks",
            "ingress.reload-churn,ingress.reload-failing,autoscaling.scaling-oscillation",
            "-o",
            "json",
        ],
    )
    report = json.loads(result.output)
    assert result.exit_code == 1, result.output
    assert report["summary"]["by_check"] == {
        "autoscaling.scaling-oscillation": 1,
        "ingress.reload-churn": 1,
        "ingress.reload-failing": 1,
    }
    churn = next(f for f in report["findings"] if f["check"] == "ingress.reload-churn")
    assert churn["evidence"]["window"] == "30m" and churn["evidence"]["source"] == "prometheus"


def test_cli_scan_with_prometheus_down_skips_with_the_reason(tmp_path: Path) -> None:
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(es.manifests())
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        main,
        ["scan", str(manifests), "--prometheus", url, "--checks", "ingress.reload-failing", "-o", "json"],
    )
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["findings"] == []
    (skipped,) = report["skipped"]
    assert skipped["check"] == "ingress.reload-failing"
    assert skipped["reason"].startswith("evidence unavailable: Prometheus unreachable (cannot connect")


def test_cli_rejects_a_bad_prometheus_url(tmp_path: Path) -> None:
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(es.manifests())
    result = CliRunner().invoke(main, ["scan", str(manifests), "--prometheus", "localhost:9090"])
    assert result.exit_code == 2 and "not an http:// or https:// URL" in result.output


def test_queries_without_extra_matchers_are_valid_promql(server: Server) -> None:
    evidence, _ = measure(server, cluster=None)
    assert evidence.health.reachable and evidence.health.failures == {}
    assert "nginx_ingress_controller_success{}[1h]" in evidence.result(Signal.RELOADS).query
    # both clusters' series now match: 2 pods × 2 clusters, without a cluster label in the keys
    assert len(evidence.result(Signal.RELOADS).series) == 2
