"""The operator's engine without kopf or a cluster: watch events in, Finding writes out."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from integration.harness import validator_for
from kgov.analysis import Capabilities, resolve_params
from kgov.checks.builtin import default_registry
from kgov.checks.registry import Subject, SubjectKind
from kgov.config import Config, ConfigError, load_config
from kgov.engine import Engine, WritePlan
from kgov.engine.churn import ENDPOINTS, SPEC, weight
from kgov.findings.diff import merge_patch
from kgov.findings.model import finding_name
from kgov.model.objects import ObjectRef

NOW = datetime(2026, 11, 23, 22, 30, tzinfo=UTC).timestamp()
Body = dict[str, Any]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def engine(clock: Clock | None = None, config: Config | None = None, **kwargs: Any) -> Engine:
    registry, config = default_registry(), config or Config()
    return Engine(
        registry,
        config,
        resolve_params(registry, config),
        capabilities=Capabilities(live=True, history=True),
        clock=clock or Clock(),
        **kwargs,
    )


def meta(name: str, namespace: str | None = None, **extra: Any) -> Body:
    found: Body = {"name": name, "uid": f"uid-{namespace or ''}-{name}", **extra}
    if namespace:
        found["namespace"] = namespace
    return found


def namespace(name: str, **annotations: str) -> Body:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, annotations=annotations)}


GOOD = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}


def deployment(name: str = "web", ns: str = "shop", resources: Body | None = None) -> Body:
    container: Body = {"name": "app", "image": "registry.example/web:1"}
    if resources is not None:
        container["resources"] = resources
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}
    spec = {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": template}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, ns), "spec": spec}


def owned(kind: str, name: str, owner: Body, **rest: Any) -> Body:
    ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    api = "v1" if kind == "Pod" else "apps/v1"
    ns = owner["metadata"]["namespace"]
    return {"apiVersion": api, "kind": kind, "metadata": meta(name, ns, ownerReferences=[ref]), **rest}


def pod(owner: Body, name: str, oom: bool = False) -> Body:
    template = owner["spec"]["template"]
    state: Body = {"name": "app", "ready": True, "restartCount": 3 if oom else 0, "state": {"running": {}}}
    if oom:
        state["lastState"] = {
            "terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-23T22:00:00Z"}
        }
    body = owned(
        "Pod",
        name,
        owner,
        spec=copy.deepcopy(template["spec"]),
        status={"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [state]},
    )
    body["metadata"]["labels"] = dict(template["metadata"]["labels"])
    return body


INGRESS_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": meta("nginx"),
    "spec": {"controller": "k8s.io/ingress-nginx"},
}


def ingress(name: str = "web", ns: str = "shop", **annotations: str) -> Body:
    path = {
        "path": "/",
        "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}},
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, ns, annotations=annotations),
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "web.example", "http": {"paths": [path]}}]},
    }


def feed(target: Engine, *bodies: Body, event: str = "ADDED") -> None:
    for body in bodies:
        target.apply_event(event, body)


def creates_by_check(plan: WritePlan) -> dict[str, Body]:
    return {body["spec"]["check"]: body for body in plan.creates}


def written(plan: WritePlan) -> list[Body]:
    """The bodies as the API server returns them after the writes."""
    return [
        {**copy.deepcopy(body), "metadata": {**body["metadata"], "resourceVersion": "7", "generation": 1}}
        for body in plan.creates
    ]


# ---- findings from events ------------------------------------------------------------------------


def test_a_best_effort_deployment_gets_a_finding_shaped_as_the_design_says() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    plan = target.evaluate()
    body = creates_by_check(plan)["qos.best-effort"]
    ref = ObjectRef("Deployment", "web", "shop", "apps/v1", "uid-shop-web")
    assert body["apiVersion"] == "kgov.io/v1alpha1" and body["kind"] == "Finding"
    assert body["metadata"]["name"] == finding_name(ref, "qos.best-effort")
    assert body["metadata"]["namespace"] == "shop"
    assert body["metadata"]["labels"] == {
        "kgov.io/check": "qos.best-effort",
        "kgov.io/category": "resources",
        "kgov.io/severity": "high",
        "kgov.io/target-kind": "Deployment",
        "kgov.io/target-name": "web",
        "app.kubernetes.io/managed-by": "kube-governor",
    }
    assert body["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": "uid-shop-web",
            "blockOwnerDeletion": False,
        }
    ]
    spec = body["spec"]
    assert spec["target"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "web",
        "uid": "uid-shop-web",
        "ref": "Deployment/web",
    }
    assert spec["severity"] == "high" and spec["category"] == "resources"
    assert spec["message"] and spec["remediation"] and spec["evidence"]["qosClass"] == "BestEffort"
    assert body["status"] == {"firstSeen": "2026-11-23T22:30:00Z", "lastEvaluated": "2026-11-23T22:30:00Z"}
    assert not plan.patches and not plan.deletes


def test_a_cluster_scoped_target_gets_a_cluster_finding() -> None:
    plan = _evaluated(INGRESS_CLASS)
    body = creates_by_check(plan)["ingress.eol-controller"]
    assert body["kind"] == "ClusterFinding"
    assert "namespace" not in body["metadata"]
    assert body["metadata"]["ownerReferences"][0]["kind"] == "IngressClass"


def _evaluated(*bodies: Body) -> WritePlan:
    target = engine()
    feed(target, *bodies)
    return target.evaluate()


def test_fixing_the_object_deletes_its_finding() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    created = creates_by_check(target.evaluate())["qos.best-effort"]
    feed(target, deployment(resources=GOOD), event="MODIFIED")
    plan = target.evaluate()
    assert plan.deletes == [("Finding", "shop", created["metadata"]["name"])]
    assert not plan.creates and not plan.patches
    assert plan.report is not None and plan.report["status"]["findings"] == 0


def test_a_deleted_target_takes_its_findings_along() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    target.evaluate()
    feed(target, deployment(), event="DELETED")
    assert len(target.evaluate().deletes) == 1


def test_pod_status_rolls_up_to_the_top_owner_and_live_checks_run() -> None:
    target = engine()
    web = deployment(resources=GOOD)
    replicaset = owned("ReplicaSet", "web-1", web, spec=web["spec"])
    feed(target, namespace("shop"), web, replicaset, pod(replicaset, "web-1-a"))
    assert "qos.oom-killed" not in creates_by_check(target.evaluate())
    feed(target, pod(replicaset, "web-1-a", oom=True), event="MODIFIED")
    plan = target.evaluate()
    body = creates_by_check(plan)["qos.oom-killed"]
    assert body["spec"]["target"]["kind"] == "Deployment" and body["spec"]["target"]["name"] == "web"
    assert len(plan.creates) == 1


def test_route_conditions_from_live_status_raise_a_finding() -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta("web", "shop"),
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]},
        "status": {
            "parents": [
                {
                    "parentRef": {"name": "gw"},
                    "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [
                        {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners"}
                    ],
                }
            ]
        },
    }
    plan = _evaluated(namespace("shop"), route)
    assert creates_by_check(plan)["gateway.route-not-accepted"]["spec"]["evidence"]


def test_a_namespace_exemption_removes_findings_in_it() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    assert target.evaluate().creates
    feed(target, namespace("shop", **{"kgov.io/ignore": "*"}), event="MODIFIED")
    assert len(target.evaluate().deletes) == 1


# ---- zero writes when nothing changed --------------------------------------------------------------


def test_repeated_evaluations_and_unchanged_events_write_nothing() -> None:
    target = engine()
    bodies = [namespace("shop"), deployment(), INGRESS_CLASS, ingress()]
    feed(target, *bodies)
    assert target.evaluate().creates
    assert target.evaluate().empty
    feed(target, *bodies, event="MODIFIED")  # a resync: the same objects again
    assert target.evaluate().empty
    bumped = copy.deepcopy(bodies[1])
    bumped["metadata"]["resourceVersion"] = "99"  # a write that changed nothing the checks read
    bumped["status"] = {"observedGeneration": 2}
    feed(target, bumped, event="MODIFIED")
    assert target.evaluate().empty


def test_the_write_responses_cause_no_further_writes() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    plan = target.evaluate()
    for body in written(plan):
        target.observe_finding(body)
    assert target.evaluate().empty


def test_a_changed_finding_is_patched_and_keeps_first_seen() -> None:
    clock = Clock()
    target = engine(clock)
    feed(target, namespace("shop"), deployment())
    [created] = target.evaluate().creates
    clock.now += 3600
    config = Config.model_validate({"checks": {"qos.best-effort": {"severity": "critical"}}})
    target.reconfigure(config, resolve_params(default_registry(), config))
    plan = target.evaluate()
    [patch] = plan.patches
    assert patch.name == created["metadata"]["name"]
    assert patch.body == {
        "metadata": {"labels": {"kgov.io/severity": "critical"}},
        "spec": {"severity": "critical", "severityRank": 4},
    }
    assert patch.status == {"firstSeen": "2026-11-23T22:30:00Z", "lastEvaluated": "2026-11-23T23:30:00Z"}
    assert not plan.creates and not plan.deletes
    assert target.evaluate().empty


# ---- restarts ----------------------------------------------------------------------------------------


def test_a_restart_deletes_stale_findings_and_duplicates_none() -> None:
    clock = Clock()
    first = engine(clock)
    feed(first, namespace("shop"), deployment(), deployment("api"))
    existing = written(first.evaluate())
    assert len(existing) == 2
    clock.now += 600
    restarted = engine(clock)
    for body in existing:
        restarted.observe_finding(body)
    # While it was down, `api` got its requests: its Finding is stale.
    feed(restarted, namespace("shop"), deployment(), deployment("api", resources=GOOD))
    plan = restarted.evaluate()
    assert not plan.creates and not plan.patches
    assert [key[2] for key in plan.deletes] == [
        b["metadata"]["name"] for b in existing if "api" in b["metadata"]["name"]
    ]


def test_a_restart_keeps_first_seen_of_a_finding_that_changed_meanwhile() -> None:
    first = engine()
    feed(first, namespace("shop"), deployment())
    [body] = written(first.evaluate())
    body["spec"]["message"] = "an older wording"
    body["status"]["firstSeen"] = "2026-01-01T00:00:00Z"
    restarted = engine()
    restarted.observe_finding(body)
    feed(restarted, namespace("shop"), deployment())
    [patch] = restarted.evaluate().patches
    assert patch.body == {
        "spec": {
            "message": creates_by_check(_evaluated(namespace("shop"), deployment()))["qos.best-effort"][
                "spec"
            ]["message"]
        }
    }
    assert patch.status is not None and patch.status["firstSeen"] == "2026-01-01T00:00:00Z"


def test_a_forgotten_finding_is_written_again() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    [body] = target.evaluate().creates
    target.forget_finding("Finding", "shop", body["metadata"]["name"])  # deleted by someone else
    assert [b["metadata"]["name"] for b in target.evaluate().creates] == [body["metadata"]["name"]]


def test_a_held_write_stays_planned_while_the_others_go_out() -> None:
    """The writer holds an object whose write failed: evaluations meanwhile plan every other write,
    and the first one after the hold plans that object's write as it should be by then."""
    target = engine()
    feed(target, namespace("shop"), deployment(), deployment("api"), deployment("db"))
    names = {b["spec"]["target"]["name"]: b["metadata"]["name"] for b in target.evaluate().creates}
    web = ("Finding", "shop", names["web"])
    target.forget_finding(*web)  # its create failed
    report = ("GovernanceReport", None, "cluster")
    target.forget_finding(*report)  # and so did the report's write

    feed(target, deployment("api", resources=GOOD), event="MODIFIED")
    plan = target.evaluate(held={web, report})
    assert plan.deletes == [("Finding", "shop", names["api"])]
    assert not plan.creates and plan.report is None
    assert target.evaluate(held={web, report}).empty  # still held: nothing planned, nothing lost
    plan = target.evaluate(held={report})
    assert [b["metadata"]["name"] for b in plan.creates] == [names["web"]] and plan.report is None

    target.forget_finding(*web)  # failed again
    feed(target, deployment(resources=GOOD), event="MODIFIED")  # fixed while its write was held
    assert target.evaluate(held={web}).report is not None
    plan = target.evaluate()
    assert plan.empty  # nothing to write for it any more


# ---- safety cap and report -------------------------------------------------------------------------


def test_the_cap_keeps_the_most_severe_findings_and_counts_the_rest() -> None:
    target = engine(max_findings=1)
    feed(
        target,
        namespace("shop"),
        deployment("web"),
        deployment("api", resources={"requests": {"cpu": "1", "memory": "1Gi"}}),
    )
    plan = target.evaluate()
    assert [b["spec"]["severity"] for b in plan.creates] == ["high"]
    assert plan.report is not None and plan.report["status"]["droppedByCap"] == 1
    feed(target, deployment("web", resources=GOOD), event="MODIFIED")  # room again: the medium one is written
    plan = target.evaluate()
    assert len(plan.deletes) == 1 and [b["spec"]["check"] for b in plan.creates] == [
        "qos.memory-limit-missing"
    ]
    assert plan.report is not None and plan.report["status"]["droppedByCap"] == 0


def test_the_report_carries_totals_evidence_health_and_changes_only_when_they_do() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    report = target.evaluate().report
    assert report is not None and report["metadata"]["name"] == "cluster"
    status = report["status"]
    assert status["findings"] == 1 and status["bySeverity"]["high"] == 1
    assert status["byCheck"] == {"qos.best-effort": 1}
    assert status["lastFullEvaluation"] == "2026-11-23T22:30:00Z"
    assert status["evidence"] == {"prometheus": {"configured": False, "reachable": False, "lastError": None}}
    assert target.evaluate().report is None
    target.set_evidence_health(True, False, "connection refused")
    report = target.evaluate().report
    assert report is not None
    assert report["status"]["evidence"]["prometheus"] == {
        "configured": True,
        "reachable": False,
        "lastError": "connection refused",
    }


def test_every_body_validates_against_the_crds() -> None:
    target = engine()
    web = deployment()
    replicaset = owned("ReplicaSet", "web-1", web, spec=web["spec"])
    feed(target, namespace("shop"), web, replicaset, pod(replicaset, "web-1-a", oom=True), INGRESS_CLASS)
    feed(target, ingress(**{"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers 'A: b';"}))
    plan = target.evaluate()
    assert {b["kind"] for b in plan.creates} == {"Finding", "ClusterFinding"}
    for body in plan.creates:
        errors = [e.message for e in validator_for(body["kind"]).iter_errors(body)]
        assert not errors, (body["metadata"]["name"], errors)
    assert plan.report is not None
    assert not list(validator_for("GovernanceReport").iter_errors(plan.report))


# ---- churn -------------------------------------------------------------------------------------------


def test_ingress_edits_count_as_reload_churn_in_a_sliding_window() -> None:
    clock = Clock()
    target = engine(clock, churn_window_s=3600)
    feed(target, namespace("shop"), INGRESS_CLASS, ingress())
    target.evaluate()
    for i in range(60):
        clock.now += 30
        feed(target, ingress(**{"nginx.ingress.kubernetes.io/proxy-body-size": f"{i}m"}), event="MODIFIED")
    plan = target.evaluate()
    estimate = target.churn_estimates[("IngressClass", "nginx")]
    assert estimate.events_by_type == {"annotations": 60}
    assert estimate.weighted_per_hour == 60.0
    assert estimate.top_contributors == (("shop/Ingress/web", 60),)
    body = creates_by_check(plan)["ingress.reload-churn"]
    assert body["kind"] == "ClusterFinding"
    assert body["spec"]["evidence"]["source"] == "watch" and body["spec"]["evidence"]["estimated"] is True
    assert body["spec"]["severity"] == "medium"
    clock.now += 3 * 3600  # the window has moved past every edit
    plan = target.evaluate()
    assert ("IngressClass", "nginx") not in target.churn_estimates
    assert [key[2] for key in plan.deletes] == [body["metadata"]["name"]]


def test_endpoint_changes_behind_ingress_nginx_are_counted_but_not_weighted() -> None:
    clock = Clock()
    target = engine(clock)
    web = deployment(resources=GOOD)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("web", "shop"),
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    feed(target, namespace("shop"), INGRESS_CLASS, ingress(), service, web)
    target.evaluate()
    for i in range(5):
        feed(target, pod(web, f"web-{i}"))
    target.evaluate()
    estimate = target.churn_estimates[("IngressClass", "nginx")]
    assert estimate.events_by_type == {"endpoints": 5}
    assert estimate.weighted_per_hour == 0.0


def test_reload_weights_follow_the_catalogue() -> None:
    from kgov.catalogue import load_catalogue

    catalogue = load_catalogue()
    nginx = catalogue.for_ingress_class("k8s.io/ingress-nginx")
    oss_nginx = catalogue.for_ingress_class("nginx.org/ingress-controller")
    assert weight(nginx, SPEC) == 1.0 and weight(nginx, ENDPOINTS) == 0.0
    assert oss_nginx is not None and weight(oss_nginx, ENDPOINTS) == 1.0
    assert weight(None, SPEC) == 1.0 and weight(None, ENDPOINTS) == 0.0


# ---- pieces ------------------------------------------------------------------------------------------


def test_merge_patch_removes_keys_that_went_and_is_empty_when_equal() -> None:
    assert merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 2}}) == {"b": {"d": None}}
    assert merge_patch({"a": [1, 2]}, {"a": [1, 2]}) == {}
    assert merge_patch({"a": True}, {"a": 1}) == {"a": 1}


def test_operator_config_key(tmp_path: Any) -> None:
    settings = Config.model_validate({"operator": {"max_findings": 100, "churn_window": "30m"}}).operator
    assert settings.max_findings == 100 and settings.churn_window_seconds == 1800
    assert settings.debounce_seconds == 2
    bad = tmp_path / "config.yaml"
    bad.write_text("operator:\n  churn_window: soon\n")
    with pytest.raises(ConfigError, match=r"operator\.churn_window"):
        load_config(bad)


def test_certificate_renewals_and_hpa_scale_events_are_attributed_to_the_class() -> None:
    target = engine()
    web = deployment(resources=GOOD)
    tls_ingress = ingress()
    tls_ingress["spec"]["tls"] = [{"hosts": ["web.example"], "secretName": "web-tls"}]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("web", "shop"),
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": meta("web", "shop"),
        "spec": {"secretName": "web-tls", "dnsNames": ["web.example"]},
        "status": {"revision": 1},
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("web", "shop"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 5,
        },
        "status": {"currentReplicas": 2, "desiredReplicas": 2},
    }
    feed(target, namespace("shop"), INGRESS_CLASS, tls_ingress, service, web, certificate, hpa)
    target.evaluate()
    renewed = copy.deepcopy(certificate)
    renewed["status"]["revision"] = 2
    scaled = copy.deepcopy(hpa)
    scaled["status"]["desiredReplicas"] = 4
    feed(target, renewed, scaled, event="MODIFIED")
    target.evaluate()
    estimate = target.churn_estimates[("IngressClass", "nginx")]
    assert estimate.events_by_type == {"certificate": 1, "hpa-scale": 1}
    assert estimate.weighted_per_hour == 0.0  # ingress-nginx serves both without a reload


def test_findings_someone_else_made_are_never_touched() -> None:
    target = engine()
    feed(target, namespace("shop"), deployment())
    [body] = written(target.evaluate())
    foreign = copy.deepcopy(body)
    foreign["metadata"]["name"] = "made-by-hand"
    del foreign["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    target.observe_finding(foreign)
    assert target.evaluate().empty


# ---- only touched subjects are checked again ----------------------------------------------------------


def spy_engine(calls: list[str], subject: Subject[Any] = SubjectKind.WORKLOAD) -> Engine:
    from kgov.checks.params import NoParams
    from kgov.checks.registry import Check, Issue, Registry
    from kgov.findings.model import Category, Severity

    def spy(subject: Any, context: Any) -> list[Issue]:
        calls.append(subject.obj.name)
        return []

    spec = Check(
        id="test.spy",
        title="spy",
        category=Category.RESOURCES,
        severity=Severity.LOW,
        subject=subject,
        condition="never",
        remediation="none",
        fn=spy,
        params=NoParams,
    )
    registry, config = Registry([spec]), Config()
    return Engine(registry, config, resolve_params(registry, config), capabilities=Capabilities(live=True))


def test_only_the_subjects_an_event_touches_are_checked_again() -> None:
    calls: list[str] = []
    target = spy_engine(calls)
    web, api = deployment("web", resources=GOOD), deployment("api", ns="other", resources=GOOD)
    replicaset = owned("ReplicaSet", "web-1", web, spec=web["spec"])
    feed(target, namespace("shop"), namespace("other"), web, api, replicaset, pod(replicaset, "web-1-a"))
    target.evaluate()
    assert sorted(calls) == ["api", "web"]
    calls.clear()
    not_ready = pod(replicaset, "web-1-a")
    not_ready["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    feed(target, not_ready, event="MODIFIED")  # nothing a check reads
    target.evaluate()
    assert calls == []
    feed(target, pod(replicaset, "web-1-a", oom=True), event="MODIFIED")
    target.evaluate()
    assert calls == ["web"]
    calls.clear()
    feed(target, namespace("other", team="payments"), event="MODIFIED")  # exemptions may have changed
    target.evaluate()
    assert calls == ["api"]


def _hpa(ns: str, name: str = "web", desired: int = 2) -> Body:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, ns),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 9,
        },
        "status": {"currentReplicas": 2, "desiredReplicas": desired},
    }


def test_subjects_added_and_removed_in_place_are_picked_where_they_are_now() -> None:
    calls: list[str] = []
    target = spy_engine(calls, SubjectKind.HPA)
    spaces = ("a", "b", "c", "d")
    feed(target, *(namespace(ns) for ns in spaces), *(deployment(ns=ns, resources=GOOD) for ns in spaces))
    feed(target, _hpa("a", "in-a"), _hpa("c", "in-c"), _hpa("d", "in-d"))
    target.evaluate()
    calls.clear()
    for desired in (3, 4):
        feed(target, _hpa("c", "in-c", desired), event="MODIFIED")
        target.evaluate()
        assert calls == ["in-c"]
        calls.clear()
        # One goes and another comes before it in one batch: as many HPAs as before, moved.
        feed(target, _hpa("d", "in-d"), event="DELETED")
        feed(target, _hpa("b", "in-b"))
        target.evaluate()
        assert calls == ["in-b"]
        calls.clear()
        feed(target, _hpa("b", "in-b"), event="DELETED")
        feed(target, _hpa("d", "in-d"))
        target.evaluate()
        assert calls == ["in-d"]
        calls.clear()
    feed(target, _hpa("a", "in-a"), event="DELETED")
    target.evaluate()
    calls.clear()
    feed(target, deployment(ns="a", resources=GOOD | {"limits": {"memory": "256Mi"}}), event="MODIFIED")
    target.evaluate()
    assert calls == []  # the HPA of namespace a is gone: nothing there to check


def test_subjects_of_touched_namespaces_and_marked_objects_are_picked_in_their_order() -> None:
    calls: list[str] = []
    target = spy_engine(calls)
    feed(target, *(namespace(ns) for ns in ("a", "b", "c")))
    feed(target, *(deployment(name, ns, resources=GOOD) for ns in ("a", "b", "c") for name in ("x", "y")))
    target.evaluate()
    calls.clear()
    feed(target, namespace("c", team="payments"), event="MODIFIED")  # all of c
    feed(target, deployment("y", "a"), event="MODIFIED")  # one of a
    target.evaluate()
    assert calls == ["y", "x", "y"]  # a/y, then c/x and c/y


def test_hpa_scale_history_from_the_watch_feeds_the_oscillation_check() -> None:
    clock = Clock()
    target = engine(clock)
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("web", "shop"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 9,
        },
        "status": {"currentReplicas": 2, "desiredReplicas": 2},
    }
    feed(target, namespace("shop"), deployment(resources=GOOD), hpa)
    target.evaluate()
    for i in range(16):  # up and down every minute: 16 changes, 14 reversals in 16 minutes
        clock.now += 60
        flapping = copy.deepcopy(hpa)
        flapping["status"]["desiredReplicas"] = 2 + 3 * (i % 2 == 0)
        feed(target, flapping, event="MODIFIED")
    plan = target.evaluate()
    body = creates_by_check(plan)["autoscaling.scaling-oscillation"]
    assert body["spec"]["evidence"] == {
        "scaleEvents": 16,
        "reversals": 14,
        "windowMinutes": 60,
        "source": "watch",
    }
    clock.now += 2 * 3600  # quiet for two hours: the history has left the window
    assert [key[2] for key in target.evaluate().deletes] == [body["metadata"]["name"]]


def test_the_facts_an_evaluation_read_do_not_move_with_the_watch() -> None:
    clock = Clock()
    target = engine(clock)
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("web", "shop"),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
        "status": {"desiredReplicas": 2},
    }
    feed(target, namespace("shop"), deployment(resources=GOOD), hpa)
    target.evaluate()
    scaled = copy.deepcopy(hpa)
    scaled["status"]["desiredReplicas"] = 3
    feed(target, scaled, event="MODIFIED")
    target.evaluate()
    facts = target.facts()
    assert facts.scale_history[("shop", "web")] == ((clock.now, 3),)
    with pytest.raises(TypeError):
        facts.scale_history[("shop", "web")] = ()  # type: ignore[index]
    clock.now += 60
    feed(target, hpa, event="MODIFIED")
    target.evaluate()
    assert facts.scale_history[("shop", "web")] == ((NOW, 3),)
    assert target.facts().scale_history[("shop", "web")] == ((NOW, 3), (NOW + 60, 2))


def _gateway(ns: str = "infra") -> Body:
    listener = {
        "name": "http",
        "protocol": "HTTP",
        "port": 80,
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": meta("public", ns),
        "spec": {"gatewayClassName": "eg", "listeners": [listener]},
    }


def _route(ns: str, host: str) -> Body:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta("web", ns),
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "infra"}],
            "hostnames": [host],
            "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
        },
    }


@pytest.mark.parametrize("route_host", ["web.example", "*.example"])
def test_a_route_in_another_namespace_reaches_the_migration_checks_of_its_hosts(route_host: str) -> None:
    target = engine()
    feed(target, namespace("shop"), namespace("infra"), namespace("edge"), ingress(), _gateway())
    assert "migration.dual-served-host" not in creates_by_check(target.evaluate())
    feed(target, _route("edge", route_host))
    created = creates_by_check(target.evaluate())["migration.dual-served-host"]
    assert created["spec"]["target"]["namespace"] == "shop"
    feed(target, _route("edge", route_host), event="DELETED")
    assert ("Finding", "shop", created["metadata"]["name"]) in target.evaluate().deletes


def test_memoised_values_do_not_pile_up_as_objects_change() -> None:
    """Each in-place update drops the per-inventory memo (it holds the subjects it was computed for),
    so a long-running operator does not keep every past version of a workload alive."""
    target = engine()
    feed(target, namespace("shop"), deployment(), ingress())
    target.evaluate()
    for replicas in range(3, 30):
        changed = deployment()
        changed["spec"]["replicas"] = replicas
        changed["spec"]["template"]["metadata"]["labels"]["rev"] = str(replicas)
        feed(target, changed, event="MODIFIED")
        target.evaluate()
    inventory = target._inventory
    assert inventory is not None
    assert len(inventory._derived) <= 4


def test_a_route_edited_again_and_again_leaves_no_past_versions_in_the_network() -> None:
    """The network remembers each route's GatewayClasses; a route replaced in place takes its old
    version's entry with it, so a long-running operator does not keep every past route alive."""
    target = engine()
    feed(target, namespace("infra"), namespace("edge"), _gateway(), _route("edge", "web.example"))
    target.evaluate()
    for n in range(20):
        feed(target, _route("edge", f"web{n}.example"), event="MODIFIED")
        target.evaluate()
    inventory = target._inventory
    assert inventory is not None
    assert len(inventory.network._route_classes) <= 1
