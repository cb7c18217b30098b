"""A malformed object or a failing check costs only its own findings, and never deletes one: what
could not be decided keeps the Finding as it was."""

from __future__ import annotations

import copy
import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from kgov.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from engine import FakeClock, new_engine


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    container = {"name": "app", "image": "registry.example/app:1"}  # no resources: best-effort
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def hpa(name: str, metrics: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-hpa-{name}"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 3,
            "maxReplicas": 3,
            "metrics": metrics,
        },
    }


def cluster() -> Engine:
    engine = new_engine(FakeClock())
    for body in (deployment("web"), deployment("api"), hpa("api", [])):
        engine.apply_event(None, body)
    return engine


def checks_by_target(engine: Engine) -> set[tuple[str, str]]:
    return {(f.check, f.target.name) for f in engine.desired_findings}


BEST_EFFORT = "qos.best-effort"


def set_check(engine: Engine, check: str, fn: Any) -> None:
    engine._checks = [s if s.id != check else dataclasses.replace(s, fn=fn) for s in engine._checks]


def break_on_web(engine: Engine) -> Any:
    """Make qos.best-effort raise on Deployment shop/web, as a bug would, with everything to be
    evaluated again; the check's own function, to put back."""
    [spec] = [s for s in engine._checks if s.id == BEST_EFFORT]
    original = spec.fn

    def broken(subject: Any, context: Any) -> Any:
        if subject.obj.name == "web":
            raise TypeError("'int' object is not iterable")
        return original(subject, context)

    engine.reconfigure(engine.config, engine.params)
    set_check(engine, BEST_EFFORT, broken)
    return original


def test_an_unreadable_object_keeps_its_findings_and_is_reported() -> None:
    engine = cluster()
    engine.evaluate()
    before = checks_by_target(engine)
    assert ("autoscaling.hpa-fixed-replicas", "api") in before

    engine.apply_event("MODIFIED", hpa("api", 5))  # `metrics` a number: the HPA cannot be read
    plan = engine.evaluate()

    assert plan.deletes == [] and checks_by_target(engine) == before
    assert any("HorizontalPodAutoscaler shop/api" in e.message for e in engine.errors)
    # Fixed: decided again, the error is gone.
    engine.apply_event("MODIFIED", hpa("api", []))
    engine.evaluate()
    assert not engine.errors and checks_by_target(engine) == before


def test_a_check_that_raises_on_one_subject_keeps_its_findings_there() -> None:
    engine = cluster()
    engine.evaluate()
    before = checks_by_target(engine)
    break_on_web(engine)
    plan = engine.evaluate()

    assert plan.deletes == [] and checks_by_target(engine) == before
    assert engine.failures == 1
    assert any("qos.best-effort failed on Deployment shop/web" in e.message for e in engine.errors)


def test_an_evaluation_that_raises_changes_nothing_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = cluster()
    engine.evaluate()
    held = copy.deepcopy(engine.desired_bodies())
    engine.apply_event("DELETED", deployment("web"))

    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("kgov.engine.engine.evaluate", explode)
    with pytest.raises(RuntimeError):
        engine.evaluate()
    assert engine.desired_bodies() == held  # nothing decided, nothing to delete
    monkeypatch.undo()
    plan = engine.evaluate()  # the retry sees the change
    assert [key[2].startswith("deployment-web-") for key in plan.deletes] == [True]


def reported_failures(plan: Any) -> list[tuple[str, str, str, str]]:
    items = plan.report["status"]["failures"]["items"]
    return [(i["type"], i["kind"], f"{i.get('namespace')}/{i['name']}", i.get("check", "")) for i in items]


def test_a_restart_with_an_unreadable_object_deletes_none_of_its_findings() -> None:
    previous = cluster()
    previous.evaluate()
    left = previous.desired_bodies()
    assert any(body["spec"]["target"]["name"] == "api" for body in left.values())

    engine = new_engine(FakeClock())  # a new run: the Findings are there, the HPA is malformed
    for body in left.values():
        engine.observe_finding(body)
    for body in (deployment("web"), deployment("api"), hpa("api", 5)):
        engine.apply_event(None, body)
    plan = engine.evaluate()
    assert plan.deletes == []
    assert reported_failures(plan) == [("object", "HorizontalPodAutoscaler", "shop/api", "")]
    assert "spec.metrics" in plan.report["status"]["failures"]["items"][0]["reason"]

    # Fixed so that it no longer holds: now decided, the Finding the old run left goes.
    fixed = hpa("api", [])
    fixed["spec"]["minReplicas"] = 1
    engine.apply_event("MODIFIED", fixed)
    plan = engine.evaluate()
    assert [key[2] for key in plan.deletes] == [
        key[2] for key, body in left.items() if body["spec"]["check"] == "autoscaling.hpa-fixed-replicas"
    ]
    assert plan.report is not None and plan.report["status"]["failures"] == {
        "total": 0,
        "notListed": 0,
        "items": [],
    }


def test_an_object_the_store_cannot_take_is_reported_until_fixed() -> None:
    engine = cluster()
    engine.evaluate()
    bad = deployment("bad")
    bad["metadata"]["labels"] = ["not", "a", "map"]
    engine.apply_event("ADDED", bad)
    plan = engine.evaluate()
    assert reported_failures(plan) == [("object", "Deployment", "shop/bad", "")]
    assert "labels" in plan.report["status"]["failures"]["items"][0]["reason"]
    assert engine.evaluate().report is None  # still failing: the report is not written again
    engine.apply_event("MODIFIED", deployment("bad"))
    plan = engine.evaluate()
    assert plan.report is not None and plan.report["status"]["failures"]["total"] == 0
    assert ("qos.best-effort", "bad") in checks_by_target(engine)


def test_a_check_failure_is_reported_until_the_check_runs_there_again() -> None:
    engine = cluster()
    engine.evaluate()
    original = break_on_web(engine)
    plan = engine.evaluate()
    assert reported_failures(plan) == [("check", "Deployment", "shop/web", "qos.best-effort")]
    engine.apply_event(
        "MODIFIED", {**deployment("api"), "spec": {**deployment("api")["spec"], "replicas": 4}}
    )
    plan = engine.evaluate()  # another subject evaluated: the failure on web still stands
    assert plan.report is None and [str(f) for f in engine.current_failures()] == [
        "check qos.best-effort failed on Deployment shop/web: TypeError: 'int' object is not iterable"
    ]
    set_check(engine, BEST_EFFORT, original)
    engine.apply_event(
        "MODIFIED", {**deployment("web"), "spec": {**deployment("web")["spec"], "replicas": 4}}
    )
    plan = engine.evaluate()
    assert plan.report is not None and plan.report["status"]["failures"]["total"] == 0
