"""Projections of pods and pod templates: what the QoS, autoscaling and hardening checks read."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

from pydantic import Field, ModelWrapValidatorHandler, model_validator

from kgov.model.base import NullableList, Projection, ResourceList, StrMap, read_key

QOS_RESOURCES = ("cpu", "memory")


class Resources(Projection):
    requests: ResourceList = Field(default_factory=dict)
    limits: ResourceList = Field(default_factory=dict)


class Container(Projection):
    name: str
    image: str | None = None
    resources: Resources = Field(default_factory=Resources)
    restart_policy: str | None = None
    args: NullableList[str] = Field(default_factory=list)
    readiness_probe: dict[str, Any] | None = None
    liveness_probe: dict[str, Any] | None = None

    @property
    def is_sidecar(self) -> bool:
        """A restartable init container (KEP-753): runs for the pod's whole life."""
        return self.restart_policy == "Always"


class PodSpec(Projection):
    containers: NullableList[Container] = Field(default_factory=list)
    init_containers: NullableList[Container] = Field(default_factory=list)
    resources: Resources | None = None
    priority_class_name: str | None = None


class TemplateMeta(Projection):
    labels: StrMap = Field(default_factory=dict)
    annotations: StrMap = Field(default_factory=dict)


class PodTemplate(Projection):
    metadata: TemplateMeta = Field(default_factory=TemplateMeta)
    spec: PodSpec = Field(default_factory=PodSpec)

    def all_containers(self) -> list[Container]:
        """Init containers (sidecars included) then regular ones; ephemeral containers never count."""
        return [*self.spec.init_containers, *self.spec.containers]

    def running_containers(self) -> list[Container]:
        """Containers that run beside the app: regular ones and sidecars (what the HPA measures)."""
        return [*(c for c in self.spec.init_containers if c.is_sidecar), *self.spec.containers]


class Terminated(Projection):
    reason: str | None = None
    finished_at: str | datetime | None = None
    exit_code: int | None = None


class ContainerState(Projection):
    terminated: Terminated | None = None


class ContainerStatus(Projection):
    name: str
    restart_count: int = 0
    state: ContainerState = Field(default_factory=ContainerState)
    last_state: ContainerState = Field(default_factory=ContainerState)


class PodStatus(Projection):
    qos_class: str | None = None
    phase: str | None = None
    container_statuses: NullableList[ContainerStatus] = Field(default_factory=list)
    init_container_statuses: NullableList[ContainerStatus] = Field(default_factory=list)


class WorkloadSpec(Projection):
    """The fields of a workload's spec the checks read, beyond its template."""

    replicas: int | None = None


class LivePod(Projection):
    """What checks read of a live pod beyond its spec. Most pods of a workload read the same (one
    phase, one QoS class, no restarts), and a cluster holds one per pod: pods that read the same
    (`read_key`) share one projection, validated once (projections are frozen)."""

    status: PodStatus = Field(default_factory=PodStatus)

    @model_validator(mode="wrap")
    @classmethod
    def _shared(cls, data: Any, handler: ModelWrapValidatorHandler[LivePod]) -> LivePod:
        key = read_key(cls, data)
        try:
            pod = _SHARED_PODS.get(key)
        except TypeError:
            return handler(data)  # a value no key can hold (not from JSON): validated on its own
        if pod is None:
            if len(_SHARED_PODS) >= _MAX_SHARED:
                _SHARED_PODS.clear()  # those handed out stay valid; later ones start sharing again
            pod = _SHARED_PODS[key] = handler(data)
        return pod


_SHARED_PODS: dict[Hashable, LivePod] = {}
_MAX_SHARED = 1 << 16
