"""Measured facts the checks read: Prometheus evidence and watch-based churn estimates.

The evidence layer (`kgov.evidence`) fills these from Prometheus; the operator's engine counts churn from
its watch stream. Both reach the checks in the run's `Facts` (`kgov.model.facts`), so the checks stay
pure and free of HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field


class ChurnEstimate(NamedTuple):
    """Reload-triggering events for one IngressClass/GatewayClass counted from the watch stream."""

    class_kind: str  # "IngressClass" | "GatewayClass"
    class_name: str
    window_seconds: float
    events_by_type: dict[
        str, int
    ]  # "spec" | "annotations" | "endpoints" | "hpa-scale" | "rollout" | "certificate"
    weighted_per_hour: float  # weighted by the controller catalogue's reload model
    top_contributors: tuple[tuple[str, int], ...] = ()  # ("namespace/Kind/name", count)


class Signal(StrEnum):
    """One measured quantity; each has its query templates in `kgov/data/promql.yaml`."""

    CPU_THROTTLING = "cpu_throttling"  # per container: throttled CFS periods / all periods
    MEMORY_WORKING_SET = "memory_working_set"  # per container: peak working set bytes (limit in details)
    OOM_EVENTS = "oom_events"  # per container: OOM events counted in the window
    HPA_DESIRED_REPLICAS = "hpa_desired_replicas"  # per HPA: desired-replica changes (timeline in details)
    RELOADS = "reloads"  # per ingress-nginx controller pod: successful reloads in the window
    RELOAD_FAILURES = "reload_failures"  # per controller pod: last reload successful (0/1), errors in details


class EvidenceSource(StrEnum):
    """Where a finding's evidence comes from: written as `evidence.source`, compared only as this enum."""

    SPEC = "spec"  # the objects' spec (files or cluster)
    STATUS = "status"  # live status the controllers wrote
    PODS = "pods"  # the live pods rather than the template
    WATCH = "watch"  # the operator's watch stream over time
    CATALOGUE = "catalogue"  # kube-governor's controller catalogue
    CLUSTER = "cluster"  # what exists in the cluster
    FILES = "files"  # what exists in the file set
    PROMETHEUS = "prometheus"  # measured series
    STATUS_PROMETHEUS = "status+prometheus"  # live status and measured series

    @property
    def measured(self) -> bool:
        """Partly measured: numbers that move a little between collections without meaning a change."""
        return self in (EvidenceSource.PROMETHEUS, EvidenceSource.STATUS_PROMETHEUS)


class EvidenceUnavailable(Exception):
    """Raised by a check that needs a measurement it cannot have: Prometheus is configured but failing, or
    the series have too few samples. The engine reports the check as skipped with this reason, never as a
    pass. `whole_check` is true when no subject can be decided (the query itself failed)."""

    def __init__(self, reason: str, *, whole_check: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.whole_check = whole_check


class _Frozen(BaseModel):
    # Built on first use: a scan without Prometheus validates none of these.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Series(_Frozen):
    """One measured series: its identifying labels, the value, how many raw samples stand behind it."""

    labels: dict[str, str]
    value: float
    samples: int
    details: dict[str, Any] = Field(default_factory=dict)


class SignalResult(_Frozen):
    query: str  # the value query as sent (first batch), for the findings' evidence
    window: str
    series: list[Series] = Field(default_factory=list)
    error: str | None = None  # set when a query of this signal failed: nothing can be decided from it


class EvidenceHealth(_Frozen):
    configured: bool = True
    reachable: bool = True
    last_error: str | None = None
    failures: dict[str, str] = Field(default_factory=dict)  # signal → error of its failed query


# Prometheus not configured: what the operator reports until its evidence layer says otherwise.
# Constructed, not validated (the values are of the fields' types): validating would build the model's
# validator at every start of every command.
NOT_CONFIGURED = EvidenceHealth.model_construct(configured=False, reachable=False)


class Evidence(_Frozen):
    """Everything measured for one evaluation, with the health of the source."""

    source: EvidenceSource = EvidenceSource.PROMETHEUS
    window: str = "1h"
    min_samples: int = 10
    evaluated_at: datetime | None = None
    health: EvidenceHealth = Field(default_factory=EvidenceHealth)
    signals: dict[Signal, SignalResult] = Field(default_factory=dict)

    def result(self, signal: Signal) -> SignalResult:
        """The signal's result; raises `EvidenceUnavailable` when it cannot be used."""
        if not self.health.reachable:
            raise EvidenceUnavailable(
                f"evidence unavailable: Prometheus unreachable ({self.health.last_error})"
            )
        found = self.signals.get(signal)
        if found is None:
            raise EvidenceUnavailable(f"evidence unavailable: {signal.value} was not measured")
        if found.error is not None:
            raise EvidenceUnavailable(f"evidence unavailable: {signal.value} query failed ({found.error})")
        return found

    def matching(self, signal: Signal, **labels: str | Iterable[str]) -> list[Series]:
        """Series of the signal whose labels match: a string must be equal, a collection must hold it.

        Series with fewer than `min_samples` raw samples are not returned; when every matching series has
        too few, `EvidenceUnavailable` says so for this subject only."""
        result = self.result(signal)
        found = [s for s in result.series if _matches(s.labels, labels)]
        enough = [s for s in found if s.samples >= self.min_samples]
        if found and not enough:
            most = max(s.samples for s in found)
            raise EvidenceUnavailable(
                f"evidence unavailable: {signal.value} has {most} samples in {result.window}, "
                f"fewer than the {self.min_samples} required",
                whole_check=False,
            )
        return enough


def _matches(have: dict[str, str], want: dict[str, str | Iterable[str]]) -> bool:
    for key, expected in want.items():
        value = have.get(key)
        if isinstance(expected, str):
            if value != expected:
                return False
        elif value is None or value not in expected:
            return False
    return True
