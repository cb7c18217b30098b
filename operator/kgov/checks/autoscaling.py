"""Autoscaling checks (`category: autoscaling`). Facts: reference autoscaling-and-qos.md §3–4."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import suppress
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

from pydantic import ValidationError

from kgov.checks import fields, pressure
from kgov.checks.params import (
    GapParams,
    NoParams,
    OscillationParams,
    Params,
    StarvedParams,
    ThrottleParams,
    WindowParams,
)
from kgov.checks.registry import CheckContext, CheckFunction, Issue, Undecided
from kgov.domain.measured import provenance, window_hours
from kgov.findings.model import Severity
from kgov.inventory import AbsentTarget, HPAView, Inventory, VPAView, Workload
from kgov.model.base import read_key
from kgov.model.evidence import EvidenceSource, EvidenceUnavailable, Signal
from kgov.model.kinds import SCALED_OBJECT_KIND
from kgov.model.pods import QOS_RESOURCES, PodSpec, PodTemplate
from kgov.model.qos import EffectiveContainer, LimitDefaults, effective_containers
from kgov.model.quantity import format_quantity

if TYPE_CHECKING:  # loaded for a scan that holds an autoscaler (see kgov.model)
    from kgov.model.autoscaling import VPA, MetricSpec

RESOURCE_METRICS = ("Resource", "ContainerResource")

# Scalable kinds the inventory always holds when they exist, with the API groups that serve them. An
# HPA on any other kind (Argo Rollout, a CR with a scale subresource) cannot be called dangling.
SCALABLE_KINDS = {
    "Deployment": {"apps", "extensions"},
    "StatefulSet": {"apps"},
    "ReplicaSet": {"apps", "extensions"},
    "ReplicationController": {""},
}

View = TypeVar("View", HPAView, VPAView)


# ---- shared helpers ------------------------------------------------------------------------------


Target = Workload | AbsentTarget


def subject_name(target: Target) -> str:
    """How messages name the autoscaled workload; one outside the scope says so."""
    if isinstance(target, AbsentTarget):
        return f"{target.display()} (not in the input)"
    return target.obj.display()


def hpa_label(view: HPAView) -> str:
    """`HPA web`, or `ScaledObject web (through the HPA KEDA creates)` for a KEDA ScaledObject."""
    if view.obj.kind == SCALED_OBJECT_KIND:
        return f"ScaledObject {view.obj.name} (through the HPA KEDA creates)"
    return f"HPA {view.obj.name}"


def distinct(views: Sequence[View], workload: Target, context: CheckContext[Any]) -> list[View]:
    """One view per autoscaler: a repository holding one HPA per environment folder is not two HPAs.

    Among copies of the same object, the one nearest to the workload's file is kept.
    """
    chosen: dict[tuple[str, str | None, str], View] = {}
    for view in views:
        key = view.obj.key
        if key in chosen:
            continue
        copies = [v for v in views if v.obj.key == key]
        nearest = context.inventory.get(*key, near=workload.obj)
        chosen[key] = next((v for v in copies if v.obj is nearest), copies[0])
    return list(chosen.values())


def running_names(workload: Target) -> list[str]:
    """Containers the HPA measures and the VPA resizes: regular ones and sidecars. Outside the scope
    they are unknown: `*` stands for the containers without a policy of their own, beside the ones the
    HPA measures by name."""
    if isinstance(workload, AbsentTarget):
        named = [m.container for h in workload.hpas for m in h.hpa.metrics if m.container]
        return list(dict.fromkeys(["*", *named]))
    return [c.name for c in workload.template.running_containers()]


def running(containers: list[EffectiveContainer]) -> list[EffectiveContainer]:
    return [c for c in containers if c.role != "init"]


def live_templates(workload: Workload, inventory: Inventory) -> list[PodTemplate]:
    """The distinct specs of the workload's live pods (requests as admitted: LimitRange and VPA
    applied), in the order of the first pod running each. Several checks ask, so they are read once
    per workload and evaluation; a workload's pods mostly run one spec as far as the projection
    reads it (two in a rollout), so that one is kept once, not once per pod."""
    return inventory.derived("live_templates", workload, lambda: _live_templates(workload))


def _live_templates(workload: Workload) -> list[PodTemplate]:
    read: set[Hashable] = set()  # each pod's spec as far as PodSpec reads it
    templates: list[PodTemplate] = []
    for pod in workload.pods:
        spec = pod.obj.raw.get("spec")
        with suppress(TypeError):  # a value no key can hold (not from JSON): validated on its own
            if (key := read_key(PodSpec, spec)) in read:
                continue
            read.add(key)
        try:
            template = PodTemplate.model_validate({"spec": spec}, by_alias=True)
        except (ValidationError, ValueError):
            continue
        if template not in templates:
            templates.append(template)
    return templates


def _requests_path(workload: Target) -> fields.FieldPath:
    """The requests an overlap is about: the workload's first running container's, or the HPA's target
    reference when the workload is not in the input (the finding is on the HPA then)."""
    if isinstance(workload, AbsentTarget):
        return ("spec", "scaleTargetRef")
    return fields.first_container(workload, running_names(workload), "resources", "requests")


def defaults_of(workload: Workload, context: CheckContext[Any]) -> LimitDefaults | None:
    return context.inventory.limit_defaults_for(workload.obj)


def false_condition(view: HPAView, kind: str) -> dict[str, Any] | None:
    """The HPA's first `kind` condition that is False, as evidence: its reason and message."""
    for c in view.hpa.status.conditions:
        if c.type == kind and c.status == "False":
            return {"reason": c.reason, "message": c.message}
    return None


def mode_label(vpa: VPA) -> str:
    return vpa.update_mode if vpa.spec.update_policy.update_mode else "no updateMode, so Recreate"


def dimension(metric: MetricSpec) -> str:
    """`cpu utilization of container app (the default metric)` and the like, for messages."""
    resource = metric.resource or "?"
    if metric.target_type == "Utilization":
        text = f"{resource} utilization"
    elif metric.target_type == "AverageValue":
        text = f"average {resource} usage"
    else:
        text = resource
    if metric.container:
        text += f" of container {metric.container}"
    if metric.defaulted:
        text += " (the default metric when none is set)"
    return text


def join(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def quantity(value: Decimal | None, resource: str) -> str | None:
    return None if value is None else format_quantity(value, resource)


# ---- HPA/VPA overlap -----------------------------------------------------------------------------


class Overlap(NamedTuple):
    """An HPA resource metric whose resource the VPA also sets, and on which containers."""

    metric: MetricSpec
    containers: tuple[str, ...]


def overlaps(hpa: HPAView, vpa: VPAView, containers: list[str]) -> list[Overlap]:
    """HPA resource metrics on a resource the VPA controls (§4.4).

    A `Resource` metric overlaps on every container that the VPA controls the resource of, a
    `ContainerResource` metric only on the container it names.
    """
    found = []
    for metric in hpa.hpa.metrics:
        resource = metric.resource
        if resource is None or metric.type not in RESOURCE_METRICS:
            continue
        if metric.type == "ContainerResource":
            scope = [c for c in containers if c == metric.container]
        else:
            scope = containers
        hit = tuple(c for c in scope if resource in vpa.vpa.controlled_resources(c))
        if hit:
            found.append(Overlap(metric, hit))
    return found


def pairs(workload: Target, context: CheckContext[Any]) -> Iterator[tuple[HPAView, VPAView, list[Overlap]]]:
    """Each HPA that can scale (a pinned one, minReplicas = maxReplicas, cannot, whatever its
    metrics read: `hpa-fixed-replicas` reports it) with each VPA of the workload."""
    containers = running_names(workload)
    for hpa in distinct(workload.hpas, workload, context):
        if hpa.hpa.pinned:
            continue
        for vpa in distinct(workload.vpas, workload, context):
            yield hpa, vpa, overlaps(hpa, vpa, containers)


def overlap_evidence(
    hpa: HPAView, vpa: VPAView, found: list[Overlap], workload: Target | None = None
) -> dict[str, Any]:
    per_container: dict[str, list[str]] = {}
    for overlap in found:
        for container in overlap.containers:
            resources = per_container.setdefault(container, [])
            if overlap.metric.resource and overlap.metric.resource not in resources:
                resources.append(overlap.metric.resource)
    return {
        "hpa": hpa.obj.name,
        "vpa": vpa.obj.name,
        "mode": vpa.vpa.update_mode,
        "modeDefaulted": vpa.vpa.spec.update_policy.update_mode is None,
        "overlappingResources": per_container,
        "metrics": [o.metric.describe() for o in found],
        "source": EvidenceSource.SPEC,
    } | _absent(workload)


def _absent(workload: Target | None) -> dict[str, Any]:
    """Evidence naming a workload outside the scope, decided from its autoscalers alone."""
    if not isinstance(workload, AbsentTarget):
        return {}
    return {"workload": workload.display(), "workloadInInput": False}


def hpa_vpa_overlap(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue]:
    for hpa, vpa, found in pairs(workload, context):
        if not found or not vpa.vpa.is_active:
            continue
        coupled = [o for o in found if o.metric.target_type == "Utilization"]
        lead = (coupled or found)[0]
        resources = join([o.metric.resource or "" for o in found])
        if coupled:
            why = (
                "utilization is usage divided by the request the VPA keeps changing, so each "
                "autoscaler moves the other's input"
            )
        else:
            why = "the VPA resizes pods from the per-pod usage the HPA changes with every scale"
        yield Issue(
            f"{subject_name(workload)} is scaled by {hpa_label(hpa)} on "
            f"{dimension(lead.metric)} while VPA {vpa.obj.name} ({mode_label(vpa.vpa)}) also sets "
            f"{resources} requests: {why}",
            overlap_evidence(hpa, vpa, found, workload),
            severity=Severity.HIGH if coupled else Severity.MEDIUM,
            related=(hpa.obj.ref, vpa.obj.ref),
            discriminator=f"{hpa.obj.name}/{vpa.obj.name}",
            path=_requests_path(workload),
        )


def hpa_vpa_initial_overlap(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue]:
    for hpa, vpa, found in pairs(workload, context):
        if not found or vpa.vpa.update_mode != "Initial":
            continue
        resources = join([o.metric.resource or "" for o in found])
        yield Issue(
            f"{subject_name(workload)} is scaled by {hpa_label(hpa)} on "
            f"{dimension(found[0].metric)} while VPA {vpa.obj.name} (Initial) sets {resources} "
            "requests on every new pod, each one the HPA adds included: the HPA's per-pod "
            "baseline drifts with every scale-out",
            overlap_evidence(hpa, vpa, found, workload),
            related=(hpa.obj.ref, vpa.obj.ref),
            discriminator=f"{hpa.obj.name}/{vpa.obj.name}",
            path=_requests_path(workload),
        )


def hpa_vpa_coexist(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue]:
    containers = running_names(workload)
    for hpa, vpa, found in pairs(workload, context):
        if found or not vpa.vpa.is_active:
            continue
        controlled = sorted({r for c in containers for r in vpa.vpa.controlled_resources(c)})
        if not controlled:  # every container under `mode: Off`: the VPA acts on nothing
            continue
        metrics = [m.describe() for m in hpa.hpa.metrics]
        yield Issue(
            f"{subject_name(workload)} is scaled by {hpa_label(hpa)} ({join(metrics)}) while "
            f"VPA {vpa.obj.name} ({mode_label(vpa.vpa)}) sets {join(controlled)} requests, a "
            "dimension the HPA does not scale on: allowed, but the stricter guidance keeps the "
            "VPA in Off or Initial mode when both run",
            {
                **overlap_evidence(hpa, vpa, [], workload),
                "metrics": metrics,
                "vpaControlledResources": controlled,
            },
            related=(hpa.obj.ref, vpa.obj.ref),
            discriminator=f"{hpa.obj.name}/{vpa.obj.name}",
        )


# ---- several autoscalers on one target -----------------------------------------------------------


def multiple_vpa(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue]:
    vpas = [v for v in distinct(workload.vpas, workload, context) if not v.vpa.is_off]
    if len(vpas) > 1:
        names = [v.obj.name for v in vpas]
        yield Issue(
            f"{subject_name(workload)} is targeted by {len(vpas)} VPAs that are not Off "
            f"({join(names)}): several VPAs matching one pod have undefined behaviour",
            {"vpas": [{"name": v.obj.name, "mode": v.vpa.update_mode} for v in vpas]} | _absent(workload),
            related=tuple(v.obj.ref for v in vpas),
        )


def multiple_hpa(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue]:
    hpas = distinct(workload.hpas, workload, context)
    if len(hpas) > 1:
        names = [h.obj.name for h in hpas]
        yield Issue(
            f"{subject_name(workload)} is targeted by {len(hpas)} HPAs ({join(names)}): each "
            f"overwrites the replica count the {'other' if len(hpas) == 2 else 'others'} set, so the "
            "workload flaps between their decisions",
            {"hpas": [{"name": h.obj.name, "metrics": [m.describe() for m in h.hpa.metrics]} for h in hpas]}
            | _absent(workload),
            related=tuple(h.obj.ref for h in hpas),
        )


# ---- autoscaling.hpa-missing-requests ------------------------------------------------------------


def pod_level_request(template: PodTemplate, resource: str) -> bool:
    """Pod-level requests (or limits, which default them) satisfy a `Resource` metric (KEP-2837)."""
    pod = template.spec.resources
    return pod is not None and bool(pod.requests.get(resource) or pod.limits.get(resource))


def unrequested(
    templates: list[PodTemplate], defaults: LimitDefaults | None, metric: MetricSpec, resource: str
) -> list[str]:
    """Containers the HPA needs a request from that do not have one, in any of the pods."""
    missing: list[str] = []
    for template in templates:
        if metric.type == "Resource" and pod_level_request(template, resource):
            continue
        for container in running(effective_containers(template, defaults)):
            if metric.type == "ContainerResource" and container.name != metric.container:
                continue
            if container.request(resource) is None and container.name not in missing:
                missing.append(container.name)
    return missing


_UNKNOWN_REQUESTS = Undecided(
    "HPA with a Utilization target on a workload not in the input (its requests are unknown)",
    "HPAs with a Utilization target on workloads not in the input (their requests are unknown)",
)
_UNKNOWN_TEMPLATE = Undecided(
    "HPA on a workload not in the input (its replicas field is unknown)",
    "HPAs on workloads not in the input (their replicas fields are unknown)",
)


def hpa_missing_requests(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    if isinstance(workload, AbsentTarget):
        if any(m.target_type == "Utilization" for h in workload.hpas for m in h.hpa.metrics):
            yield _UNKNOWN_REQUESTS
        return
    if not workload.hpas:
        return  # (before reading its pods' specs)
    pods = live_templates(workload, context.inventory)
    # Live pods carry what the HPA really divides by (LimitRange and VPA admission applied).
    templates, defaults, source = (
        (pods, None, EvidenceSource.PODS)
        if pods
        else ([workload.template], defaults_of(workload, context), EvidenceSource.SPEC)
    )
    for view in distinct(workload.hpas, workload, context):
        for metric in view.hpa.metrics:
            resource = metric.resource
            if metric.target_type != "Utilization" or metric.type not in RESOURCE_METRICS or not resource:
                continue
            missing = unrequested(templates, defaults, metric, resource)
            if not missing:
                continue
            evidence: dict[str, Any] = {
                "hpa": view.obj.name,
                "resource": resource,
                "containers": missing,
                "metric": metric.describe(),
                "source": source,
            }
            inactive = false_condition(view, "ScalingActive")
            if inactive:
                evidence["scalingActive"] = inactive
            who = (
                f"container {missing[0]} requests"
                if len(missing) == 1
                else f"containers {join(missing)} request"
            )
            yield Issue(
                f"{workload.obj.display()} is scaled by {hpa_label(view)} on "
                f"{dimension(metric)} but {who} no {resource}: the utilization is undefined, so the "
                "HPA takes no action on this metric",
                evidence,
                related=(view.obj.ref,),
                discriminator=f"{view.obj.name}/{metric.type}/{resource}/{metric.container or ''}",
                path=fields.container(workload, missing[0], "resources", "requests"),
            )


# ---- HPA subjects --------------------------------------------------------------------------------


_UNKNOWN_TARGET = Undecided("HPA whose target is not in the input", "HPAs whose targets are not in the input")


def hpa_target_missing(view: HPAView, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    inventory = context.inventory
    ref = view.hpa.scale_target_ref
    namespace = view.obj.namespace
    groups = SCALABLE_KINDS.get(ref.kind)
    group = (ref.api_version or "").rpartition("/")[0]
    if groups is None or (ref.api_version and group not in groups):
        return  # a kind the inventory does not hold: its absence proves nothing
    if inventory.get(ref.kind, namespace, ref.name, near=view.obj) is not None:
        return
    if not inventory.complete(ref.kind, namespace):
        yield _UNKNOWN_TARGET
        return
    evidence: dict[str, Any] = {
        "ref": {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name},
        "source": EvidenceSource.CLUSTER if inventory.live else EvidenceSource.FILES,
    }
    failed = false_condition(view, "AbleToScale")
    if failed:
        evidence["ableToScale"] = failed
    there = f" in namespace {namespace}" if namespace else ""
    why = (
        f"which does not exist{there}"
        if inventory.live
        else f"which the complete input does not define{there}"
    )
    yield Issue(
        f"{view.obj.display()} targets {ref.kind} {ref.name}, {why}: the HPA scales nothing",
        evidence,
        path=("spec", "scaleTargetRef", "name"),
    )


def hpa_fixed_replicas(view: HPAView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    hpa = view.hpa
    if hpa.pinned:
        target = hpa.scale_target_ref
        replicas = f"{hpa.max_replicas} replica{'' if hpa.max_replicas == 1 else 's'}"
        yield Issue(
            f"{view.obj.display()} has minReplicas = maxReplicas = {hpa.max_replicas}: it pins "
            f"{target.kind} {target.name} at {replicas} and never scales",
            {"min": hpa.min_replicas, "max": hpa.max_replicas},
            path=("spec", "maxReplicas"),
        )


# ---- autoscaling.hpa-replicas-in-template --------------------------------------------------------


def hpa_replicas_in_template(
    workload: Target, context: CheckContext[NoParams]
) -> Iterator[Issue | Undecided]:
    if isinstance(workload, AbsentTarget):
        if workload.hpas:
            yield _UNKNOWN_TEMPLATE
        return
    replicas = workload.spec.replicas
    hpas = distinct(workload.hpas, workload, context)
    if replicas is None or not hpas:
        return
    names = [h.obj.name for h in hpas]
    yield Issue(
        f"{workload.obj.display()} sets spec.replicas: {replicas} in its manifest while HPA "
        f"{join(names)} manages its replica count: every apply resets the HPA's decision",
        {"replicas": replicas, "hpa": names[0], "hpas": names, "path": "spec.replicas"},
        related=tuple(h.obj.ref for h in hpas),
        path=("spec", "replicas"),
    )


# ---- autoscaling.hpa-on-starved-pods -------------------------------------------------------------


def hpa_on_starved_pods(workload: Workload, context: CheckContext[StarvedParams]) -> Iterator[Issue]:
    hpas = distinct(workload.hpas, workload, context)
    if not hpas:
        return
    params: StarvedParams = context.params
    starved, unavailable = _starvation(workload, context, params)
    if not starved:
        if unavailable is not None:
            raise unavailable
        return
    names = [h.obj.name for h in hpas]
    check, issue = starved[0]
    evidence: dict[str, Any] = {
        "hpa": names[0],
        "hpas": names,
        "buildsOn": check,
        "qosFinding": {"message": issue.message, "evidence": issue.evidence},
        "source": issue.evidence.get("source", EvidenceSource.STATUS),
    }
    if len(starved) > 1:
        evidence["alsoBuildsOn"] = [c for c, _ in starved[1:]]
    yield Issue(
        f"{workload.obj.display()} is scaled out by HPA {join(names)} while its "
        f"{_starved_phrase(check, issue, params)}: more replicas of a starved pod are more starved pods",
        evidence,
        related=tuple(h.obj.ref for h in hpas),
        path=issue.path,
    )


def _starved_phrase(check: str, issue: Issue, params: StarvedParams) -> str:
    evidence = issue.evidence
    if check == "qos.cpu-throttled":
        container = evidence["containers"][0]["container"]
        return f"container {container} is CPU-throttled in {evidence['value']:.0%} of its CFS periods"
    status = [c["container"] for c in evidence.get("containers", [])]
    names = list(dict.fromkeys([*status, *(e["container"] for e in evidence.get("oomEvents", []))]))
    who = f"container {names[0]} was" if len(names) == 1 else f"containers {join(names)} were"
    when = f"{params.window_hours}h" if status else evidence.get("window")
    return f"{who} OOM-killed in the last {when}"


def _starvation(
    workload: Workload, context: CheckContext[Any], params: StarvedParams
) -> tuple[list[tuple[str, Issue]], EvidenceUnavailable | None]:
    """The qos findings that show the pods starved (OOM kills, CPU throttling), and what could not be
    decided for want of evidence."""
    found: list[tuple[str, Issue]] = []
    unavailable = None
    probes: list[tuple[str, Callable[[Workload, CheckContext[Any]], Iterable[Issue]], Params]] = [
        ("qos.oom-killed", pressure.oom_killed, WindowParams(window_hours=params.window_hours)),
        ("qos.cpu-throttled", pressure.cpu_throttled, ThrottleParams(ratio=params.throttle_ratio)),
    ]
    for check, fn, probe_params in probes:
        try:
            found += [
                (check, i)
                for i in fn(
                    workload, CheckContext(context.inventory, probe_params, context.now, context.facts)
                )
            ]
        except EvidenceUnavailable as exc:
            unavailable = unavailable or exc
    return found, unavailable


# ---- autoscaling.scaling-oscillation -------------------------------------------------------------


def scaling_oscillation(view: HPAView, context: CheckContext[OscillationParams]) -> Iterator[Issue]:
    """Measured desired-replica changes win; without Prometheus, the operator's watch history of the
    HPA is used. Files have neither and never fire."""
    if context.facts.evidence is not None:
        yield from _measured_oscillation(view, context)
    else:
        yield from _watched_oscillation(view, context)


def _measured_oscillation(view: HPAView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: OscillationParams = context.params
    evidence = context.facts.evidence
    if evidence is None or view.obj.namespace is None:
        return
    signal = Signal.HPA_DESIRED_REPLICAS
    series = evidence.matching(signal, namespace=view.obj.namespace, horizontalpodautoscaler=view.obj.name)
    hours = window_hours(evidence, signal)
    for s in series:
        per_hour = s.value / hours
        if per_hour <= params.max_per_hour:
            continue
        reversals = int(s.details.get("reversals", 0))
        yield Issue(
            f"{view.obj.display()} changed its desired replicas {int(s.value)} times in "
            f"{evidence.result(signal).window} ({per_hour:.0f}/h, {reversals} direction reversals), above "
            f"{params.max_per_hour}/h: the workload is scaled up and down faster than it can settle",
            {
                "value": round(per_hour, 2),
                "threshold": params.max_per_hour,
                "changes": int(s.value),
                "reversals": reversals,
                "samples": s.samples,
                "timeline": s.details.get("timeline", []),
                "resolution": s.details.get("resolution"),
                **provenance(evidence, signal),
            },
            path=("spec", "behavior"),
        )


def _watched_oscillation(view: HPAView, context: CheckContext[Any]) -> Iterator[Issue]:
    """From the operator's watch history of the HPA's desired replicas."""
    history = context.facts.scale_history.get((view.obj.namespace, view.obj.name), ())
    window = context.params.window_minutes
    since = context.now.timestamp() - window * 60
    replicas = [count for at, count in history if at >= since]
    steps = [b - a for a, b in pairwise(replicas) if b != a]
    reversals = sum(1 for a, b in pairwise(steps) if (a > 0) != (b > 0))
    per_hour = max(len(replicas), reversals) * 60 / window
    if per_hour <= context.params.max_per_hour:
        return
    yield Issue(
        f"HPA {view.obj.namespace}/{view.obj.name} changed its desired replicas {len(replicas)} times "
        f"({reversals} reversals) in the last {window} minutes",
        {
            "scaleEvents": len(replicas),
            "reversals": reversals,
            "windowMinutes": window,
            "source": EvidenceSource.WATCH,
        },
        path=("spec", "behavior"),
    )


# ---- VPA recommendations -------------------------------------------------------------------------


def current_requests(
    workload: Workload, vpa: VPA, context: CheckContext[Any]
) -> tuple[dict[str, list[Decimal]], str] | None:
    """Each container's requests as the pods run them, and where that came from; None when unknown.

    Live pods are the truth. Without them the template is only what runs when the VPA is Off: in
    any other mode the VPA rewrites the requests of the pods it admits.
    """
    pods = live_templates(workload, context.inventory)
    if pods:
        templates, defaults, source = pods, None, "pods"
    elif vpa.is_off:
        templates, defaults, source = [workload.template], defaults_of(workload, context), "spec"
    else:
        return None
    requests: dict[str, list[Decimal]] = {}
    for template in templates:
        for container in running(effective_containers(template, defaults)):
            for resource in QOS_RESOURCES:
                value = container.request(resource)
                if value is not None:
                    requests.setdefault(f"{container.name}/{resource}", []).append(value)
    return requests, source


def vpa_recommendation_gap(workload: Workload, context: CheckContext[GapParams]) -> Iterator[Issue]:
    params: GapParams = context.params
    for view in distinct(workload.vpas, workload, context):
        vpa = view.vpa
        if not vpa.status.recommendation.container_recommendations:
            continue
        current = current_requests(workload, vpa, context)
        if current is None:
            continue
        requests, source = current
        gaps: list[dict[str, Any]] = []
        for rec in vpa.status.recommendation.container_recommendations:
            for resource in QOS_RESOURCES:
                target = rec.target.get(resource)
                values = requests.get(f"{rec.container_name}/{resource}")
                if not target or not values:
                    continue
                # Several pods may disagree (a rollout): judge by the one nearest the target.
                request = min(values, key=lambda v: abs(v - target))
                gap = abs(target - request) / request
                if gap > params.ratio:
                    gaps.append(
                        {
                            "container": rec.container_name,
                            "resource": resource,
                            "request": format_quantity(request, resource),
                            "target": format_quantity(target, resource),
                            "lowerBound": quantity(rec.lower_bound.get(resource), resource),
                            "upperBound": quantity(rec.upper_bound.get(resource), resource),
                            "gap": float(round(gap, 2)),
                            "direction": "above" if target > request else "below",
                        }
                    )
        if not gaps:
            continue
        worst = max(gaps, key=lambda g: g["gap"])
        yield Issue(
            f"{workload.obj.display()}: VPA {view.obj.name} ({vpa.update_mode}) recommends "
            f"{worst['target']} {worst['resource']} for container {worst['container']}, "
            f"{round(worst['gap'] * 100)}% {worst['direction']} its request of "
            f"{worst['request']}: the requests are sized far from observed usage",
            {
                "gaps": gaps,
                "threshold": float(params.ratio),
                "vpa": view.obj.name,
                "source": source,
            },
            related=(view.obj.ref,),
            discriminator=view.obj.name,
            path=fields.container(workload, worst["container"], "resources", "requests"),
        )


def vpa_requests_only_limit(workload: Workload, context: CheckContext[NoParams]) -> Iterator[Issue]:
    containers = running(effective_containers(workload.template, defaults_of(workload, context)))
    for view in distinct(workload.vpas, workload, context):
        vpa = view.vpa
        if vpa.is_off:  # recommendations only: nothing is applied under the limit
            continue
        over: list[dict[str, str]] = []
        for container in containers:
            rec = vpa.recommendation_for(container.name)
            if rec is None or vpa.controlled_values(container.name) != "RequestsOnly":
                continue
            for resource in sorted(vpa.controlled_resources(container.name) & set(QOS_RESOURCES)):
                target, limit = rec.target.get(resource), container.limit(resource)
                if target and limit and target > limit:
                    over.append(
                        {
                            "container": container.name,
                            "resource": resource,
                            "limit": format_quantity(limit, resource),
                            "target": format_quantity(target, resource),
                        }
                    )
        if not over:
            continue
        first = over[0]
        risk = "OOM-killed" if first["resource"] == "memory" else "CPU-throttled"
        yield Issue(
            f"{workload.obj.display()}: VPA {view.obj.name} sets requests only (RequestsOnly) and "
            f"recommends {first['target']} {first['resource']} for container "
            f"{first['container']}, above its {first['limit']} limit: the request is capped at "
            f"the limit and the container is {risk} below what it needs",
            {
                "containers": over,
                "vpa": view.obj.name,
                "mode": vpa.update_mode,
                "source": EvidenceSource.SPEC,
            },
            related=(view.obj.ref,),
            discriminator=view.obj.name,
            path=fields.container(workload, first["container"], "resources", "limits"),
        )


# ---- autoscaling.vpa-unknown-container ------------------------------------------------------------

_UNKNOWN_VPA_TARGET = Undecided(
    "VPA with container policies on a workload not in the input",
    "VPAs with container policies on workloads not in the input",
)


def vpa_unknown_container(workload: Target, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    if isinstance(workload, AbsentTarget):
        if any(
            p.container_name != "*"
            for v in workload.vpas
            for p in v.vpa.spec.resource_policy.container_policies
        ):
            yield _UNKNOWN_VPA_TARGET
        return
    names = {c.name for c in workload.template.all_containers()}
    for view in distinct(workload.vpas, workload, context):
        policies = view.vpa.spec.resource_policy.container_policies
        stray = [
            p.container_name for p in policies if p.container_name != "*" and p.container_name not in names
        ]
        if not stray:
            continue
        yield Issue(
            f"{workload.obj.display()}: VPA {view.obj.name} has a container policy for "
            f"{join(stray)}, which {'is' if len(stray) == 1 else 'are'} not a container of the pods: the "
            "policy applies to nothing (a renamed container, or a typo) and its containers fall under "
            "the default policy",
            {
                "vpa": view.obj.name,
                "policies": stray,
                "containers": sorted(names),
                "source": EvidenceSource.SPEC,
            },
            related=(view.obj.ref,),
            discriminator=view.obj.name,
        )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "autoscaling.hpa-vpa-overlap": hpa_vpa_overlap,
    "autoscaling.hpa-vpa-initial-overlap": hpa_vpa_initial_overlap,
    "autoscaling.hpa-vpa-coexist": hpa_vpa_coexist,
    "autoscaling.multiple-vpa": multiple_vpa,
    "autoscaling.multiple-hpa": multiple_hpa,
    "autoscaling.hpa-missing-requests": hpa_missing_requests,
    "autoscaling.hpa-target-missing": hpa_target_missing,
    "autoscaling.hpa-fixed-replicas": hpa_fixed_replicas,
    "autoscaling.hpa-replicas-in-template": hpa_replicas_in_template,
    "autoscaling.hpa-on-starved-pods": hpa_on_starved_pods,
    "autoscaling.scaling-oscillation": scaling_oscillation,
    "autoscaling.vpa-recommendation-gap": vpa_recommendation_gap,
    "autoscaling.vpa-requests-only-limit": vpa_requests_only_limit,
    "autoscaling.vpa-unknown-container": vpa_unknown_container,
}
