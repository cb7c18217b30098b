"""The one kind table, and what the operator sees compared with what `kgov scan --cluster` reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.inventory import Inventory
from kgov.model.kinds import ANALYSED_KINDS, BY_KIND, KINDS, WORKLOAD_KINDS
from kgov.model.objects import object_from_dict
from kgov.operator.kinds import WATCHED
from kgov.sources.cluster import LISTED_KINDS
from test_engine import NOW, engine, feed, meta, owned

Body = dict[str, Any]


def _replication_controller() -> Body:
    container = {"name": "app", "image": "registry.example/legacy:1"}
    template = {"metadata": {"labels": {"app": "legacy"}}, "spec": {"containers": [container]}}
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": meta("legacy", "shop"),
        "spec": {"replicas": 2, "selector": {"app": "legacy"}, "template": template},
    }


def _legacy_objects() -> list[Body]:
    rc = _replication_controller()
    pods = []
    for name in ("legacy-a1", "legacy-b2"):
        body = owned("Pod", name, rc, spec=rc["spec"]["template"]["spec"], status={"qosClass": "BestEffort"})
        body["metadata"]["labels"] = {"app": "legacy"}
        pods.append(body)
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("legacy", "shop"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "v1", "kind": "ReplicationController", "name": "legacy"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": meta("shop")}, rc, *pods, hpa]


def _fresh(bodies: list[Body]) -> set[tuple[str, str, str]]:
    registry, config = default_registry(), Config()
    result = evaluate(
        Inventory([object_from_dict(b) for b in bodies], live=True),
        select_checks(registry, config),
        config,
        resolve_params(registry, config),
        Capabilities(live=True, history=True),
        now=datetime.fromtimestamp(NOW, UTC),
    )
    return {(f.check, f.target.kind, f.target.name) for f in result.findings}


def test_the_operator_sees_replication_controllers_as_the_scan_does() -> None:
    """Only the kinds the operator watches reach its engine; a ReplicationController it did not watch
    made its HPA's target look missing and its pods each BestEffort."""
    bodies = _legacy_objects()
    watched = {(w.group, w.plural) for w in WATCHED}
    plural = {"Namespace": "namespaces", "Pod": "pods", "HorizontalPodAutoscaler": "horizontalpodautoscalers"}
    plural["ReplicationController"] = "replicationcontrollers"
    group = {"HorizontalPodAutoscaler": "autoscaling"}
    operator = engine()
    feed(operator, *(b for b in bodies if (group.get(b["kind"], ""), plural[b["kind"]]) in watched))
    operator.evaluate()
    seen = {(f.check, f.target.kind, f.target.name) for f in operator.desired_findings}

    assert ("qos.best-effort", "ReplicationController", "legacy") in seen
    assert not {f for f in seen if f[0] == "autoscaling.hpa-target-missing" or f[1] == "Pod"}
    assert seen == _fresh(bodies)


def test_every_analysed_kind_is_watched_and_listed() -> None:
    assert {(w.group, w.plural) for w in WATCHED} == {(k.group, k.plural) for k in KINDS if k.watched}
    assert {k.kind for k in KINDS if k.watched} >= ANALYSED_KINDS
    assert {k.kind for k in LISTED_KINDS} >= ANALYSED_KINDS
    assert WORKLOAD_KINDS <= ANALYSED_KINDS


def test_the_table_names_each_kind_and_resource_once_and_never_secrets() -> None:
    assert len(BY_KIND) == len(KINDS)
    assert len({k.resource for k in KINDS}) == len(KINDS)
    assert "Secret" not in BY_KIND and all(k.plural != "secrets" for k in KINDS)
    assert all(k.plural == k.plural.lower() and k.versions for k in KINDS)
