"""Memory and CPU pressure on a workload's pods, from live status and Prometheus: the functions of
`qos.oom-killed` and `qos.cpu-throttled`, which `autoscaling.hpa-on-starved-pods` builds on too (so
neither family imports the other)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from kgov.checks import fields
from kgov.checks.params import ThrottleParams, WindowParams
from kgov.checks.registry import CheckContext, Issue
from kgov.domain.measured import measured_series, pod_series, provenance, worst_per_container
from kgov.inventory import Workload
from kgov.model.evidence import Evidence, EvidenceSource, Series, Signal
from kgov.model.objects import parse_time
from kgov.model.qos import effective_containers
from kgov.model.quantity import format_quantity


def containers_phrase(names: list[str]) -> str:
    """`container app` or `containers app, sidecar`, for messages."""
    return f"container{'s' if len(names) > 1 else ''} {', '.join(names)}"


# ---- qos.oom-killed ----------------------------------------------------------------------------------


def oom_killed(workload: Workload, context: CheckContext[WindowParams]) -> Iterator[Issue]:
    params: WindowParams = context.params
    killed = _status_kills(workload, context.now - timedelta(hours=params.window_hours))
    # containers whose OOM event counter rose in the window (kernel OOM kills, PID 1 or not)
    measured, unavailable = measured_series(
        context.facts.evidence,
        lambda evidence: [s for s in pod_series(evidence, Signal.OOM_EVENTS, workload) if s.value > 0],
    )
    if not killed and not measured:
        if unavailable is not None:
            raise unavailable
        return
    limits = {c.name: c.limit("memory") for c in effective_containers(workload.template)}
    for name, entry in killed.items():
        entry["memoryLimit"] = _memory(limits.get(name))
    evidence: dict[str, Any] = {"containers": list(killed.values()), "windowHours": params.window_hours}
    when = f"{params.window_hours}h"
    if measured and context.facts.evidence is not None:
        evidence |= _oom_event_evidence(measured, limits, context.facts.evidence)
        when = f"{evidence['window']} (OOM events)" if not killed else f"{when} (status and OOM events)"
    if unavailable is not None:
        evidence["prometheus"] = unavailable.reason
    evidence["source"] = (
        EvidenceSource.STATUS_PROMETHEUS
        if killed and measured
        else (EvidenceSource.STATUS if killed else EvidenceSource.PROMETHEUS)
    )
    names = list(dict.fromkeys([*killed, *(s.labels.get("container", "") for s in measured)]))
    yield Issue(
        f"{workload.obj.display()}: {containers_phrase(names)} OOM-killed in the last {when}: it needs "
        "more memory than its limit allows",
        evidence,
        path=fields.first_container(workload, names, "resources", "limits", "memory"),
    )


def _memory(value: Decimal | None) -> str | None:
    return format_quantity(value, "memory") if value else None


def _oom_event_evidence(
    measured: list[Series], limits: dict[str, Decimal | None], evidence: Evidence
) -> dict[str, Any]:
    events = [
        {
            "container": s.labels.get("container"),
            "pod": s.labels.get("pod"),
            "events": round(s.value, 2),
            "memoryLimit": _memory(limits.get(s.labels.get("container", ""))),
        }
        for s in measured
    ]
    return {
        "oomEvents": events,
        "value": round(sum(s.value for s in measured), 2),
        "threshold": 0,
        **provenance(evidence, Signal.OOM_EVENTS),
    }


def _status_kills(workload: Workload, since: Any) -> dict[str, dict[str, Any]]:
    killed: dict[str, dict[str, Any]] = {}
    for pod in workload.pods:
        status = pod.pod.status
        for cs in [*status.init_container_statuses, *status.container_statuses]:
            for state in (cs.state, cs.last_state):
                term = state.terminated
                if term is None or term.reason != "OOMKilled":
                    continue
                at = parse_time(term.finished_at)
                if at is not None and at < since:
                    continue
                entry = killed.setdefault(cs.name, {"container": cs.name, "pods": [], "restartCount": 0})
                entry["pods"].append(pod.obj.name)
                entry["restartCount"] = max(entry["restartCount"], cs.restart_count)
                entry["finishedAt"] = at.isoformat() if at else None
    return killed


# ---- qos.cpu-throttled --------------------------------------------------------------------------------


def _cpu(value: Decimal | None) -> str | None:
    return format_quantity(value, "cpu") if value else None


def cpu_throttled(workload: Workload, context: CheckContext[ThrottleParams]) -> Iterator[Issue]:
    params: ThrottleParams = context.params
    evidence = context.facts.evidence
    if evidence is None:
        return
    threshold = float(params.ratio)
    worst = worst_per_container(pod_series(evidence, Signal.CPU_THROTTLING, workload), lambda s: s.value)
    over = {name: found for name, found in worst.items() if found[1] > threshold}
    if not over:
        return
    limits = {c.name: c.limit("cpu") for c in effective_containers(workload.template)}
    containers: list[dict[str, Any]] = [
        {
            "container": name,
            "pod": s.labels.get("pod"),
            "ratio": round(ratio, 3),
            "samples": s.samples,
            "cpuLimit": _cpu(limits.get(name)),
        }
        for name, (s, ratio) in sorted(over.items())
    ]
    yield worst_container_issue(
        workload,
        evidence,
        (Signal.CPU_THROTTLING, "cpu"),
        containers,
        threshold,
        lambda top, window: (
            f"{workload.obj.display()}: container {top['container']} was CPU-throttled in "
            f"{top['ratio']:.0%} of its CFS periods over {window} (threshold {threshold:.0%}): its cpu limit "
            "slows it down while it has work to do"
        ),
    )


def worst_container_issue(
    workload: Workload,
    evidence: Evidence,
    measured: tuple[Signal, str],
    containers: list[dict[str, Any]],
    threshold: float,
    message: Callable[[dict[str, Any], str], str],
) -> Issue:
    """The finding of a check measuring `(signal, resource)` against a threshold, on the container with
    the highest ratio and pointing at its limit of the resource; `message(container, window)`."""
    signal, resource = measured
    top = max(containers, key=lambda c: c["ratio"])
    return Issue(
        message(top, evidence.result(signal).window),
        {
            "containers": containers,
            "value": top["ratio"],
            "threshold": threshold,
            **provenance(evidence, signal),
        },
        path=fields.container(workload, top["container"], "resources", "limits", resource),
    )
