"""Contracts between layers held by types, not by strings: evidence sources, severities, what a check reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from helpers import run_checks
from kgov.analysis import Capabilities, resolve_params
from kgov.checks.builtin import default_registry
from kgov.checks.params import NoParams
from kgov.checks.registry import Check, CheckContext, Issue, Reach, Registry, SubjectKind
from kgov.config import Config
from kgov.engine import Engine
from kgov.findings.model import Category, Severity
from kgov.inventory import Workload
from kgov.model.evidence import Evidence, EvidenceSource, Series, Signal, SignalResult
from test_engine import Clock, deployment, feed, namespace, pod

GOOD = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}


def _measured_engine() -> Engine:
    registry, config = default_registry(), Config()
    return Engine(
        registry,
        config,
        resolve_params(registry, config),
        capabilities=Capabilities(live=True, history=True, prometheus=True),
        clock=Clock(),
    )


def _oom_events(count: float) -> Evidence:
    labels = {"namespace": "shop", "pod": "worker-1", "container": "app"}
    series = [Series(labels=labels, value=count, samples=60)]
    return Evidence(signals={Signal.OOM_EVENTS: SignalResult(query="oom", window="1h", series=series)})


def test_a_finding_from_status_and_prometheus_is_not_rewritten_for_a_small_move() -> None:
    """The engine skips rewrites for small moves of measured numbers; it recognised only evidence
    whose source was exactly "prometheus", so an OOM finding seen in status too was rewritten."""
    engine = _measured_engine()
    worker = deployment("worker", resources=GOOD)
    feed(engine, namespace("shop"), worker, pod(worker, "worker-1", oom=True))
    engine.set_evidence(_oom_events(20.0))
    first = engine.evaluate()
    [oom] = [b for b in first.creates if b["spec"]["check"] == "qos.oom-killed"]
    assert oom["spec"]["evidence"]["source"] == EvidenceSource.STATUS_PROMETHEUS.value

    engine.set_evidence(_oom_events(21.0))  # 5 %: the same finding
    assert engine.evaluate().empty
    engine.set_evidence(_oom_events(40.0))
    assert [p.key for p in engine.evaluate().patches] == [(oom["kind"], "shop", oom["metadata"]["name"])]


def test_measured_sources() -> None:
    assert EvidenceSource("status+prometheus").measured and EvidenceSource.PROMETHEUS.measured
    assert not any(s.measured for s in (EvidenceSource.SPEC, EvidenceSource.STATUS, EvidenceSource.WATCH))


_CRITICAL = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: shop}
spec:
  selector: {matchLabels: {app: billing}}
  template:
    metadata:
      labels: {app: billing, tier: data plane}
    spec:
      containers:
        - name: app
          image: registry.example/billing:1
          resources: {requests: {cpu: 100m, memory: 128Mi}}
"""


def test_critical_severity_follows_why_not_the_words_of_the_reason() -> None:
    """A selector match whose label happened to read "data plane" was taken for an ingress data plane."""
    check = "qos.critical-not-guaranteed"
    config = Config.model_validate({"checks": {check: {"params": {"selectors": [{"tier": "data plane"}]}}}})
    [finding] = run_checks(_CRITICAL, [check], config=config).findings
    assert finding.severity.value == "medium", finding.message


def _services_check(reads: Reach | None) -> Engine:
    def count(workload: Workload, context: CheckContext[NoParams]) -> Iterator[Issue]:
        services = len(context.inventory.network.services)
        yield Issue(f"{workload.obj.display()} shares the cluster with {services} Services")

    check = Check(
        "test.services",
        "t",
        Category.RESOURCES,
        Severity.LOW,
        SubjectKind.WORKLOAD,
        "c",
        "r.",
        count,
        NoParams,
    )
    registry, config = Registry([replace(check, reads=reads)]), Config()
    return Engine(registry, config, resolve_params(registry, config), capabilities=Capabilities(live=True))


def _service(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": {}}


def test_a_check_reading_across_namespaces_declares_it_and_is_rerun() -> None:
    """A workload check re-runs on its own workload's changes only, unless it declares what else it reads."""
    messages = {}
    for reads in (None, Reach.NETWORK):
        engine = _services_check(reads)
        feed(engine, namespace("shop"), deployment("web", resources=GOOD), _service("a", "other"))
        engine.evaluate()
        feed(engine, _service("b", "elsewhere"))
        engine.evaluate()
        [finding] = engine.desired_findings
        messages[reads] = finding.message
    assert messages[Reach.NETWORK].endswith("with 2 Services")
    assert messages[None].endswith("with 1 Services")  # what the declaration is for
