"""What one evaluation knows besides the objects, given to it as one value.

The inventory is the objects; `Facts` is everything measured or remembered about them: Prometheus
evidence, reload churn and HPA scale history from the operator's watch, and the baseline a gate
compares with. `kgov scan` and `kgov gate migration` build it from their inputs, the operator's engine
from what it measured; checks read it from their context (`CheckContext.facts`) and never change it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple, TypeVar

from kgov.model.evidence import ChurnEstimate, Evidence
from kgov.model.objects import KubeObject

K = TypeVar("K")
V = TypeVar("V")

ClassKey = tuple[str, str]  # (IngressClass | GatewayClass, name)
HPAKey = tuple[str | None, str]  # (namespace, name)
ScaleEvents = tuple[tuple[float, int], ...]  # (unix time, desiredReplicas), oldest first


def frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy of a fact whose source goes on changing (the engine's counters)."""
    return MappingProxyType(dict(mapping))


class Baseline(NamedTuple):
    """The previous state a gate compares with (`kgov gate migration --base`): its Ingresses."""

    ingresses: frozenset[tuple[str | None, str]]  # (namespace, name)

    @classmethod
    def of(cls, objects: Iterable[KubeObject]) -> Baseline:
        return cls(frozenset((o.namespace or None, o.name) for o in objects if o.kind == "Ingress"))

    def has_ingress(self, namespace: str | None, name: str) -> bool:
        return (namespace or None, name) in self.ingresses


@dataclass(frozen=True, slots=True)
class Facts:
    """`evidence`: Prometheus evidence (None: not configured); `churn`: reload churn estimates per
    class; `scale_history`: each HPA's desiredReplicas changes in the watch window; `baseline`: the
    state a gate compares with (None: no base given)."""

    evidence: Evidence | None = None
    churn: Mapping[ClassKey, ChurnEstimate] = field(default_factory=lambda: frozen({}))
    scale_history: Mapping[HPAKey, ScaleEvents] = field(default_factory=lambda: frozen({}))
    baseline: Baseline | None = None


NO_FACTS = Facts()
