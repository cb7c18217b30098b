"""Evidence about the cluster's behaviour over time, as the checks read it from the inventory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChurnEstimate:
    """Reload-triggering events for one IngressClass/GatewayClass counted from the watch stream."""

    class_kind: str  # "IngressClass" | "GatewayClass"
    class_name: str
    window_seconds: float
    events_by_type: dict[
        str, int
    ]  # "spec" | "annotations" | "endpoints" | "hpa-scale" | "rollout" | "certificate"
    weighted_per_hour: float  # weighted by the controller catalogue's reload model
    top_contributors: tuple[tuple[str, int], ...] = ()  # ("namespace/Kind/name", count)
