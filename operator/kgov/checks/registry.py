"""The explicit registry of checks: stable ids, metadata, params models and the functions themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from kgov.findings.model import Category, Severity
from kgov.inventory import Inventory
from kgov.model.objects import ObjectRef


class SubjectKind(StrEnum):
    """What a check looks at; the inventory hands it every subject of this kind."""

    WORKLOAD = "workload"  # a top-owner workload (or bare Pod) with its template, live pods and autoscalers
    AUTOSCALED = "autoscaled"  # the workloads, and autoscaler targets outside the scope (AbsentTarget)
    HPA = "hpa"
    INGRESS = "ingress"
    INGRESS_CLASS = "ingress-class"
    INGRESS_SET = "ingress-set"  # the Ingresses of one namespace, compared with each other
    CONTROLLER = "controller"  # a catalogued controller with its workloads and what it serves
    CONTROLLER_WORKLOAD = "controller-workload"
    WEBHOOK = "webhook"  # a ValidatingWebhookConfiguration
    GATEWAY_CLASS = "gateway-class"
    RELOAD_CLASS = "reload-class"  # IngressClasses and GatewayClasses: what a controller reloads for
    GATEWAY = "gateway"
    ROUTE = "route"  # HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute
    REFERRER = "referrer"  # routes, Gateways, ListenerSets: what references other objects
    ATTACHER = "attacher"  # routes and ListenerSets: what attaches to a Gateway
    LISTENERS = "listeners"  # Gateways and ListenerSets: what declares listeners
    COPIES = "copies"  # one object defined more than once in one folder with different content


class Need(StrEnum):
    """Data a check cannot decide without."""

    LIVE = "live"  # object status from a cluster (pod restarts, conditions)
    HISTORY = "history"  # events over time, as the operator sees them from its watch stream
    PROMETHEUS = "prometheus"  # measured series
    MANIFESTS = "manifests"  # only meaningful on files (live objects have the field defaulted)
    BASE = "base"  # a baseline to compare with (`kgov gate migration --base`)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Params(BaseModel):
    """Base of check params: unknown keys in config are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check sees besides its subject: the whole inventory, its params, and the time."""

    inventory: Inventory
    params: Any
    now: datetime


@dataclass(frozen=True, slots=True)
class Issue:
    """What a check yields; the engine turns it into a `Finding` with the check's metadata."""

    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    related: tuple[ObjectRef, ...] = ()
    discriminator: str = ""


@dataclass(frozen=True, slots=True)
class Undecided:
    """What a check yields when an object it needs is unknown (not in the scope, which is not known to
    be complete): no finding, but a count in `skipped`. `one` and `many` name the undecided thing in
    the singular and plural ("backendRef to a Service not in the input")."""

    one: str
    many: str


CheckFn = Callable[[Any, Any], Iterable[Issue | Undecided]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    title: str
    category: Category
    severity: Severity
    subject: SubjectKind
    condition: str
    remediation: str
    fn: CheckFn
    params: type[BaseModel] = NoParams
    needs: frozenset[Need] = frozenset()
    # Needs that are enough on their own: the check runs when any of them is available.
    alternatives: bool = False

    @property
    def anchor(self) -> str:
        return self.id.replace(".", "")

    @property
    def docs(self) -> str:
        return f"docs/checks.md#{self.anchor}"


class Registry:
    def __init__(self, specs: Iterable[CheckSpec] = ()) -> None:
        self._specs: dict[str, CheckSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: CheckSpec) -> None:
        if spec.id in self._specs:
            raise ValueError(f"check {spec.id} registered twice")
        self._specs[spec.id] = spec

    def get(self, check_id: str) -> CheckSpec:
        return self._specs[check_id]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._specs

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def ids(self) -> list[str]:
        return list(self._specs)
