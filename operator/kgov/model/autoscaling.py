"""HorizontalPodAutoscaler (every served version, normalised to one model) and VerticalPodAutoscaler."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from kgov.model.base import NullableList, Projection, Quantity, ResourceList
from kgov.model.quantity import format_quantity

# HPA defaults from the API: no metrics means 80% average CPU utilization.
DEFAULT_CPU_UTILIZATION = 80

TargetType = Literal["Utilization", "AverageValue", "Value"]


class ScaleTargetRef(Projection):
    kind: str
    name: str
    api_version: str | None = None


class MetricSpec(Projection):
    """One HPA metric, version-independent. `resource` and `container` are set for the resource kinds."""

    type: str
    resource: str | None = None
    container: str | None = None
    target_type: TargetType | None = None
    average_utilization: int | None = None
    average_value: Quantity | None = None
    defaulted: bool = False

    def describe(self) -> str:
        where = f" of container {self.container}" if self.container else ""
        if self.target_type == "Utilization":
            return f"{self.type} {self.resource}{where} at {self.average_utilization}% utilization"
        if self.target_type == "AverageValue":
            shown = format_quantity(self.average_value, self.resource or "") if self.average_value else "?"
            return f"{self.type} {self.resource}{where} at average value {shown}"
        return f"{self.type} metric"


class HPACondition(Projection):
    type: str
    status: str
    reason: str | None = None
    message: str | None = None


class HPAStatus(Projection):
    current_replicas: int | None = None
    desired_replicas: int | None = None
    last_scale_time: str | datetime | None = None
    conditions: NullableList[HPACondition] = Field(default_factory=list)


class HPA(Projection):
    api_version: str
    scale_target_ref: ScaleTargetRef
    min_replicas: int = 1
    max_replicas: int
    metrics: list[MetricSpec] = Field(default_factory=list)
    status: HPAStatus = Field(default_factory=HPAStatus)

    @property
    def pinned(self) -> bool:
        """minReplicas = maxReplicas: the HPA holds one replica count and scales nothing."""
        return self.min_replicas == self.max_replicas


def normalize_hpa(obj: dict[str, Any]) -> dict[str, Any]:
    """Turn any served HPA version into the input of `HPA`.

    autoscaling/v1 has `targetCPUUtilizationPercentage`; v2beta1 has `targetAverageUtilization` /
    `targetAverageValue` on the source; v2beta2 and v2 have a `target` block. Fields of the wrong type
    are passed through unchanged so validation reports them.
    """
    spec = obj.get("spec") or {}
    api_version = obj.get("apiVersion", "")
    if not isinstance(spec, dict):
        return {"apiVersion": api_version, "scaleTargetRef": spec}
    if api_version == "autoscaling/v1":
        metrics = _v1_metrics(spec)
    else:
        listed = spec.get("metrics") or []
        metrics = [_metric(m, api_version) for m in listed] if isinstance(listed, list) else listed
    if not metrics:
        metrics = [_default_metric()]
    result: dict[str, Any] = {
        "apiVersion": api_version,
        "scaleTargetRef": spec.get("scaleTargetRef"),
        "maxReplicas": spec.get("maxReplicas"),
        "metrics": metrics,
        "status": obj.get("status") or {},
    }
    if spec.get("minReplicas") is not None:
        result["minReplicas"] = spec["minReplicas"]
    return result


_KEDA_RESOURCE_TRIGGERS = ("cpu", "memory")


def hpa_from_scaled_object(obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v2 HPA KEDA creates for a ScaledObject: its target (Deployment by default),
    replica bounds (min 0 stays 0: KEDA scales to zero and back itself; max defaults to 100), cpu and
    memory triggers as Resource or ContainerResource metrics, every other trigger as an External one."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return {"apiVersion": "autoscaling/v2", "spec": spec}
    ref = spec.get("scaleTargetRef")
    if isinstance(ref, dict):
        ref = {"apiVersion": "apps/v1", "kind": "Deployment", **ref}
    metrics = []
    for index, trigger in enumerate(spec.get("triggers") or []):
        if not isinstance(trigger, dict):
            continue
        kind, metadata = trigger.get("type"), trigger.get("metadata") or {}
        if kind in _KEDA_RESOURCE_TRIGGERS and isinstance(metadata, dict):
            target_type = trigger.get("metricType") or metadata.get("type") or "Utilization"
            value = metadata.get("value")
            target: dict[str, Any] = {"type": target_type}
            if target_type == "Utilization":
                target["averageUtilization"] = int(str(value)) if str(value).isdigit() else None
            else:
                target["averageValue"] = value
            container = metadata.get("containerName")
            if container:
                metrics.append(
                    {
                        "type": "ContainerResource",
                        "containerResource": {"name": kind, "container": container, "target": target},
                    }
                )
            else:
                metrics.append({"type": "Resource", "resource": {"name": kind, "target": target}})
        else:
            metrics.append(
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": f"s{index}-{kind}"},
                        "target": {"type": "AverageValue", "averageValue": "1"},
                    },
                }
            )
    hpa_spec: dict[str, Any] = {
        "scaleTargetRef": ref,
        "minReplicas": spec.get("minReplicaCount", 0),
        "maxReplicas": spec.get("maxReplicaCount", 100),
        "metrics": metrics,
    }
    return {"apiVersion": "autoscaling/v2", "spec": hpa_spec, "status": {}}


def _default_metric() -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": "cpu",
        "targetType": "Utilization",
        "averageUtilization": DEFAULT_CPU_UTILIZATION,
        "defaulted": True,
    }


def _v1_metrics(spec: dict[str, Any]) -> list[dict[str, Any]]:
    target = spec.get("targetCPUUtilizationPercentage")
    if target is None:
        return []
    return [
        {
            "type": "Resource",
            "resource": "cpu",
            "targetType": "Utilization",
            "averageUtilization": target,
        }
    ]


def _metric(metric: Any, api_version: str) -> Any:
    if not isinstance(metric, dict):
        return metric
    kind = metric.get("type")
    source_field = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(kind))
    if source_field is None:
        return {"type": kind}
    source = metric.get(source_field) or {}
    if not isinstance(source, dict):
        return {"type": kind, "resource": source}
    result: dict[str, Any] = {"type": kind, "resource": source.get("name")}
    if kind == "ContainerResource":
        result["container"] = source.get("container")
    if api_version.endswith("v2beta1"):
        if source.get("targetAverageUtilization") is not None:
            result |= {
                "targetType": "Utilization",
                "averageUtilization": source["targetAverageUtilization"],
            }
        elif source.get("targetAverageValue") is not None:
            result |= {"targetType": "AverageValue", "averageValue": source["targetAverageValue"]}
        return result
    target = source.get("target") or {}
    if isinstance(target, dict):
        result["targetType"] = target.get("type")
        if target.get("averageUtilization") is not None:
            result["averageUtilization"] = target["averageUtilization"]
        if target.get("averageValue") is not None:
            result["averageValue"] = target["averageValue"]
    return result


# ---- VerticalPodAutoscaler ------------------------------------------------------------------------

# Modes in which the VPA changes requests of running or new pods. `Auto` is a deprecated alias of
# `Recreate`; an absent mode defaults to it.
ACTIVE_VPA_MODES = frozenset({"Auto", "Recreate", "InPlaceOrRecreate", "InPlace"})
DEFAULT_CONTROLLED_RESOURCES = ("cpu", "memory")


class ContainerPolicy(Projection):
    container_name: str = "*"
    mode: str | None = None
    controlled_resources: list[str] | None = None
    controlled_values: str | None = None
    min_allowed: ResourceList = Field(default_factory=dict)
    max_allowed: ResourceList = Field(default_factory=dict)


class ResourcePolicy(Projection):
    container_policies: NullableList[ContainerPolicy] = Field(default_factory=list)


class UpdatePolicy(Projection):
    update_mode: str | None = None


class VPASpec(Projection):
    target_ref: ScaleTargetRef | None = None
    update_policy: UpdatePolicy = Field(default_factory=UpdatePolicy)
    resource_policy: ResourcePolicy = Field(default_factory=ResourcePolicy)


class ContainerRecommendation(Projection):
    container_name: str
    target: ResourceList = Field(default_factory=dict)
    lower_bound: ResourceList = Field(default_factory=dict)
    upper_bound: ResourceList = Field(default_factory=dict)


class Recommendation(Projection):
    container_recommendations: NullableList[ContainerRecommendation] = Field(default_factory=list)


class VPAStatus(Projection):
    recommendation: Recommendation = Field(default_factory=Recommendation)


class VPA(Projection):
    spec: VPASpec = Field(default_factory=VPASpec)
    status: VPAStatus = Field(default_factory=VPAStatus)

    @property
    def update_mode(self) -> str:
        return self.spec.update_policy.update_mode or "Auto"

    @property
    def is_off(self) -> bool:
        return self.update_mode == "Off"

    @property
    def is_active(self) -> bool:
        return self.update_mode in ACTIVE_VPA_MODES

    def policy_for(self, container: str) -> ContainerPolicy | None:
        """The container's own policy, else the `*` default policy, else none."""
        fallback = None
        for policy in self.spec.resource_policy.container_policies:
            if policy.container_name == container:
                return policy
            if policy.container_name == "*":
                fallback = policy
        return fallback

    def controlled_resources(self, container: str) -> frozenset[str]:
        """Resources the VPA sets on this container; empty when the container is under `mode: Off`."""
        policy = self.policy_for(container)
        if policy is None:
            return frozenset(DEFAULT_CONTROLLED_RESOURCES)
        if policy.mode == "Off":
            return frozenset()
        if policy.controlled_resources is None:  # an explicit empty list controls nothing
            return frozenset(DEFAULT_CONTROLLED_RESOURCES)
        return frozenset(policy.controlled_resources)

    def controlled_values(self, container: str) -> str:
        policy = self.policy_for(container)
        return (policy.controlled_values if policy else None) or "RequestsAndLimits"

    def recommendation_for(self, container: str) -> ContainerRecommendation | None:
        for rec in self.status.recommendation.container_recommendations:
            if rec.container_name == container:
                return rec
        return None
