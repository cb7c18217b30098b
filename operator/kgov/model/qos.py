"""QoS class and effective resources of a pod, exactly as the API server and kubelet decide them.

For a pod template nothing has been defaulted yet, so the defaulting the API applies to a created Pod
is simulated: a missing request takes the limit (per resource), then the namespace's LimitRange fills
missing limits and requests. The class follows the per-container statement of the rule (kubectl's
`ComputePodQOS`, 1.37 form): only cpu and memory count, zero counts as unset, init containers
(sidecars included) count, ephemeral containers do not; pod-level resources decide alone when set.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from kgov.model.pods import QOS_RESOURCES, PodTemplate, Resources


class QoSClass(StrEnum):
    GUARANTEED = "Guaranteed"
    BURSTABLE = "Burstable"
    BEST_EFFORT = "BestEffort"


class EffectiveContainer(NamedTuple):
    """A container's requests and limits as the created pod would carry them."""

    name: str
    role: str  # "container", "init" or "sidecar"
    requests: dict[str, Decimal]
    limits: dict[str, Decimal]

    def request(self, resource: str) -> Decimal | None:
        value = self.requests.get(resource)
        return value if value else None

    def limit(self, resource: str) -> Decimal | None:
        value = self.limits.get(resource)
        return value if value else None


class LimitDefaults(NamedTuple):
    """Container defaults of a namespace's LimitRanges (already merged)."""

    limits: dict[str, Decimal]
    requests: dict[str, Decimal]


def effective_containers(
    template: PodTemplate, defaults: LimitDefaults | None = None
) -> list[EffectiveContainer]:
    result = []
    for role, containers in (
        ("init", template.spec.init_containers),
        ("container", template.spec.containers),
    ):
        for container in containers:
            limits = dict(container.resources.limits)
            requests = limits | dict(container.resources.requests)  # API defaulting: request ← limit
            if defaults is not None:  # LimitRanger admission, after defaulting
                limits = defaults.limits | limits
                requests = defaults.requests | requests
            actual_role = "sidecar" if role == "init" and container.is_sidecar else role
            result.append(EffectiveContainer(container.name, actual_role, requests, limits))
    return result


def pod_level_set(template: PodTemplate) -> bool:
    """Pod-level resources decide QoS when they set cpu, memory or a hugepages size."""
    resources = template.spec.resources
    if resources is None:
        return False
    keys = set(resources.requests) | set(resources.limits)
    return any(k in QOS_RESOURCES or k.startswith("hugepages-") for k in keys)


def template_qos(template: PodTemplate, defaults: LimitDefaults | None = None) -> QoSClass:
    if pod_level_set(template):
        return _requirements_qos(*pod_level_resources(template))
    pod_class: QoSClass | None = None
    for container in effective_containers(template, defaults):
        container_class = _requirements_qos(container.requests, container.limits)
        if container_class is QoSClass.BURSTABLE:
            return QoSClass.BURSTABLE
        if pod_class is None:
            pod_class = container_class
        elif pod_class is not container_class:
            return QoSClass.BURSTABLE  # BestEffort and Guaranteed containers mixed
    return pod_class or QoSClass.BEST_EFFORT


def _requirements_qos(requests: dict[str, Decimal], limits: dict[str, Decimal]) -> QoSClass:
    shapes = set()
    for resource in QOS_RESOURCES:
        request = requests.get(resource) or Decimal(0)
        limit = limits.get(resource) or Decimal(0)
        if request != limit:
            return QoSClass.BURSTABLE
        shapes.add(QoSClass.BEST_EFFORT if request == 0 else QoSClass.GUARANTEED)
    return shapes.pop() if len(shapes) == 1 else QoSClass.BURSTABLE


def pod_level_resources(template: PodTemplate) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Pod-level (requests, limits) as SetDefaults_Pod leaves them (after the per-container
    request ← limit defaulting): defaultPodRequests, then defaultPodLimits."""
    pod = template.spec.resources or Resources()
    requests, limits = dict(pod.requests), dict(pod.limits)
    containers = effective_containers(template)
    if limits:  # defaultPodRequests: aggregated container requests first, then the pod-level limit
        aggregated = aggregate(containers, "requests")
        for key in QOS_RESOURCES:
            if key not in requests and key in aggregated:
                requests[key] = aggregated[key]
        requests = limits | requests
    else:  # defaultPodLimits: no pod-level limit at all, and every container limits the resource
        aggregated = aggregate(containers, "limits")
        for key in QOS_RESOURCES:
            if key in requests and key in aggregated and all(key in c.limits for c in containers):
                limits[key] = aggregated[key]
    return requests, limits


def aggregate(containers: list[EffectiveContainer], which: str) -> dict[str, Decimal]:
    """KEP-753 effective pod value: max(regular + sidecars, each init + the sidecars started before it)."""
    running: dict[str, Decimal] = {}
    sidecars: dict[str, Decimal] = {}
    peak: dict[str, Decimal] = {}
    for container in containers:
        values: dict[str, Decimal] = getattr(container, which)
        for key, value in values.items():
            if container.role == "init":
                peak[key] = max(peak.get(key, Decimal(0)), sidecars.get(key, Decimal(0)) + value)
            elif container.role == "sidecar":
                sidecars[key] = sidecars.get(key, Decimal(0)) + value
            else:
                running[key] = running.get(key, Decimal(0)) + value
    keys = set(running) | set(sidecars) | set(peak)
    zero = Decimal(0)
    return {k: max(running.get(k, zero) + sidecars.get(k, zero), peak.get(k, zero)) for k in keys}
