"""The registry of checks: the check contract (subjects, context, issues), and `Check`, a check's
metadata with its function. The built-in checks' metadata and prose are data (`kgov/data/checks.yaml`,
read by `kgov.checks.builtin`); their functions are in the family modules, imported when first run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum, auto
from typing import TYPE_CHECKING, Any, Final, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from kgov.catalogue import INGRESS_NGINX, NGINX_CONFIG_NAME
from kgov.findings.model import Category, Severity
from kgov.model.facts import Facts
from kgov.model.objects import KubeObject, ObjectRef

if TYPE_CHECKING:  # only the types: listing and explaining the checks never build an inventory
    from kgov.inventory import HPAView, Inventory, Workload
    from kgov.inventory.inventory import AbsentTarget, Copies
    from kgov.inventory.network import (
        ControllerView,
        ControllerWorkload,
        GatewayClassView,
        GatewayView,
        IngressClassView,
        IngressSet,
        IngressView,
        ListenerSetView,
        RouteView,
        WebhookView,
    )

S = TypeVar("S")
P = TypeVar("P", bound=BaseModel)


class Reach(Enum):
    """Which watch events re-evaluate a subject in the operator, besides a change of its own object."""

    OWN = auto()  # its object, what rolls up to it, and changes to its namespace
    NAMESPACE_NETWORK = auto()  # also any network change in its namespace (its Services, workloads, grants)
    NETWORK = auto()  # also any network change anywhere: few subjects, each reading many objects


@dataclass(frozen=True, eq=False)
class Subject(Generic[S]):
    """What a check looks at: its name, how the inventory enumerates it, and what it reads beyond its
    object (see `Reach`). A check's function takes exactly `S`, which mypy holds it to."""

    value: str
    enumerate: Callable[[Inventory], Sequence[S]]
    reach: Reach = Reach.OWN


GATEWAY_GROUP_PREFIX = "gateway.networking."  # k8s.io and x-k8s.io


class GatewayObject(NamedTuple):
    """Any object of a Gateway API group, whatever its kind."""

    obj: KubeObject


_NGINX_CONFIG_LABELS = {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/component": "controller",
}


class LoneNginxConfig(NamedTuple):
    """An ingress-nginx controller ConfigMap (the chart's name or labels) in a scope that holds no
    ingress-nginx controller workload to read it."""

    obj: KubeObject


def lone_nginx_configs(inventory: Inventory) -> list[LoneNginxConfig]:
    if any(w.controller.id == INGRESS_NGINX for w in inventory.network.controller_workloads):
        return []
    return [
        LoneNginxConfig(obj)
        for obj in inventory.by_kind.get("ConfigMap", ())
        if obj.name == NGINX_CONFIG_NAME or _NGINX_CONFIG_LABELS.items() <= obj.labels.items()
    ]


class SubjectKind:
    """Every subject kind, declared once; `analysis.evaluate` hands a check each subject of its kind."""

    # A top-owner workload (or bare Pod) with its template, live pods and autoscalers.
    WORKLOAD: Final[Subject[Workload]] = Subject("workload", lambda inv: inv.workloads)
    # The workloads, and autoscaler targets outside the scope (AbsentTarget).
    AUTOSCALED: Final[Subject[Workload | AbsentTarget]] = Subject(
        "autoscaled", lambda inv: [*inv.workloads, *inv.absent_targets]
    )
    # One object defined more than once in one folder with different content.
    COPIES: Final[Subject[Copies]] = Subject("copies", lambda inv: inv.conflicting_copies)
    HPA: Final[Subject[HPAView]] = Subject("hpa", lambda inv: inv.hpas)
    INGRESS: Final[Subject[IngressView]] = Subject(
        "ingress", lambda inv: inv.network.ingresses, Reach.NAMESPACE_NETWORK
    )
    INGRESS_CLASS: Final[Subject[IngressClassView]] = Subject(
        "ingress-class", lambda inv: inv.network.ingress_classes, Reach.NETWORK
    )
    # The Ingresses of one namespace, compared with each other.
    INGRESS_SET: Final[Subject[IngressSet]] = Subject("ingress-set", lambda inv: inv.network.ingress_sets())
    # A catalogued controller with its workloads and what it serves.
    CONTROLLER: Final[Subject[ControllerView]] = Subject(
        "controller", lambda inv: inv.network.controllers(), Reach.NETWORK
    )
    CONTROLLER_WORKLOAD: Final[Subject[ControllerWorkload]] = Subject(
        "controller-workload", lambda inv: inv.network.controller_workloads, Reach.NETWORK
    )
    # What sets a controller's configuration: its workloads, and an ingress-nginx controller ConfigMap
    # in a scope without the workload.
    CONTROLLER_CONFIG: Final[Subject[ControllerWorkload | LoneNginxConfig]] = Subject(
        "controller-config",
        lambda inv: [*inv.network.controller_workloads, *lone_nginx_configs(inv)],
        Reach.NETWORK,
    )
    # A ValidatingWebhookConfiguration.
    WEBHOOK: Final[Subject[WebhookView]] = Subject("webhook", lambda inv: inv.network.webhooks, Reach.NETWORK)
    GATEWAY_CLASS: Final[Subject[GatewayClassView]] = Subject(
        "gateway-class", lambda inv: inv.network.gateway_classes, Reach.NETWORK
    )
    # IngressClasses and GatewayClasses: what a controller reloads for.
    RELOAD_CLASS: Final[Subject[IngressClassView | GatewayClassView]] = Subject(
        "reload-class", lambda inv: [*inv.network.ingress_classes, *inv.network.gateway_classes]
    )
    GATEWAY: Final[Subject[GatewayView]] = Subject("gateway", lambda inv: inv.network.gateways, Reach.NETWORK)
    # HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute.
    ROUTE: Final[Subject[RouteView]] = Subject(
        "route", lambda inv: inv.network.routes, Reach.NAMESPACE_NETWORK
    )
    # Routes, Gateways, ListenerSets: what references other objects.
    REFERRER: Final[Subject[RouteView | GatewayView | ListenerSetView]] = Subject(
        "referrer",
        lambda inv: [*inv.network.routes, *inv.network.gateways, *inv.network.listener_sets],
        Reach.NAMESPACE_NETWORK,
    )
    # Routes and ListenerSets: what attaches to a Gateway.
    ATTACHER: Final[Subject[RouteView | ListenerSetView]] = Subject(
        "attacher", lambda inv: [*inv.network.routes, *inv.network.listener_sets], Reach.NAMESPACE_NETWORK
    )
    # Gateways and ListenerSets: what declares listeners.
    LISTENERS: Final[Subject[GatewayView | ListenerSetView]] = Subject(
        "listeners", lambda inv: [*inv.network.gateways, *inv.network.listener_sets], Reach.NETWORK
    )

    # Any object of a Gateway API group (gateway.networking.k8s.io, gateway.networking.x-k8s.io).
    GATEWAY_OBJECT: Final[Subject[GatewayObject]] = Subject(
        "gateway-object",
        lambda inv: [GatewayObject(obj) for obj in inv.in_group(GATEWAY_GROUP_PREFIX)],
    )

    ALL: Final[tuple[Subject[Any], ...]] = (
        WORKLOAD,
        AUTOSCALED,
        COPIES,
        HPA,
        INGRESS,
        INGRESS_CLASS,
        INGRESS_SET,
        CONTROLLER,
        CONTROLLER_WORKLOAD,
        CONTROLLER_CONFIG,
        WEBHOOK,
        GATEWAY_CLASS,
        RELOAD_CLASS,
        GATEWAY,
        ROUTE,
        REFERRER,
        ATTACHER,
        LISTENERS,
        GATEWAY_OBJECT,
    )


class Need(StrEnum):
    """Data a check cannot decide without."""

    LIVE = "live"  # object status from a cluster (pod restarts, conditions)
    HISTORY = "history"  # events over time, as the operator sees them from its watch stream
    PROMETHEUS = "prometheus"  # measured series
    MANIFESTS = "manifests"  # only meaningful on files (live objects have the field defaulted)
    BASE = "base"  # a baseline to compare with (`kgov gate migration --base`)


@dataclass(frozen=True, slots=True)
class CheckContext(Generic[P]):
    """What a check sees besides its subject: the whole inventory, its params, the time, and what
    the run knows besides the objects (evidence, churn, scale history, baseline)."""

    inventory: Inventory
    params: P
    now: datetime
    facts: Facts


@dataclass(frozen=True, slots=True)
class Issue:
    """What a check yields; the engine turns it into a `Finding` with the check's metadata."""

    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    related: tuple[ObjectRef, ...] = ()
    discriminator: str = ""
    # The field judged, as a path in the subject's object (`spec.template.spec.containers[0].resources`
    # is ("spec", "template", "spec", "containers", 0, "resources")): the finding points at its line.
    path: tuple[str | int, ...] = ()


class Undecided(NamedTuple):
    """What a check yields when an object it needs is unknown (not in the scope, which is not known to
    be complete): no finding, but a count in `skipped`. `one` and `many` name the undecided thing in
    the singular and plural ("backendRef to a Service not in the input")."""

    one: str
    many: str


# A check's function over its subjects, as the registry holds it (a family's FUNCTIONS maps ids to these).
CheckFunction = Callable[[Any, CheckContext[Any]], Iterable[Issue | Undecided]]


class Source(NamedTuple):
    """Where a check's rule comes from: a title and a URL, or a path in this repository."""

    title: str
    url: str


# Not slotted: a generic alias (`CheckSpec(...)`) sets __orig_class__ on what it builds.
@dataclass(frozen=True)
class Check(Generic[S, P]):
    """A check: metadata, and a function over subjects of one kind with params of one model. The
    built-in ones are made from `kgov/data/checks.yaml` (see `kgov.checks.builtin`); one made in code
    (tests) is typed, so mypy rejects a function that does not fit its subject or params."""

    id: str
    title: str
    category: Category
    severity: Severity
    subject: Subject[S]
    condition: str
    remediation: str
    fn: Callable[[S, CheckContext[P]], Iterable[Issue | Undecided]]
    params: type[P]
    needs: frozenset[Need] = frozenset()
    # Needs that are enough on their own: the check runs when any of them is available.
    alternatives: bool = False
    # What the check reads beyond its subject's `reach` (a check comparing objects across namespaces
    # declares NETWORK), so the operator re-runs it when that changes; None: the subject's.
    reads: Reach | None = None
    # Only a waiver naming what replaces the checked behaviour (`replacement:`) accepts a finding.
    waiver_needs_replacement: bool = False
    # Why it matters and where the rule comes from (`kgov explain`, docs/checks.md).
    why: str = ""
    sources: tuple[Source, ...] = ()

    @property
    def reach(self) -> Reach:
        return self.reads if self.reads is not None else self.subject.reach

    @property
    def anchor(self) -> str:
        return self.id.replace(".", "")

    @property
    def docs(self) -> str:
        return f"docs/checks.md#{self.anchor}"


# A check of any subject and params, as the registry, the engine and the reporters hold them.
CheckSpec = Check[Any, Any]


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
