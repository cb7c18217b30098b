"""Incremental evaluation in the engine gives what a fresh evaluation of the same objects gives: hosts
meeting across namespaces, network views updated in place."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest

from kgov.checks.registry import Subject
from kgov.engine import Engine
from kgov.engine.live import LiveInventory
from kgov.engine.relations import Relations, build_relations
from kgov.engine.store import ProjectionCache
from kgov.engine.subjects import SubjectIndex
from kgov.inventory import Inventory
from kgov.inventory.projection import ProjectionError, project
from kgov.model.networking import Ingress
from kgov.model.objects import KubeObject, OwnerRef, object_from_dict
from kgov.model.pods import ContainerState, ContainerStatus, LivePod, PodStatus, Terminated
from test_engine import (
    GOOD,
    INGRESS_CLASS,
    _gateway,
    deployment,
    engine,
    feed,
    ingress,
    meta,
    namespace,
    owned,
    pod,
)

Body = dict[str, Any]


class NamedObject(NamedTuple):
    obj: KubeObject


def _ingress_on(host: str, ns: str, name: str = "web") -> Body:
    body = ingress(name, ns)
    body["spec"]["rules"][0]["host"] = host
    return body


def _route(ns: str, *hosts: str) -> Body:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta("web", ns),
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "infra"}],
            "hostnames": list(hosts),
            "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
        },
    }


def _service(ns: str, app: str = "web") -> Body:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("web", ns),
        "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80}]},
    }


def _relations(*bodies: Body) -> Relations:
    return build_relations(Inventory([object_from_dict(b) for b in bodies], live=True))


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (_route("edge", "*.example.com"), {"a", "b", "deep", "wild"}),  # Gateway API: any depth
        (_route("edge", "*.shop.example.com"), {"deep", "wild"}),  # both cover x.shop.example.com
        (_ingress_on("api.example.com", "edge"), {"a", "wild"}),
        (_ingress_on("other.example.com", "edge"), {"wild"}),  # a sibling name is another host
        (_ingress_on("*.example.com", "edge"), {"a", "b", "deep", "wild"}),
    ],
)
def test_an_object_reaches_exactly_the_namespaces_whose_hosts_it_may_share(
    changed: Body, expected: set[str]
) -> None:
    relations = _relations(
        _ingress_on("api.example.com", "a"),
        _ingress_on("www.example.com", "b"),
        _ingress_on("x.shop.example.com", "deep"),
        _route("wild", "*.example.com"),
        _ingress_on("api.example.org", "elsewhere"),
    )
    sharing = relations.namespaces_sharing_hosts(object_from_dict(changed))
    assert sharing is not None
    # www.example.com is not api.example.com, yet *.example.com covers both.
    assert {n for n in sharing if n != "edge"} == expected


def _cluster() -> list[Body]:
    web = deployment("web", resources=GOOD)
    api = deployment("api", ns="other", resources=GOOD)
    replicaset = owned("ReplicaSet", "web-1", web, spec=web["spec"])
    return [
        namespace("shop"),
        namespace("other"),
        namespace("infra"),
        INGRESS_CLASS,
        _gateway(),
        web,
        api,
        replicaset,
        pod(replicaset, "web-1-a"),
        _service("shop"),
        _service("other", app="api"),
        ingress(),
        _ingress_on("api.example", "other", "api"),
        _route("other", "web.example", "api.example"),
    ]


def _fresh_findings(current: list[Body]) -> dict[Any, Any]:
    fresh = engine()
    feed(fresh, *current)
    fresh.evaluate()
    return _findings(fresh)


def _findings(target: Engine) -> dict[Any, Any]:
    return {key: body["spec"] for key, body in target.desired_bodies().items()}


def _edits() -> list[tuple[str, Body]]:
    snippet = ingress(**{"nginx.ingress.kubernetes.io/configuration-snippet": "return 200;"})
    moved = _ingress_on("api.example", "other", "api")
    moved["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/v2"
    reselected = _service("shop", app="nothing")
    rehosted = _route("other", "web.example")
    image = deployment("web", resources=GOOD)
    image["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/web:2"
    return [
        ("annotation", snippet),
        ("ingress spec", moved),
        ("service selector", reselected),
        ("route hostnames", rehosted),
        ("workload template", image),
    ]


@pytest.mark.parametrize(("what", "edit"), _edits(), ids=[what for what, _ in _edits()])
def test_an_edit_applied_in_place_finds_what_a_fresh_evaluation_finds(what: str, edit: Body) -> None:
    current = _cluster()
    target = engine()
    feed(target, *current)
    target.evaluate()
    network = target._inventory.network if target._inventory else None
    feed(target, edit, event="MODIFIED")
    target.evaluate()
    # The network views were updated, not built again from every object.
    assert target._inventory is not None and target._inventory.network is network
    key = (edit["kind"], edit["metadata"].get("namespace"), edit["metadata"]["name"])
    current = [
        b for b in current if (b["kind"], b["metadata"].get("namespace"), b["metadata"]["name"]) != key
    ]
    assert _findings(target) == _fresh_findings([*current, edit])


def test_an_added_or_removed_network_object_still_finds_what_a_fresh_evaluation_finds() -> None:
    current = _cluster()
    target = engine()
    feed(target, *current)
    target.evaluate()
    extra = _ingress_on("web.example", "other", "shadow")
    feed(target, extra)
    target.evaluate()
    assert _findings(target) == _fresh_findings([*current, extra])
    feed(target, extra, event="DELETED")
    target.evaluate()
    assert _findings(target) == _fresh_findings(current)


def test_an_owned_live_pod_keeps_only_its_status_projection() -> None:
    """The checks read an owned pod's status and its owner's template: the pod's own template is not
    projected (nor kept) in the operator."""
    target = engine()
    feed(target, *_cluster())
    target.evaluate()
    store = target.store
    owned_pod = store.get(("Pod", "shop", "web-1-a"))
    replicaset = store.get(("ReplicaSet", "shop", "web-1"))
    web = store.get(("Deployment", "shop", "web"))
    assert owned_pod is not None and replicaset is not None and web is not None
    models = {
        name: store.projections.models_of(obj)
        for name, obj in (("pod", owned_pod), ("replicaset", replicaset), ("deployment", web))
    }
    assert {m.__name__ for m in models["pod"]} == {"LivePod"}
    assert models["replicaset"] == set()
    assert {m.__name__ for m in models["deployment"]} == {"PodTemplate", "WorkloadSpec"}


def test_equal_live_pod_projections_are_one_value() -> None:
    """A cluster holds one projection per pod: those that read the same are one shared value."""

    def status(restarts: int, finished: object = None) -> dict[str, Any]:
        state = {"terminated": {"reason": "OOMKilled", "finishedAt": finished}} if finished else {}
        container = {"name": "app", "ready": True, "restartCount": restarts, "lastState": state}
        return {
            "status": {"phase": "Running", "podIP": f"10.0.0.{restarts}", "containerStatuses": [container]}
        }

    first, second = (project(LivePod, status(0)) for _ in range(2))
    assert first is second
    assert project(LivePod, status(1)) is not first
    assert project(LivePod, status(1)) == project(LivePod, status(1))
    # A timestamp read as text and one read as a datetime write the same JSON but are not equal.
    text = project(LivePod, status(2, "2026-11-23T22:00:00Z"))
    when = project(LivePod, status(2, datetime(2026, 11, 23, 22, tzinfo=UTC)))
    assert text != when and text is not when
    # What the projection does not read (the IP) is not asked; a value's type is.
    moved = status(0)
    moved["status"]["podIP"] = "10.9.9.9"
    assert project(LivePod, moved) is first
    ready = status(0)
    ready["status"]["containerStatuses"][0]["restartCount"] = True
    with pytest.raises(ProjectionError, match="expected an integer"):
        project(LivePod, ready)


def test_a_shared_projection_reads_only_its_declared_fields() -> None:
    """LivePod is looked up by what its fields read (`read_key`): a validator of it or of a model
    inside it that read anything else could tell apart pods the key does not."""
    models = [LivePod, PodStatus, ContainerStatus, ContainerState, Terminated]
    for model in models:
        validators = model.__pydantic_decorators__.model_validators
        assert set(validators) <= {"_null_means_absent", "_share_field_names", "_shared"}, model


def test_projections_share_the_sets_of_the_fields_they_were_given() -> None:
    first, second = (
        project(Ingress, {"spec": {"rules": [{"host": f"{name}.example.com"}]}}) for name in ("a", "b")
    )
    assert first.spec.rules[0].model_fields_set == {"host"}
    assert first.spec.rules[0].model_fields_set is second.spec.rules[0].model_fields_set
    assert first != second and first.spec.rules[0].host == "a.example.com"
    copied = first.model_copy(update={"spec": second.spec})
    assert copied.spec is second.spec and first.model_fields_set == {"spec"}


def test_objects_share_their_owner_lists_and_empty_maps() -> None:
    def owned(name: str, owner: str) -> dict[str, Any]:
        ref = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": owner,
            "uid": f"uid-{owner}",
            "controller": True,
        }
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "ownerReferences": [ref]},
        }

    first, second, other = (
        object_from_dict(owned(name, owner))
        for name, owner in (("a", "web-1"), ("b", "web-1"), ("c", "web-2"))
    )
    assert first.owners is second.owners and first.owners == second.owners
    assert other.owners is not first.owners and other.owners[0].name == "web-2"
    assert first.labels == {} and first.annotations == {}
    assert first.key is first.key == ("Pod", "shop", "a")
    odd = owned("d", "web-1")
    odd["metadata"]["ownerReferences"] += [{"kind": "Job", "uid": 5, "controller": "true"}, {"name": "x"}]
    assert object_from_dict(odd).owners == (
        OwnerRef("ReplicaSet", "web-1", "uid-web-1", True),
        OwnerRef("Job", "", None, False),  # a uid that is not a string, a controller that is not true
    )


def test_an_ingress_edited_twice_in_one_batch_keeps_the_routing_model() -> None:
    current = _cluster()
    target = engine()
    feed(target, *current)
    target.evaluate()
    kept = dict(target._routing)
    first = ingress(**{"nginx.ingress.kubernetes.io/proxy-body-size": "1m"})
    second = ingress(**{"nginx.ingress.kubernetes.io/configuration-snippet": "return 200;"})
    feed(target, first, second, event="MODIFIED")
    target.evaluate()
    assert kept and all(target._routing[prefix] is index for prefix, index in kept.items())
    unchanged = [b for b in current if (b["kind"], b["metadata"].get("namespace")) != ("Ingress", "shop")]
    assert _findings(target) == _fresh_findings([*unchanged, second])


def _config_map(ns: str, name: str) -> Body:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, ns), "data": {"a": "b"}}


def _without(bodies: list[Body], *kinds: str) -> list[Body]:
    return [b for b in bodies if b["kind"] not in kinds]


@pytest.mark.parametrize(
    "added",
    [{**_service("shop"), "metadata": meta("extra", "shop")}, _config_map("shop", "settings")],
    ids=["Service", "ConfigMap"],
)
def test_an_object_no_subject_enumerates_keeps_the_network_and_the_subject_index(added: Body) -> None:
    current = _cluster()
    replicaset = next(b for b in current if b["kind"] == "ReplicaSet")
    target = engine()
    feed(target, *current)
    target.evaluate()

    def edit(oom: bool) -> list[Body]:  # a workload subject and network subjects to pick
        return [pod(replicaset, "web-1-a", oom=oom), _ingress_on("api.example", "other", f"api-{oom}")]

    feed(target, *edit(True))
    target.evaluate()
    assert target._inventory is not None
    network, held = target._inventory.network, dict(target._subjects._held)
    assert {kind.value for kind in held} >= {"workload", "ingress"}
    for event, oom in (("ADDED", False), ("DELETED", True)):
        feed(target, added, event=event)
        feed(target, edit(oom)[0], event="MODIFIED")
        target.evaluate()
        assert target._inventory.network is network
        assert all(target._subjects._held[kind].positions is h.positions for kind, h in held.items())
        kept = [*_without(current, "Pod"), *edit(True)[1:], edit(oom)[0]]
        assert _findings(target) == _fresh_findings([*kept, added] if event == "ADDED" else kept)


def test_an_object_of_a_kind_a_subject_holds_indexes_it_again() -> None:
    """A subject enumeration of ConfigMaps: one added, or one added and another removed in the same
    batch (the same count), moves the others, so their positions are found again."""
    config_maps = Subject(
        "config-maps", lambda inv: [NamedObject(o) for o in inv.by_kind.get("ConfigMap", ())]
    )
    first, last = object_from_dict(_config_map("a", "one")), object_from_dict(_config_map("c", "three"))
    inventory = LiveInventory(
        [object_from_dict(namespace(n)) for n in "abc"] + [first, last], ProjectionCache()
    )
    index = SubjectIndex()

    def positions() -> dict[str | None, list[int]]:
        return index.positions(inventory, config_maps, config_maps.enumerate(inventory)).by_namespace

    assert positions() == {"a": [0], "c": [1]}
    assert inventory.update(None, object_from_dict(_config_map("b", "two")))
    assert positions() == {"a": [0], "b": [1], "c": [2]}
    assert inventory.update(first, None) and inventory.update(
        None, object_from_dict(_config_map("d", "four"))
    )
    assert positions() == {"b": [0], "c": [1], "d": [2]}


def _reloading_cluster() -> list[Body]:
    """An Ingress of a controller that reloads on endpoint changes, routing to an HPA-scaled Deployment."""
    web = deployment("web", resources=GOOD)
    reloading = {
        **INGRESS_CLASS,
        "metadata": meta("f5"),
        "spec": {"controller": "nginx.org/ingress-controller"},
    }
    served = ingress()
    served["spec"]["ingressClassName"] = "f5"
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("web", "shop"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 4,
        },
    }
    return [namespace("shop"), reloading, web, _service("shop"), served, hpa]


def _with_template(body: Body, labels: dict[str, str], annotations: dict[str, str]) -> Body:
    edited = copy.deepcopy(body)
    edited["spec"]["template"]["metadata"] = {"labels": labels, "annotations": annotations}
    return edited


def test_a_rollout_re_checks_its_workload_and_not_the_network() -> None:
    current = _reloading_cluster()
    web = current[2]
    target = engine()
    feed(target, *current)
    target.evaluate()
    assert "ingress.autoscaled-backend-on-reload-controller" in {f.check for f in target.desired_findings}
    labels = web["spec"]["template"]["metadata"]["labels"]
    rollout = _with_template(web, labels, {"kubectl.kubernetes.io/restartedAt": "now"})
    feed(target, rollout, event="MODIFIED")
    assert ("Deployment", "shop", "web") in target._dirty.keys
    assert not target._dirty.network_touched and not target._dirty.network_namespaces
    target.evaluate()
    assert _findings(target) == _fresh_findings([b for b in current if b is not web] + [rollout])
    # Which pods it selects is what the network reads: the Service no longer routes to it.
    relabelled = _with_template(web, {"app": "other"}, {})
    feed(target, relabelled, event="MODIFIED")
    assert target._dirty.network_namespaces == {"shop"}
    target.evaluate()
    assert "ingress.autoscaled-backend-on-reload-controller" not in {f.check for f in target.desired_findings}
    assert _findings(target) == _fresh_findings([b for b in current if b is not web] + [relabelled])


def test_versions_between_two_evaluations_are_not_projected_or_kept() -> None:
    """An object changed several times in one batch is applied as one change: the versions between
    were never evaluated, and the store no longer holds them to forget their projections."""
    current = _cluster()
    target = engine()
    feed(target, *current)
    target.evaluate()
    pod = next(b for b in current if b["kind"] == "Pod" and b["metadata"]["name"] == "web-1-a")
    edited = next(b for b in current if b["kind"] == "Ingress")
    for round_ in range(3):
        for body in (pod, edited):
            version = copy.deepcopy(body)
            version["metadata"]["annotations"] = {"example.com/round": str(round_)}
            feed(target, version, event="MODIFIED")
    target.evaluate()
    held = [obj for entries in target.store.projections._by_model.values() for obj, _ in entries.values()]
    assert held and all(target.store.get(obj.key) is obj for obj in held)
