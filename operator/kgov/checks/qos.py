"""Resources and QoS checks (`category: resources`). Facts: reference autoscaling-and-qos.md §1–2."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any, Final, NamedTuple

from kgov.catalogue import image_name
from kgov.checks import fields
from kgov.checks.params import CriticalParams, NearLimitParams, NoParams, OvercommitParams
from kgov.checks.pressure import containers_phrase, cpu_throttled, oom_killed, worst_container_issue
from kgov.checks.registry import CheckContext, CheckFunction, Issue
from kgov.data import data_yaml
from kgov.domain.measured import pod_series, worst_per_container
from kgov.findings.model import Severity
from kgov.globs import glob_match
from kgov.inventory import Workload
from kgov.model.evidence import EvidenceSource, Series, Signal
from kgov.model.pods import QOS_RESOURCES, PodTemplate
from kgov.model.qos import EffectiveContainer, QoSClass, effective_containers, template_qos
from kgov.model.quantity import format_quantity


def workload_qos(
    workload: Workload, context: CheckContext[Any]
) -> tuple[QoSClass, EvidenceSource, list[EffectiveContainer]]:
    """The workload's QoS class, where it came from (`status` of live pods, else `spec`), and containers.

    Live pods carry the class the kubelet assigned, LimitRange defaults included, so they win.
    Several checks ask, so it is worked out once per workload in a scan.
    """
    return context.inventory.derived("workload_qos", workload, lambda: _workload_qos(workload, context))


def _workload_qos(
    workload: Workload, context: CheckContext[Any]
) -> tuple[QoSClass, EvidenceSource, list[EffectiveContainer]]:
    defaults = context.inventory.limit_defaults_for(workload.obj)
    containers = effective_containers(workload.template, defaults)
    live = {p.pod.status.qos_class for p in workload.pods if p.pod.status.qos_class}
    if len(live) == 1:
        return QoSClass(live.pop()), EvidenceSource.STATUS, containers
    return template_qos(workload.template, defaults), EvidenceSource.SPEC, containers


def _names(containers: list[EffectiveContainer]) -> list[str]:
    return [c.name for c in containers]


# ---- context: what the pods are for ------------------------------------------------------------------

RUN_TO_COMPLETION_KINDS = frozenset({"Job", "CronJob"})
HELM_HOOK = "helm.sh/hook"


def run_context(workload: Workload) -> str | None:
    """`helm test hook` or `run-to-completion Job`/`CronJob` for pods that run once and exit, whose
    eviction costs a retry rather than an outage; None for serving workloads."""
    hooks = {h.strip() for h in workload.obj.annotations.get(HELM_HOOK, "").split(",") if h.strip()}
    if hooks & {"test", "test-success", "test-failure"}:
        return "helm test hook"
    if workload.obj.kind in RUN_TO_COMPLETION_KINDS:
        return f"run-to-completion {workload.obj.kind}"
    if hooks:
        return f"helm {', '.join(sorted(hooks))} hook"
    return None


def _lowered(severity: Severity, why: str | None) -> Severity:
    """One level lower for run-to-completion pods, the lowest for helm test hooks."""
    if why is None:
        return severity
    if why == "helm test hook":
        return Severity.LOW
    order = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    return order[max(order.index(severity) - 1, 0)] if severity in order else severity


# ---- qos.best-effort --------------------------------------------------------------------------------


def best_effort(workload: Workload, context: CheckContext[NoParams]) -> Iterator[Issue]:
    qos, source, containers = workload_qos(workload, context)
    if qos is not QoSClass.BEST_EFFORT:
        return
    evidence: dict[str, Any] = {"qosClass": qos.value, "containers": _names(containers), "source": source}
    why = run_context(workload)
    critical = why_critical(workload, context)
    if critical is not None:
        # One root cause: the critical-workload finding would say the same of these pods.
        evidence["critical"] = critical.why
        evidence["merged"] = ["qos.critical-not-guaranteed"]
    elif why is not None:
        evidence["context"] = why
    yield Issue(
        f"{workload.obj.display()} runs BestEffort pods: no container sets a cpu or memory "
        "request or limit, so they are evicted first under node pressure"
        + (f"; it is critical ({critical.why}): {critical.consequence}" if critical else "")
        + (f" (a {why}: an eviction costs a retry, not an outage)" if why and not critical else ""),
        evidence,
        severity=Severity.HIGH if critical else _lowered(Severity.HIGH, why),
        path=fields.first_container(workload, _names(containers), "resources"),
    )


# ---- qos.missing-requests ---------------------------------------------------------------------------


def missing_requests(workload: Workload, context: CheckContext[NoParams]) -> Iterator[Issue]:
    qos, _, containers = workload_qos(workload, context)
    if qos is QoSClass.BEST_EFFORT or _pod_level_requests(workload.template):
        return
    if why_critical(workload, context) is not None:
        return  # qos.critical-not-guaranteed reports the same gap on a critical workload
    # An ordinary init container's missing request leaves the pod's request as it is: that is the
    # larger of each init container's (with the sidecars started before it) and the app containers'
    # and sidecars' sum, and the init container runs before the app, in that reservation.
    missing = _missing([c for c in containers if c.role != "init"])
    if not missing:
        return
    listed = ", ".join(f"{name} ({' and '.join(res)})" for name, res in missing.items())
    evidence: dict[str, Any] = {"missing": missing, "qosClass": qos.value}
    why = run_context(workload)
    if why is not None:
        evidence["context"] = why
    yield Issue(
        f"{workload.obj.display()} has containers without requests: {listed}; the scheduler "
        "places them as if they needed nothing",
        evidence,
        severity=_lowered(Severity.MEDIUM, why),
        path=fields.first_container(workload, list(missing), "resources", "requests"),
    )


def _missing(containers: list[EffectiveContainer]) -> dict[str, list[str]]:
    return {
        c.name: [r for r in QOS_RESOURCES if c.request(r) is None]
        for c in containers
        if any(c.request(r) is None for r in QOS_RESOURCES)
    }


def _pod_level_requests(template: PodTemplate) -> bool:
    pod = template.spec.resources
    return pod is not None and all(r in pod.requests or r in pod.limits for r in QOS_RESOURCES)


# ---- qos.memory-limit-missing -----------------------------------------------------------------------


def memory_limit_missing(workload: Workload, context: CheckContext[NoParams]) -> Iterator[Issue]:
    _, _, containers = workload_qos(workload, context)
    pod = workload.template.spec.resources
    if pod is not None and "memory" in pod.limits:
        return
    unbounded = [c.name for c in containers if c.request("memory") and not c.limit("memory")]
    if unbounded:
        yield Issue(
            f"{workload.obj.display()}: {containers_phrase(unbounded)} request memory but set no "
            "memory limit, so usage can grow until the node runs short and the kernel picks a victim",
            {"containers": unbounded},
            path=fields.first_container(workload, unbounded, "resources", "limits"),
        )


# ---- qos.memory-overcommit --------------------------------------------------------------------------


def memory_overcommit(workload: Workload, context: CheckContext[OvercommitParams]) -> Iterator[Issue]:
    params: OvercommitParams = context.params
    _, _, containers = workload_qos(workload, context)
    over: list[dict[str, Any]] = []
    for c in containers:
        request, limit = c.request("memory"), c.limit("memory")
        if request and limit and limit / request > params.ratio:
            over.append(
                {
                    "container": c.name,
                    "request": format_quantity(request, "memory"),
                    "limit": format_quantity(limit, "memory"),
                    "ratio": round(float(limit / request), 2),
                }
            )
    if over:
        worst = max(over, key=lambda o: o["ratio"])
        yield Issue(
            f"{workload.obj.display()}: container {worst['container']} may use {worst['ratio']}× its "
            f"memory request (limit {worst['limit']}, request {worst['request']}), above {params.ratio}×; "
            "under memory pressure it is evicted for using memory the scheduler never reserved",
            {"containers": over, "threshold": float(params.ratio)},
            path=fields.container(workload, worst["container"], "resources", "limits", "memory"),
        )


# ---- qos.critical-not-guaranteed ---------------------------------------------------------------------


@cache
def _own_images() -> tuple[str, ...]:
    data: dict[str, Any] = data_yaml("self-images.yaml")
    return tuple(data["images"])


_DEFAULT_CRITICAL = CriticalParams.model_construct()  # the defaults (see resolve_params)


class Critical(NamedTuple):
    why: str  # what makes the workload critical
    consequence: str  # what an eviction costs
    severity: Severity


_SERVES = "an eviction or OOM kill hits it before the workloads it serves"


def why_critical(
    workload: Workload, context: CheckContext[Any], params: CriticalParams | None = None
) -> Critical | None:
    """Why a workload is critical: an ingress or gateway controller (data plane: high; control plane:
    medium), kube-governor itself, a system priority class, or a selector of `params` (the checks that
    defer to qos.critical-not-guaranteed use its defaults)."""
    params = params or _DEFAULT_CRITICAL
    controller = context.inventory.network.controller_of(workload)
    if controller is not None:
        name, image = controller.controller.name, controller.image
        if controller.plane == "data":
            return Critical(
                f"{name} data plane (image {image})",
                "an eviction or OOM kill takes the traffic it carries down",
                Severity.HIGH,
            )
        return Critical(
            f"{name} control plane (image {image})",
            "an eviction pauses route and endpoint updates until it is back (traffic keeps flowing)",
            Severity.MEDIUM,
        )
    template = workload.template
    if run_context(workload) is None:
        for container in template.all_containers():
            image = container.image or ""
            if any(glob_match(image_name(image), pattern) for pattern in _own_images()):
                return Critical(f"kube-governor itself (image {image})", _SERVES, Severity.MEDIUM)
    priority = template.spec.priority_class_name or ""
    if any(priority.startswith(prefix) for prefix in params.priority_class_prefixes):
        return Critical(f"priorityClassName {priority}", _SERVES, Severity.MEDIUM)
    labels = template.metadata.labels
    for selector in params.selectors:
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            return Critical(f"matches the configured selector {selector}", _SERVES, Severity.MEDIUM)
    return None


def critical_not_guaranteed(workload: Workload, context: CheckContext[CriticalParams]) -> Iterator[Issue]:
    critical = why_critical(workload, context, context.params)
    if critical is None:
        return
    qos, source, containers = workload_qos(workload, context)
    if qos in (QoSClass.GUARANTEED, QoSClass.BEST_EFFORT):
        return  # BestEffort: qos.best-effort reports it, with this context
    evidence: dict[str, Any] = {"qosClass": qos.value, "why": critical.why, "source": source}
    missing = _missing(containers)
    if missing:
        evidence["missingRequests"] = missing
        evidence["merged"] = ["qos.missing-requests"]
    yield Issue(
        f"{workload.obj.display()} is critical ({critical.why}) but its pods are {qos.value}, not "
        f"Guaranteed: {critical.consequence}",
        evidence,
        severity=critical.severity,
        path=fields.first_container(workload, _names(containers), "resources"),
    )


# ---- qos.memory-near-limit ----------------------------------------------------------------------------


def _limit_ratio(series: Series) -> float | None:
    limit = series.details.get("limit_bytes")
    return series.value / limit if isinstance(limit, int | float) and limit > 0 else None


def memory_near_limit(workload: Workload, context: CheckContext[NearLimitParams]) -> Iterator[Issue]:
    params: NearLimitParams = context.params
    evidence = context.facts.evidence
    if evidence is None:
        return
    threshold = float(params.ratio)
    worst = worst_per_container(pod_series(evidence, Signal.MEMORY_WORKING_SET, workload), _limit_ratio)
    near = {name: found for name, found in worst.items() if found[1] >= threshold}
    if not near:
        return
    containers: list[dict[str, Any]] = [
        {
            "container": name,
            "pod": s.labels.get("pod"),
            "workingSet": format_quantity(Decimal(int(s.value)), "memory"),
            "limit": format_quantity(Decimal(int(s.details["limit_bytes"])), "memory"),
            "ratio": round(ratio, 3),
            "samples": s.samples,
        }
        for name, (s, ratio) in sorted(near.items())
    ]
    yield worst_container_issue(
        workload,
        evidence,
        (Signal.MEMORY_WORKING_SET, "memory"),
        containers,
        threshold,
        lambda top, window: (
            f"{workload.obj.display()}: container {top['container']} peaked at "
            f"{top['workingSet']} working set, {top['ratio']:.0%} of its {top['limit']} memory limit over {window} "
            f"(threshold {threshold:.0%}): the next peak can be an OOM kill"
        ),
    )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "qos.best-effort": best_effort,
    "qos.missing-requests": missing_requests,
    "qos.memory-limit-missing": memory_limit_missing,
    "qos.memory-overcommit": memory_overcommit,
    "qos.critical-not-guaranteed": critical_not_guaranteed,
    "qos.oom-killed": oom_killed,
    "qos.cpu-throttled": cpu_throttled,
    "qos.memory-near-limit": memory_near_limit,
}
