"""The operator's engine fed watched objects and Prometheus evidence measured by the real server (the
session fixture `server` of conftest.py): measured Findings, evidence health in the GovernanceReport,
the last good evidence kept for a bounded time, and no rewrite for small moves of measured values."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import evidence_series as es
from conftest import Server, free_port
from kgov.analysis import Capabilities, resolve_params
from kgov.checks.builtin import default_registry
from kgov.config import Config, PrometheusSettings
from kgov.engine import Engine, WritePlan
from kgov.engine.measured import close
from kgov.evidence import collect_evidence, signals_for
from kgov.model.evidence import Evidence

MAX_AGE = 600.0
MEASURED = {
    ("qos.cpu-throttled", "Deployment/api"),
    ("qos.memory-near-limit", "Deployment/cache"),
    ("qos.oom-killed", "Deployment/worker"),
    ("autoscaling.hpa-on-starved-pods", "Deployment/api"),
    ("autoscaling.hpa-on-starved-pods", "Deployment/worker"),
    ("autoscaling.scaling-oscillation", "HorizontalPodAutoscaler/flappy"),
    ("ingress.reload-churn", "IngressClass/nginx"),
    ("ingress.reload-failing", "Deployment/ingress-nginx-controller"),
}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fed_engine(server: Server) -> tuple[Engine, Clock]:
    registry, config = default_registry(), Config()
    clock = Clock(server.end.timestamp())
    engine = Engine(
        registry,
        config,
        resolve_params(registry, config),
        capabilities=Capabilities(live=True, history=True, prometheus=True),
        clock=clock,
        evidence_max_age_s=MAX_AGE,
    )
    for body in yaml.safe_load_all(es.manifests()):
        engine.apply_event(None, body)
    return engine, clock


def measure(engine: Engine, server: Server, url: str | None = None) -> Evidence:
    subjects = engine.evidence_subjects()
    assert subjects is not None
    settings = PrometheusSettings.model_validate(
        {"url": url or server.url, "timeout_seconds": 5, "labels": {"cluster": "incident"}}
    )
    return collect_evidence(subjects, settings, signals_for(engine.measured_checks), server.end)


def created(plan: WritePlan) -> set[tuple[str, str]]:
    return {(b["spec"]["check"], b["spec"]["target"]["ref"]) for b in plan.creates}


def measured_created(plan: WritePlan) -> set[tuple[str, str]]:
    return {c for c in created(plan) if c[0] in {check for check, _ in MEASURED}}


def evidence_status(plan: WritePlan) -> dict[str, Any]:
    assert plan.report is not None
    status: dict[str, Any] = plan.report["status"]["evidence"]["prometheus"]
    return status


def scaled(evidence: Evidence, factor: float) -> Evidence:
    """The same evidence with every measured value multiplied by `factor`."""
    signals = {
        signal: result.model_copy(
            update={"series": [s.model_copy(update={"value": s.value * factor}) for s in result.series]}
        )
        for signal, result in evidence.signals.items()
    }
    return evidence.model_copy(update={"signals": signals})


@pytest.fixture
def measured(server: Server) -> tuple[Engine, Clock, Evidence, WritePlan]:
    engine, clock = fed_engine(server)
    first = engine.evaluate()
    assert not measured_created(first)  # no evidence yet: the measured checks decide nothing
    evidence = measure(engine, server)
    engine.set_evidence(evidence)
    return engine, clock, evidence, engine.evaluate()


def test_evidence_from_the_real_server_makes_the_measured_findings(
    measured: tuple[Engine, Clock, Evidence, WritePlan],
) -> None:
    engine, _, evidence, plan = measured
    assert evidence.health.reachable and not evidence.health.failures
    assert measured_created(plan) == MEASURED
    throttled = next(b for b in plan.creates if b["spec"]["check"] == "qos.cpu-throttled")
    assert throttled["spec"]["evidence"]["source"] == "prometheus"
    assert throttled["spec"]["evidence"]["value"] == pytest.approx(0.4, abs=0.01)
    assert evidence_status(plan) == {"configured": True, "reachable": True, "lastError": None}
    assert engine.measured_reload_rates() == {("IngressClass", "nginx"): pytest.approx(120, abs=3)}
    # The same evidence again: nothing to write, not even the report.
    engine.set_evidence(evidence)
    assert engine.evaluate().empty


def test_small_moves_of_measured_values_are_not_written(
    measured: tuple[Engine, Clock, Evidence, WritePlan],
) -> None:
    engine, _, evidence, _ = measured
    engine.set_evidence(scaled(evidence, 1.03))
    assert engine.evaluate().empty
    engine.set_evidence(scaled(evidence, 1.5))
    moved = engine.evaluate()
    patched = {p.key[2] for p in moved.patches}
    assert any("cpu-throttled" in name for name in patched), patched
    assert not moved.creates and not moved.deletes


def test_an_unreachable_server_is_reported_and_last_good_evidence_kept_for_a_while(
    measured: tuple[Engine, Clock, Evidence, WritePlan], server: Server
) -> None:
    engine, clock, _, _ = measured
    down = measure(engine, server, url=f"http://127.0.0.1:{free_port()}")
    assert not down.health.reachable
    engine.set_evidence(down)
    plan = engine.evaluate()
    status = evidence_status(plan)
    assert status["configured"] is True and status["reachable"] is False and status["lastError"]
    assert not plan.deletes and not plan.creates and not plan.patches  # measured findings kept
    # Failing again, health unchanged: no write at all.
    clock.now += MAX_AGE / 2
    engine.set_evidence(down)
    assert engine.evaluate().empty
    # Past the bound the checks cannot decide any more: their measured findings go, and the report
    # still says the source is unreachable.
    clock.now += MAX_AGE
    engine.set_evidence(down)
    gone = engine.evaluate()
    deleted = {key[2] for key in gone.deletes}
    assert any("cpu-throttled" in name for name in deleted)
    assert any("reload-failing" in name for name in deleted)
    assert not engine.evidence.reachable
    # Back up: measured again.
    engine.set_evidence(measure(engine, server))
    back = engine.evaluate()
    assert measured_created(back) == MEASURED
    assert evidence_status(back)["reachable"] is True


def test_prometheus_no_longer_configured_drops_the_measured_findings(
    measured: tuple[Engine, Clock, Evidence, WritePlan],
) -> None:
    engine, _, _, _ = measured
    engine.set_evidence(None)
    plan = engine.evaluate()
    assert evidence_status(plan) == {"configured": False, "reachable": False, "lastError": None}
    deleted = {key[2] for key in plan.deletes}
    assert any("cpu-throttled" in name for name in deleted)


def test_closeness_of_evidence() -> None:
    held = {"value": 0.4, "containers": [{"ratio": 0.4, "samples": 240}], "source": "prometheus"}
    assert close(
        held, {"value": 0.42, "containers": [{"ratio": 0.41, "samples": 236}], "source": "prometheus"}
    )
    assert not close(
        held, {"value": 0.5, "containers": [{"ratio": 0.5, "samples": 240}], "source": "prometheus"}
    )
    assert not close(held, {**held, "containers": []})
    assert not close({"flag": True}, {"flag": 1.05})
    assert not close(held, {**held, "source": "watch"})
    assert close({"workingSet": "490Mi"}, {"workingSet": "505Mi"})
    assert not close({"workingSet": "490Mi"}, {"workingSet": "600Mi"})
    assert not close({"time": "2026-01-01T00:00:00Z"}, {"time": "2026-01-01T00:01:00Z"})
