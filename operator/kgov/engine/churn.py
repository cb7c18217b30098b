"""Reload churn counted from the watch stream: per IngressClass / GatewayClass, the reload-triggering
events of a sliding window, weighted by what the class's controller really reloads on.

Events are kept in time buckets (a sixtieth of the window each), so memory stays bounded however busy
the cluster is."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kgov.catalogue import Controller
from kgov.model.evidence import ChurnEstimate
from kgov.model.facts import ClassKey
from kgov.model.networking import LEGACY_CLASS_ANNOTATION
from kgov.model.objects import KubeObject

SPEC = "spec"
ANNOTATIONS = "annotations"
ENDPOINTS = "endpoints"
HPA_SCALE = "hpa-scale"
ROLLOUT = "rollout"
CERTIFICATE = "certificate"

# Which entry of the catalogue's `churn` reload model decides whether an event type reloads.
_MODEL_KEY = {
    SPEC: "route_change",
    ANNOTATIONS: "route_change",
    ENDPOINTS: "endpoint_change",
    HPA_SCALE: "endpoint_change",
    ROLLOUT: "endpoint_change",
    CERTIFICATE: "certificate_change",
}
BUCKETS = 60
TOP_CONTRIBUTORS = 5


def weight(controller: Controller | None, event_type: str) -> float:
    """1 when the controller reloads on this kind of change, 0 when it applies it dynamically. Without
    a catalogued controller only spec and annotation changes are taken as reloads."""
    if controller is None:
        return 1.0 if event_type in (SPEC, ANNOTATIONS) else 0.0
    return 1.0 if controller.churn.get(_MODEL_KEY[event_type]) == "reload" else 0.0


@dataclass(slots=True)
class _Bucket:
    start: float
    by_type: Counter[str] = field(default_factory=Counter)
    contributors: Counter[str] = field(default_factory=Counter)
    weighted: float = 0.0


class ChurnCounter:
    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._width = window_seconds / BUCKETS
        self._buckets: dict[ClassKey, deque[_Bucket]] = {}
        self.controllers: dict[ClassKey, Controller | None] = {}
        self.totals: Counter[tuple[str, str, str]] = Counter()  # (class kind, class name, type), ever

    def record(self, key: ClassKey, event_type: str, contributor: str, at: float) -> None:
        buckets = self._buckets.setdefault(key, deque())
        start = at - at % self._width
        if not buckets or buckets[-1].start < start:
            buckets.append(_Bucket(start))
        bucket = buckets[-1]
        bucket.by_type[event_type] += 1
        bucket.contributors[contributor] += 1
        bucket.weighted += weight(self.controllers.get(key), event_type)
        self.totals[(*key, event_type)] += 1

    def estimates(self, now: float) -> dict[ClassKey, ChurnEstimate]:
        found = {}
        for key in list(self._buckets):
            buckets = self._buckets[key]
            while buckets and buckets[0].start + self._width <= now - self.window:
                buckets.popleft()
            if not buckets:
                del self._buckets[key]
                continue
            by_type: Counter[str] = Counter()
            contributors: Counter[str] = Counter()
            weighted = 0.0
            for bucket in buckets:
                by_type.update(bucket.by_type)
                contributors.update(bucket.contributors)
                weighted += bucket.weighted
            found[key] = ChurnEstimate(
                class_kind=key[0],
                class_name=key[1],
                window_seconds=self.window,
                events_by_type=dict(sorted(by_type.items())),
                weighted_per_hour=round(weighted * 3600 / self.window, 1),
                top_contributors=tuple(
                    sorted(contributors.items(), key=lambda c: (-c[1], c[0]))[:TOP_CONTRIBUTORS]
                ),
            )
        return found


# ---- what a watch event means for reloads ---------------------------------------------------------

ROLLOUT_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_IGNORED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


def _spec(obj: KubeObject | None) -> Any:
    return obj.raw.get("spec") if obj is not None else None


def _status(obj: KubeObject | None) -> Mapping[str, Any]:
    status = obj.raw.get("status") if obj is not None else None
    return status if isinstance(status, Mapping) else {}


def spec_changed(old: KubeObject | None, new: KubeObject | None) -> bool:
    return old is None or new is None or _spec(old) != _spec(new)


def ingress_events(old: KubeObject | None, new: KubeObject | None) -> list[str]:
    """An Ingress appearing, going or changing its spec re-renders the proxy config (`spec`); so does
    an annotation change (`annotations`); status updates (load-balancer addresses) do not."""
    events = [SPEC] if spec_changed(old, new) else []
    if old is not None and new is not None:
        before = {k: v for k, v in old.annotations.items() if k not in _IGNORED_ANNOTATIONS}
        after = {k: v for k, v in new.annotations.items() if k not in _IGNORED_ANNOTATIONS}
        if before != after:
            events.append(ANNOTATIONS)
    return events


def ingress_class_name(obj: KubeObject) -> str | None:
    spec = _spec(obj)
    name = spec.get("ingressClassName") if isinstance(spec, Mapping) else None
    return name if isinstance(name, str) and name else obj.annotations.get(LEGACY_CLASS_ANNOTATION)


def route_classes(obj: KubeObject, class_of_gateway: Mapping[tuple[str | None, str], str]) -> set[ClassKey]:
    spec = _spec(obj)
    refs = spec.get("parentRefs") if isinstance(spec, Mapping) else None
    found: set[ClassKey] = set()
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, Mapping) and ref.get("kind", "Gateway") == "Gateway":
            gclass = class_of_gateway.get((ref.get("namespace") or obj.namespace, str(ref.get("name"))))
            if gclass:
                found.add(("GatewayClass", gclass))
    return found


def endpoint_changed(old: KubeObject | None, new: KubeObject | None) -> bool:
    """A pod entering or leaving a Service's endpoints: created, deleted, readiness or IP changed."""
    if old is None or new is None:
        return True
    return _endpoint(old) != _endpoint(new)


def _endpoint(pod: KubeObject) -> tuple[Any, bool]:
    status = _status(pod)
    conditions = status.get("conditions")
    ready = any(
        isinstance(c, Mapping) and c.get("type") == "Ready" and c.get("status") == "True"
        for c in (conditions if isinstance(conditions, list) else ())
    )
    return status.get("podIP"), ready


def scaled(old: KubeObject | None, new: KubeObject | None) -> bool:
    if old is None or new is None:
        return False
    return _status(old).get("desiredReplicas") != _status(new).get("desiredReplicas")


def desired_replicas(hpa: KubeObject) -> int | None:
    replicas = _status(hpa).get("desiredReplicas")
    return replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None


def rolled_out(old: KubeObject | None, new: KubeObject | None) -> bool:
    """A new pod template: every pod behind the workload is replaced."""
    if old is None or new is None:
        return False
    before, after = _spec(old), _spec(new)
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return False
    return before.get("template") != after.get("template")


def renewed(old: KubeObject | None, new: KubeObject | None) -> bool:
    """cert-manager bumps `status.revision` on every issuance, a renewal included."""
    if old is None or new is None:
        return False
    return _status(old).get("revision") != _status(new).get("revision")


def certificate_secret(obj: KubeObject) -> str | None:
    spec = _spec(obj)
    name = spec.get("secretName") if isinstance(spec, Mapping) else None
    return name if isinstance(name, str) else None
