"""Ingress and Gateway API indices: classes and their controllers, Ingresses by class, Services by name,
routes by parent, ReferenceGrants by namespace, controller workloads found through the catalogue."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from pydantic import BaseModel

from kgov.catalogue import Catalogue, Controller
from kgov.inventory.projection import ProjectionError
from kgov.inventory.scope import Knowledge
from kgov.inventory.views import Workload
from kgov.model import gateway as gw
from kgov.model import networking as net
from kgov.model.kinds import GATEWAY_GROUP, ROUTE_KINDS
from kgov.model.objects import KubeObject
from kgov.model.pods import Container
from kgov.model.services import Service

V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)


class Objects(Protocol):
    """What the network reads of the inventory that holds it (`kgov.inventory.Inventory`)."""

    @property
    def by_kind(self) -> Mapping[str, Sequence[KubeObject]]: ...

    @property
    def workloads(self) -> Sequence[Workload]: ...

    def get(
        self, kind: str, namespace: str | None, name: str, near: KubeObject | None = None
    ) -> KubeObject | None: ...

    def namespace(self, name: str | None, near: KubeObject | None = None) -> KubeObject | None: ...

    def workloads_in(self, namespace: str | None) -> list[Workload]: ...

    def complete(self, kind: str, namespace: str | None) -> bool: ...

    def kind_knowledge(self, group: str, kind: str) -> Knowledge: ...

    def derived(self, name: str, subject: object, compute: Callable[[], V]) -> V: ...

    def projection(
        self,
        model: type[M],
        obj: KubeObject,
        data: Callable[[], Any] | None = None,
        prefix: tuple[str | int, ...] = (),
    ) -> M: ...

    def project_all(self, kind: str, build: Callable[[KubeObject], V]) -> list[V]: ...


class IngressClassView(NamedTuple):
    obj: KubeObject
    spec: net.IngressClass
    controller: Controller | None

    @property
    def is_default(self) -> bool:
        return self.obj.annotations.get(net.DEFAULT_CLASS_ANNOTATION) == "true"


class IngressView(NamedTuple):
    obj: KubeObject
    ingress: net.Ingress
    class_name: str | None  # the class the Ingress asks for, by field or legacy annotation
    ingress_class: IngressClassView | None  # the IngressClass serving it, when known
    controller: Controller | None

    @property
    def legacy_class(self) -> str | None:
        return self.obj.annotations.get(net.LEGACY_CLASS_ANNOTATION)


class ServiceView(NamedTuple):
    obj: KubeObject
    service: Service


# Controllers are long-running: a Job or CronJob that runs a controller image (a certificate generator,
# a migration) and a Helm hook are not the controller, whatever their image.
LONG_RUNNING_KINDS = frozenset({"Deployment", "DaemonSet", "StatefulSet"})
HELM_HOOK_ANNOTATION = "helm.sh/hook"


class ControllerWorkload(NamedTuple):
    """A long-running workload running an ingress or gateway controller, recognised by its image;
    `plane` is `data` (it carries traffic) or `control` (it programs a data plane elsewhere)."""

    workload: Workload
    controller: Controller
    container: Container

    @property
    def obj(self) -> KubeObject:
        return self.workload.obj

    @property
    def plane(self) -> str:
        return self.controller.plane(self.container.image or "")

    @property
    def image(self) -> str:
        return self.container.image or ""


class WebhookView(NamedTuple):
    obj: KubeObject
    config: net.ValidatingWebhookConfiguration


class GatewayClassView(NamedTuple):
    obj: KubeObject
    spec: gw.GatewayClass
    controller: Controller | None


class GatewayView(NamedTuple):
    obj: KubeObject
    gateway: gw.Gateway

    @property
    def listeners(self) -> list[gw.Listener]:
        return self.gateway.spec.listeners


class ListenerSetView(NamedTuple):
    obj: KubeObject
    listener_set: gw.ListenerSet

    @property
    def listeners(self) -> list[gw.Listener]:
        return self.listener_set.spec.listeners


class RouteView(NamedTuple):
    obj: KubeObject
    route: gw.Route


class IngressSet(NamedTuple):
    """The Ingresses of one namespace (`obj` is the Namespace, synthesised when not in the set)."""

    obj: KubeObject
    ingresses: list[IngressView]


@dataclass(slots=True)
class ControllerView:
    """One controller with everything it serves; `obj` is its first workload, else its first class."""

    obj: KubeObject
    controller: Controller
    workloads: list[ControllerWorkload] = field(default_factory=list)
    ingresses: list[IngressView] = field(default_factory=list)
    routes: list[RouteView] = field(default_factory=list)


class Network:
    """Built once per inventory; projections with type errors become input errors of the inventory."""

    def __init__(self, inventory: Objects, catalogue: Catalogue) -> None:
        # A proxy, not a reference: no Inventory ↔ Network cycle, so a replaced inventory is freed at
        # once instead of waiting for the cyclic collector (the operator rebuilds it often).
        self.inventory = cast(Objects, weakref.proxy(inventory))
        self.catalogue = catalogue
        # The kinds the views below are built from: a change to an object of another kind leaves them as
        # they are (ConfigMaps, say, are looked up by name when asked).
        self.read_kinds: set[str] = set()
        self.ingress_classes = self._all("IngressClass", self._ingress_class)
        self._class_views = {id(v.obj): v for v in self.ingress_classes}
        defaults = [v for v in self.ingress_classes if v.is_default]
        # Two default classes make the API server refuse class-less Ingresses: then there is none.
        self._default_class = defaults[0] if len(defaults) == 1 else None
        self._ingresses = self._all("Ingress", self._ingress)
        self._services = {id(v.obj): v for v in self._all("Service", self._service)}
        self.pdbs = self._all(
            "PodDisruptionBudget", lambda o: (o, self.inventory.projection(net.PodDisruptionBudget, o))
        )
        self.webhooks = self._all(
            "ValidatingWebhookConfiguration",
            lambda o: WebhookView(o, self.inventory.projection(net.ValidatingWebhookConfiguration, o)),
        )
        self.controller_workloads = self._controller_workloads()
        self._controller_by_workload = {id(c.workload): c for c in self.controller_workloads}
        self.gateway_classes = self._all("GatewayClass", self._gateway_class)
        self.gateways = self._all(
            "Gateway", lambda o: GatewayView(o, self.inventory.projection(gw.Gateway, o))
        )
        self.listener_sets = self._all(
            "ListenerSet", lambda o: ListenerSetView(o, self.inventory.projection(gw.ListenerSet, o))
        )
        self._routes = [
            view
            for kind in ROUTE_KINDS
            for view in self._all(kind, lambda o: RouteView(o, self.inventory.projection(gw.Route, o)))
        ]
        self.grants: dict[str | None, list[gw.ReferenceGrant]] = defaultdict(list)
        for obj, grant in self._all(
            "ReferenceGrant", lambda o: (o, self.inventory.projection(gw.ReferenceGrant, o))
        ):
            self.grants[obj.namespace].append(grant)
        self.crd_channels = self._crd_channels()
        self._gateway_views = {id(v.obj): v for v in self.gateways}
        self._listener_set_views = {id(v.obj): v for v in self.listener_sets}
        self._gateway_class_views = {id(v.obj): v for v in self.gateway_classes}
        self._sets_by_parent: dict[int, list[ListenerSetView]] | None = None
        # Index of each view by id(view.obj), per list (ingresses, routes), built on the first update.
        self._positions: dict[int, dict[int, int]] = {}
        self._by_host: dict[str, list[IngressView]] | None = None  # built on first use
        self._route_classes: dict[int, tuple[RouteView, list[GatewayClassView]]] = {}
        # Built on first use; the engine's live network keeps them as it replaces views in place.
        self._ingress_sets: dict[str | None, IngressSet] | None = None
        self._controllers: list[ControllerView] | None = None
        # Where each Ingress's and route's view is held in the controllers' lists: id(view) → places.
        self._served_at: dict[int, list[tuple[list[Any], int]]] = {}

    @property
    def ingresses(self) -> Sequence[IngressView]:
        return self._ingresses

    @property
    def routes(self) -> Sequence[RouteView]:
        return self._routes

    @property
    def services(self) -> Mapping[int, ServiceView]:
        """By id of the Service object."""
        return self._services

    def controller_of(self, workload: Workload) -> ControllerWorkload | None:
        """The controller a workload runs, if it is a controller workload."""
        return self._controller_by_workload.get(id(workload))

    # ---- building ---------------------------------------------------------------------------------

    def _all(self, kind: str, build: Callable[[KubeObject], V]) -> list[V]:
        self.read_kinds.add(kind)
        return self.inventory.project_all(kind, build)

    def _ingress_class(self, obj: KubeObject) -> IngressClassView:
        spec = self.inventory.projection(net.IngressClass, obj)
        return IngressClassView(obj, spec, self.catalogue.for_ingress_class(spec.spec.controller))

    def _ingress(self, obj: KubeObject) -> IngressView:
        ingress = self.inventory.projection(net.Ingress, obj, lambda: net.normalize_ingress(obj.raw))
        class_name = ingress.spec.ingress_class_name or obj.annotations.get(net.LEGACY_CLASS_ANNOTATION)
        ingress_class = self.ingress_class(class_name, obj) if class_name else self._default_class
        controller = ingress_class.controller if ingress_class else None
        if controller is None and class_name and ingress_class is None:
            controller = self.catalogue.for_legacy_class(class_name)
        return IngressView(obj, ingress, class_name, ingress_class, controller)

    def _service(self, obj: KubeObject) -> ServiceView:
        return ServiceView(obj, self.inventory.projection(Service, obj))

    def _gateway_class(self, obj: KubeObject) -> GatewayClassView:
        spec = self.inventory.projection(gw.GatewayClass, obj)
        return GatewayClassView(obj, spec, self.catalogue.for_gateway_class(spec.spec.controller_name))

    def _controller_workloads(self) -> list[ControllerWorkload]:
        found = []
        for workload in self.inventory.workloads:
            obj = workload.obj
            if obj.kind not in LONG_RUNNING_KINDS or HELM_HOOK_ANNOTATION in obj.annotations:
                continue
            for container in workload.template.spec.containers:
                controller = self.catalogue.for_image(container.image or "")
                if controller is not None:
                    found.append(ControllerWorkload(workload, controller, container))
                    break
        return found

    def _crd_channels(self) -> dict[str, tuple[str | None, str | None]]:
        """Gateway API kind → (bundle version, channel) of its installed CRD, when the set holds it."""
        channels = {}
        self.read_kinds.add("CustomResourceDefinition")
        for obj in self.inventory.by_kind.get("CustomResourceDefinition", ()):
            spec = obj.raw.get("spec")
            if not isinstance(spec, dict) or spec.get("group") != GATEWAY_GROUP:
                continue
            names = spec.get("names")
            kind = names.get("kind") if isinstance(names, dict) else None
            if isinstance(kind, str):
                channels[kind] = (
                    obj.annotations.get(gw.BUNDLE_VERSION_ANNOTATION),
                    obj.annotations.get(gw.CHANNEL_ANNOTATION),
                )
        return channels

    # ---- lookups of the views -----------------------------------------------------------------------

    def ingress_view(self, obj: KubeObject) -> IngressView | None:
        """The view of an Ingress object of this network (None: not read, or not its current version)."""
        index = self._positions_in(self._ingresses).get(id(obj))
        return self._ingresses[index] if index is not None and self._ingresses[index].obj is obj else None

    def _positions_in(self, views: list[Any]) -> dict[int, int]:
        positions = self._positions.get(id(views))
        if positions is None:
            positions = self._positions[id(views)] = {id(v.obj): i for i, v in enumerate(views)}
        return positions

    # ---- grouped subjects ---------------------------------------------------------------------------

    def ingresses_with_host(self, *hosts: str) -> list[IngressView]:
        """The Ingresses with a rule for any of the hosts (lower-case; "" for rules without a host),
        in the order of `ingresses`."""
        if self._by_host is None:
            self._by_host = {}
            for view in self._ingresses:
                for name in rule_hosts(view):
                    self._by_host.setdefault(name, []).append(view)
        found = [view for host in hosts for view in self._by_host.get(host, ())]
        if len(hosts) < 2:
            return found
        positions = self._positions_in(self._ingresses)
        unique = {id(view): view for view in found}.values()
        return sorted(unique, key=lambda view: positions[id(view.obj)])

    def ingress_sets(self) -> list[IngressSet]:
        if self._ingress_sets is None:
            self._ingress_sets = {}
            for view in self._ingresses:
                namespace = view.obj.namespace
                held = self._ingress_sets.get(namespace)
                if held is None:
                    held = self._ingress_sets[namespace] = IngressSet(
                        _namespace_object(self.inventory, namespace, view.obj), []
                    )
                held.ingresses.append(view)
        return list(self._ingress_sets.values())

    def controllers(self) -> list[ControllerView]:
        """Every catalogued controller the set shows a trace of: a workload, a class, or what it serves."""
        if self._controllers is None:
            self._controllers = self._controller_views()
        return self._controllers

    def _controller_views(self) -> list[ControllerView]:
        views: dict[str, ControllerView] = {}
        self._served_at = {}

        def view(controller: Controller, obj: KubeObject) -> ControllerView:
            if controller.id not in views:
                views[controller.id] = ControllerView(obj, controller)
            return views[controller.id]

        def serve(held: list[Any], served: IngressView | RouteView) -> None:
            self._served_at.setdefault(id(served), []).append((held, len(held)))
            held.append(served)

        for workload in self.controller_workloads:
            view(workload.controller, workload.obj).workloads.append(workload)
        for ingress in self._ingresses:
            if ingress.controller is not None:
                holder = ingress.ingress_class.obj if ingress.ingress_class else ingress.obj
                serve(view(ingress.controller, holder).ingresses, ingress)
        for route in self._routes:
            for gclass in {id(c): c for c in self.route_classes(route)}.values():
                if gclass.controller is not None:
                    serve(view(gclass.controller, gclass.obj).routes, route)
        return list(views.values())

    # ---- Gateway API resolution -------------------------------------------------------------------

    def gateway(self, namespace: str | None, name: str, near: KubeObject) -> GatewayView | None:
        obj = self.inventory.get("Gateway", namespace, name, near=near)
        return self._gateway_views.get(id(obj)) if obj is not None else None

    def listener_set(self, namespace: str | None, name: str, near: KubeObject) -> ListenerSetView | None:
        obj = self.inventory.get("ListenerSet", namespace, name, near=near)
        return self._listener_set_views.get(id(obj)) if obj is not None else None

    def gateway_class(self, name: str, near: KubeObject) -> GatewayClassView | None:
        obj = self.inventory.get("GatewayClass", None, name, near=near)
        return self._gateway_class_views.get(id(obj)) if obj is not None else None

    def listener_set_parent(self, view: ListenerSetView) -> GatewayView | None:
        parent = view.listener_set.spec.parent_ref
        if parent is None or parent.group != GATEWAY_GROUP or parent.kind != "Gateway":
            return None
        return self.gateway(parent.namespace or view.obj.namespace, parent.name, view.obj)

    def listener_sets_before(self, view: ListenerSetView, parent: GatewayView) -> list[ListenerSetView]:
        """The ListenerSets of the same parent that take precedence over `view`: older first, then by
        namespace/name (files carry no creation time, so there the order is by name alone)."""
        if self._sets_by_parent is None:
            self._sets_by_parent = defaultdict(list)
            for candidate in sorted(self.listener_sets, key=_precedence):
                found = self.listener_set_parent(candidate)
                if found is not None:
                    self._sets_by_parent[id(found.obj)].append(candidate)
        ordered = self._sets_by_parent.get(id(parent.obj), [])
        return ordered[: ordered.index(view)] if view in ordered else []

    def class_of(self, gateway: GatewayView) -> GatewayClassView | None:
        return self.gateway_class(gateway.gateway.spec.gateway_class_name, gateway.obj)

    def parent_gateway(self, route: RouteView, ref: gw.ParentReference) -> GatewayView | None:
        """The Gateway a parentRef leads to, directly or through a ListenerSet."""
        namespace = ref.namespace or route.obj.namespace
        if ref.group != GATEWAY_GROUP:
            return None
        if ref.kind == "Gateway":
            return self.gateway(namespace, ref.name, route.obj)
        if ref.kind == "ListenerSet":
            lset = self.listener_set(namespace, ref.name, route.obj)
            parent = lset.listener_set.spec.parent_ref if lset else None
            if lset is not None and parent is not None and parent.kind == "Gateway":
                return self.gateway(parent.namespace or lset.obj.namespace, parent.name, lset.obj)
        return None

    def route_classes(self, route: RouteView) -> list[GatewayClassView]:
        held = self._route_classes.get(id(route))
        if held is not None and held[0] is route:
            return held[1]
        found = self._classes_of(route)
        self._route_classes[id(route)] = (route, found)
        return found

    def _classes_of(self, route: RouteView) -> list[GatewayClassView]:
        found = []
        for ref in route.route.spec.parent_refs:
            gateway = self.parent_gateway(route, ref)
            gclass = self.class_of(gateway) if gateway else None
            if gclass is not None:
                found.append(gclass)
        return found

    def grant_allows(
        self,
        from_kind: str,
        from_namespace: str,
        target_namespace: str,
        to: gw.BackendRef | gw.SecretObjectReference,
    ) -> bool:
        return any(
            grant.allows(GATEWAY_GROUP, from_kind, from_namespace, to)
            for grant in self.grants.get(target_namespace, ())
        )

    # ---- lookups ----------------------------------------------------------------------------------

    def ingress_class(self, name: str, near: KubeObject) -> IngressClassView | None:
        obj = self.inventory.get("IngressClass", None, name, near=near)
        return self._class_views.get(id(obj)) if obj is not None else None

    def service(self, namespace: str | None, name: str, near: KubeObject) -> ServiceView | None:
        obj = self.inventory.get("Service", namespace, name, near=near)
        return self._services.get(id(obj)) if obj is not None else None

    def config_map(self, namespace: str | None, name: str, near: KubeObject) -> net.ConfigMap | None:
        obj = self.inventory.get("ConfigMap", namespace, name, near=near)
        if obj is None:
            return None
        try:
            return self.inventory.projection(net.ConfigMap, obj)
        except ProjectionError:
            return None

    def workloads_selected(self, namespace: str | None, selector: dict[str, str]) -> list[Workload]:
        if not selector:
            return []
        return [
            w
            for w in self.inventory.workloads_in(namespace)
            if all(w.template.metadata.labels.get(k) == v for k, v in selector.items())
        ]

    def pdbs_selecting(self, workload: Workload) -> list[KubeObject]:
        return [obj for obj, pdb in self.pdbs if _selects(obj, pdb, workload)]


def rule_hosts(view: IngressView) -> list[str]:
    """The hosts of an Ingress's rules, lower-case; "" for a rule without a host."""
    return list(dict.fromkeys((rule.host or "").lower() for rule in view.ingress.spec.rules))


def _selects(obj: KubeObject, pdb: net.PodDisruptionBudget, workload: Workload) -> bool:
    """Same namespace and a matching selector; an empty selector selects every pod in policy/v1 and
    none in policy/v1beta1; an absent one selects none."""
    selector = pdb.spec.selector
    if obj.namespace != workload.obj.namespace or selector is None:
        return False
    if not selector.match_labels and not selector.match_expressions:
        return obj.api_version == "policy/v1"
    return selector.matches(workload.template.metadata.labels)


def _precedence(view: ListenerSetView) -> tuple[str, str, str]:
    metadata = view.obj.raw.get("metadata")
    created = metadata.get("creationTimestamp") if isinstance(metadata, dict) else None
    return (str(created or ""), view.obj.namespace or "", view.obj.name)


def _namespace_object(inventory: Objects, namespace: str | None, near: KubeObject) -> KubeObject:
    found = inventory.namespace(namespace, near=near)
    if found is not None:
        return found
    return KubeObject("v1", "Namespace", namespace or UNSET_NAMESPACE, None, {}, location=near.location)


UNSET_NAMESPACE = "(unset)"
