"""Measured series of a subject (`Facts.evidence`, filled from Prometheus): a workload's pods, the
controller pods behind an IngressClass; read by the measured checks and by the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kgov.catalogue import INGRESS_NGINX
from kgov.config import duration_seconds
from kgov.inventory import Workload
from kgov.inventory.network import GatewayClassView, IngressClassView
from kgov.model.evidence import Evidence, EvidenceUnavailable, Series, Signal


def measured_series(
    evidence: Evidence | None, read: Callable[[Evidence], list[Series]]
) -> tuple[list[Series], EvidenceUnavailable | None]:
    """The series `read` takes from the evidence, or why there are none: nothing when Prometheus is not
    configured, the EvidenceUnavailable when it failed (for the check to decide what that means)."""
    if evidence is None:
        return [], None
    try:
        return read(evidence), None
    except EvidenceUnavailable as exc:
        return [], exc


def pod_series(evidence: Evidence, signal: Signal, workload: Workload) -> list[Series]:
    """The signal's series for the workload's live pods (enough samples only; see `Evidence.matching`)."""
    pods = {p.obj.name for p in workload.pods}
    if not pods:
        evidence.result(signal)  # still say so when the signal itself is unavailable
        return []
    return evidence.matching(signal, namespace=workload.obj.namespace or "", pod=pods)


def window_hours(evidence: Evidence, signal: Signal) -> float:
    return duration_seconds(evidence.result(signal).window) / 3600


def provenance(evidence: Evidence, signal: Signal) -> dict[str, Any]:
    """The part of every measured finding's evidence that says where the number came from."""
    result = evidence.result(signal)
    return {"query": result.query, "window": result.window, "source": evidence.source}


def worst_per_container(series: list[Series], value: Any) -> dict[str, tuple[Series, float]]:
    """The series with the highest `value(series)` per container name, with that value."""
    worst: dict[str, tuple[Series, float]] = {}
    for s in series:
        v = value(s)
        name = s.labels.get("container", "")
        if v is not None and (name not in worst or v > worst[name][1]):
            worst[name] = (s, v)
    return worst


def reload_series(view: IngressClassView | GatewayClassView, evidence: Evidence) -> list[Series]:
    """The reload counters of the controller pods serving this class (ingress-nginx only: the others
    export none); EvidenceUnavailable when they could not be measured."""
    if not isinstance(view, IngressClassView) or view.controller is None:
        return []
    if view.controller.id != INGRESS_NGINX:
        return []
    names = {view.spec.spec.controller, view.obj.name} - {None, ""}
    return evidence.matching(Signal.RELOADS, controller_class=names)  # type: ignore[arg-type]
