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
    [spec] = [s for s in engine._checks if s.id == "qos.best-effort"]
    original = spec.fn

    def broken(subject: Any, context: Any) -> Any:
        if subject.obj.name == "web":
            raise TypeError("'int' object is not iterable")
        return original(subject, context)

    engine.reconfigure(engine.config, engine.params)  # everything is evaluated again
    engine._checks = [s if s.id != spec.id else dataclasses.replace(spec, fn=broken) for s in engine._checks]
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
