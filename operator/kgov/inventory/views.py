"""The views the inventory builds over workloads and autoscalers: what workload checks read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from kgov.model.objects import KubeObject, ObjectRef
from kgov.model.pods import LivePod, PodTemplate, WorkloadSpec

if TYPE_CHECKING:  # loaded for a scan that holds an autoscaler (see kgov.model)
    from kgov.model.autoscaling import HPA, VPA

Key = tuple[str, str | None, str]  # (kind, namespace, name)
TargetKey = tuple[str | None, str, str]  # (namespace, kind, name) of an autoscaler's target

HPA_KIND = "HorizontalPodAutoscaler"
VPA_KIND = "VerticalPodAutoscaler"


class HPAView(NamedTuple):
    obj: KubeObject
    hpa: HPA

    @property
    def target_key(self) -> TargetKey:
        ref = self.hpa.scale_target_ref
        return (self.obj.namespace, ref.kind, ref.name)


class VPAView(NamedTuple):
    obj: KubeObject
    vpa: VPA

    @property
    def target_key(self) -> TargetKey | None:
        ref = self.vpa.spec.target_ref
        return None if ref is None else (self.obj.namespace, ref.kind, ref.name)


class LivePodView(NamedTuple):
    obj: KubeObject
    pod: LivePod


@dataclass(slots=True)
class Workload:
    """A top-owner workload (or a bare Pod), its pod template, the live pods it runs and its autoscalers."""

    obj: KubeObject
    template: PodTemplate
    spec: WorkloadSpec
    pods: list[LivePodView] = field(default_factory=list)
    hpas: list[HPAView] = field(default_factory=list)
    vpas: list[VPAView] = field(default_factory=list)

    @property
    def ref(self) -> ObjectRef:
        return self.obj.ref
