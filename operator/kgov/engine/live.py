"""The operator's live inventory: the engine's own, updated in place from watch events.

`kgov.inventory.Inventory` is a snapshot: built from objects, read by the checks, never changed by
them. The engine keeps one between evaluations and brings it up to date with each batch of events
(`LiveInventory.update`, then `refresh_network`) instead of building it again, which is what makes an
event cheap: a pod takes its old version's place in its workload, an HPA or VPA in its target, a
workload's new template in its subject, an Ingress, route or Service its old view's place in the
network. A change that reshapes the subjects (a workload or bare pod appearing or going, a namespace,
a LimitRange, an object that cannot be read) is refused, and the engine builds a new one from its
store. Only the engine changes it, and never while checks run.
"""

from __future__ import annotations

import copy
import dataclasses
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

from kgov.catalogue import load_catalogue
from kgov.engine.store import ProjectionCache
from kgov.inventory import Inventory, LivePodView, Workload
from kgov.inventory.network import IngressView, Network, RouteView, ServiceView, rule_hosts
from kgov.inventory.projection import ProjectionError
from kgov.inventory.templates import template_images
from kgov.inventory.views import HPA_KIND, VPA_KIND, HPAView, VPAView
from kgov.migration.parity import MigrationIndex, index_memo
from kgov.model import gateway as gw
from kgov.model.autoscaling import VPA
from kgov.model.kinds import POD_BEARING_KINDS, ROUTE_KINDS
from kgov.model.objects import KubeObject
from kgov.model.pods import LivePod
from kgov.model.services import Service

V = TypeVar("V")
Change = tuple[KubeObject | None, KubeObject | None]  # (old, new) version of one object


class LiveInventory(Inventory):
    """The cluster's objects as the engine's store holds them, kept current between evaluations."""

    def __init__(self, objects: Iterable[KubeObject], projections: ProjectionCache) -> None:
        super().__init__(objects, live=True, projections=projections)
        self._network_changes: list[Change] = []
        self._kinds = {kind: KindObjects(objects) for kind, objects in self._by_kind.items()}
        self._by_kind = self._kinds
        self._workload_by_key = {w.obj.key: w for w in self._workloads}  # subjects keep their key in place
        # Renewed whenever a subject enumeration may gain, lose or move a member in place (an
        # autoscaler added or removed, the network views built again); while it stands, and the kinds
        # a subject enumeration holds keep theirs (`kind_shape`), every subject keeps its place in its
        # kind's enumeration (`SubjectIndex` relies on it).
        self.shape = object()
        self._kind_shapes: dict[str, object] = {}

    def _network(self) -> Network:
        return LiveNetwork(self, load_catalogue())

    def kind_shape(self, kind: str) -> object | None:
        """Renewed whenever an object of this kind is added or removed in place, besides pods,
        workloads and autoscalers (whose changes renew `shape` when they move a subject)."""
        return self._kind_shapes.get(kind)

    def keep_index(self, index: MigrationIndex) -> None:
        """Hands the checks a routing model the engine kept up to date for this network
        (`MigrationIndex.update`): `migration_index` finds it instead of building one."""
        assert index.network is self.network
        self._remember(index_memo(index.prefix), self.network, index)

    def detached(self) -> Inventory:
        """A copy of the workloads with their pods, and of the autoscalers, that stays as it is while
        this inventory moves on (the evidence layer reads it off the event loop)."""
        copied = copy.copy(self)
        copied._workloads = [dataclasses.replace(w, pods=list(w.pods)) for w in self._workloads]
        copied._hpas = list(self._hpas)
        return copied

    def update(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        """Apply one live object's change in place, as a rebuild from all objects would show it. False
        when the change reshapes the subjects (a workload or bare pod appearing or going, namespaces,
        LimitRanges, a projection error): then the inventory is stale and the caller rebuilds it.
        Network views are not updated here: call `refresh_network` after a batch."""
        obj = new or old
        if obj is None:
            return False
        if obj.key in self.unreadable:
            return False  # it was left out with an error: rebuilt, it is read (and reported) afresh
        # Values derived from subjects (QoS, controller annotations) may read what changed: forget them.
        self._derived.clear()
        if obj.kind == "Pod":
            return self._update_pod(old, new)
        if obj.kind in (HPA_KIND, VPA_KIND):
            return self._update_autoscaler(old, new)
        if obj.kind in POD_BEARING_KINDS:
            self._network_changes.append((old, new))
            return self._update_workload(old, new)
        if obj.kind in _STRUCTURAL_KINDS:
            return False
        if old is None or new is None:
            self._kind_shapes[obj.kind] = object()
        self._replace(old, new)
        self._network_changes.append((old, new))
        return True

    def refresh_network(self) -> None:
        """Bring the network views up to date with the changes `update` applied: in place where each
        change replaces one view, built again from every object otherwise."""
        changes, self._network_changes = self._network_changes, []
        network = self.network
        if changes and not (
            isinstance(network, LiveNetwork) and all(network.update(old, new) for old, new in changes)
        ):
            self._network_views = self._network()
            self.shape = object()

    def _replace(self, old: KubeObject | None, new: KubeObject | None) -> None:
        if old is not None and (new is None or new.key != old.key):
            del self._objects[old.key]
            self._kinds[old.kind].remove(old)
        if new is not None:  # a new version takes the old one's place
            self._objects[new.key] = [new]
            kind = self._kinds.get(new.kind)
            if kind is None:
                kind = self._kinds[new.kind] = KindObjects(())
            kind.put(new)

    def _subject_of(self, obj: KubeObject) -> Workload | None:
        """The workload subject `obj` rolls up to, unless `obj` is a subject itself."""
        top = self._top_owner(obj)
        if top is obj:
            return None
        return self._workload_of(top)

    def _update_pod(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        if old is not None:
            holder = self._subject_of(old)
            if holder is None:
                return False
            holder.pods = [view for view in holder.pods if view.obj is not old]
        self._replace(old, new)
        if new is not None:
            holder = self._subject_of(new)
            if holder is None:
                return False
            try:
                pod = self.projection(LivePod, new)
            except Exception:  # any failure: the rebuild reports the object
                return False
            insort(holder.pods, LivePodView(new, pod), key=lambda v: v.obj.name)
        return True

    def _update_autoscaler(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        if self._absent_targets:
            return False  # targets outside the scope are grouped at build time: rebuild
        views: list[Any] = self._hpas if (new or old).kind == HPA_KIND else self._vpas  # type: ignore[union-attr]
        index = None
        if old is not None:
            index = _find_sorted(views, old, lambda v: v.obj)
            if index is not None:
                view = views.pop(index)
                target = self._autoscaled(view)
                if target is not None:
                    _remove_view(target.hpas if old.kind == HPA_KIND else target.vpas, old)
        if new is None:
            self.shape = object()  # one fewer: the later ones move
        self._replace(old, new)
        if new is not None:
            try:
                view = (
                    HPAView(new, self._hpa(new))
                    if new.kind == HPA_KIND
                    else VPAView(new, self.projection(VPA, new))
                )
            except Exception:  # any failure: the rebuild reports the object
                return False
            if view.target_key is not None and self._unknown(view.target_key):
                return False  # a target outside the scope: grouped at build time
            at = bisect_right(views, _object_order(new), key=lambda v: _object_order(v.obj))
            views.insert(at, view)
            if at != index:
                self.shape = object()  # not where the old version was: the subjects after it move
            target = self._autoscaled(view)
            if target is not None:
                held: list[Any] = target.hpas if new.kind == HPA_KIND else target.vpas
                insort(held, view, key=lambda v: _object_order(v.obj))
        return True

    def _autoscaled(self, view: HPAView | VPAView) -> Workload | None:
        key = view.target_key
        obj = self.get(key[1], key[0], key[2]) if key else None
        return None if obj is None else self._workload_of(obj)

    def _workload_of(self, obj: KubeObject) -> Workload | None:
        """The workload subject whose object is `obj` (this version of it), if any."""
        workload = self._workload_by_key.get(obj.key)
        return workload if workload is not None and workload.obj is obj else None

    def _update_workload(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        """A workload's new spec in place; a new or removed owner only when no subject changes with it."""
        if old is None or new is None:
            obj = old or new
            assert obj is not None
            if obj.controller_owner() is None or self._top_owner(obj) is obj:
                return False
            self._replace(old, new)
            return new is None or self._top_owner(new) is not new
        if old.controller_owner() != new.controller_owner():
            return False
        subject = self._workload_of(old)
        self._replace(old, new)
        if subject is None:  # an owned object: its template is not read (see _index_workloads)
            return self._top_owner(new) is not new
        try:
            fresh = self._workload(new)
        except Exception:  # any failure: the rebuild reports the object
            return False
        # In place: the subject keeps its pods, autoscalers and its place in every list.
        subject.obj, subject.template, subject.spec = new, fresh.template, fresh.spec
        return True


class LiveNetwork(Network):
    """The network views of a live inventory, with the Ingresses, routes and Services replaced in place."""

    def update(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        """Apply a changed Ingress, route or Service, or a workload's new template, in place (the
        inventory already holds the new object); a Service added or removed, or an object of a kind
        the views are not built from, too. False when the views must be built again: another object
        added or removed, another kind, a workload running a catalogued controller, a projection error."""
        obj = new or old
        assert obj is not None
        if obj.kind in POD_BEARING_KINDS:
            # Controller workloads hold the subject, which the inventory updates in place.
            return not any(self._runs_controller(version) for version in (old, new))
        if obj.kind not in self.read_kinds:
            return True
        try:
            if obj.kind == "Service":
                return self._put_service(old, new)
            if old is None or new is None:
                return False
            if obj.kind == "Ingress":
                return self._replace_ingress(old, self._ingress(new))
            if obj.kind in ROUTE_KINDS:
                return self._replace_route(old, RouteView(new, self.inventory.projection(gw.Route, new)))
        except ProjectionError:
            return False
        return False

    def _runs_controller(self, obj: KubeObject | None) -> bool:
        return obj is not None and any(self.catalogue.for_image(i) for i in template_images(obj))

    def _put_service(self, old: KubeObject | None, new: KubeObject | None) -> bool:
        """Services are held by object, in no order: one added, removed or replaced moves no view."""
        if old is not None and self._services.pop(id(old), None) is None:
            return False
        if new is not None:
            self._services[id(new)] = ServiceView(new, self.inventory.projection(Service, new))
        return True

    def _replace_route(self, old: KubeObject, view: RouteView) -> bool:
        replaced = self._replace_view(self._routes, old, view)
        if replaced is None:
            return False
        same_classes = self._controllers is None or [id(c) for c in self.route_classes(replaced)] == [
            id(c) for c in self.route_classes(view)
        ]
        self._route_classes.pop(id(replaced), None)  # the replaced view is not asked again
        self._serve_instead(replaced, view, same_classes)
        return True

    def _replace_ingress(self, old: KubeObject, view: IngressView) -> bool:
        replaced = self._replace_view(self._ingresses, old, view)
        if replaced is None:
            return False
        if self._ingress_sets is not None:  # same key, so the same namespace's set
            held = self._ingress_sets[view.obj.namespace].ingresses
            held[next(i for i, v in enumerate(held) if v is replaced)] = view
        same_controller = (
            replaced.controller is view.controller and replaced.ingress_class is view.ingress_class
        )
        self._serve_instead(replaced, view, same_controller)
        if self._by_host is not None:
            positions = self._positions_in(self._ingresses)
            for host in rule_hosts(replaced):
                held = self._by_host[host]
                held.remove(replaced)
                if not held:
                    del self._by_host[host]
            for host in rule_hosts(view):
                insort(self._by_host.setdefault(host, []), view, key=lambda v: positions[id(v.obj)])
        return True

    def _serve_instead(self, replaced: Any, view: Any, same_controllers: bool) -> None:
        """`view` takes `replaced`'s places in the controllers' lists when it is served by the same
        controllers through the same classes; otherwise the controllers are found again when asked."""
        if self._controllers is None:
            return
        places = self._served_at.pop(id(replaced), [])
        if not same_controllers:
            self._controllers = None
            return
        for held, index in places:
            held[index] = view
        if places:
            self._served_at[id(view)] = places
        for controller in self._controllers:
            if controller.obj is replaced.obj:  # an Ingress without a class stands for its controller
                controller.obj = view.obj

    def _replace_view(self, views: list[Any], old: KubeObject, view: Any) -> Any:
        """Puts `view` where the view of `old` was (same key, so the same place in the order), and
        returns the view it replaced; None when `old` has none there."""
        positions = self._positions_in(views)
        index = positions.get(id(old))
        if index is None or views[index].obj is not old:
            return None
        replaced = views[index]
        del positions[id(old)]
        views[index] = view
        positions[id(view.obj)] = index
        return replaced


_STRUCTURAL_KINDS = frozenset({"Namespace", "LimitRange"})


def _object_order(obj: KubeObject) -> tuple[str, str]:
    return (obj.namespace or "", obj.name)


def _find_sorted(items: list[V], obj: KubeObject, held: Callable[[V], KubeObject]) -> int | None:
    """Where the item holding `obj` is in a list sorted by its objects' `_object_order`."""
    order = _object_order(obj)
    index = bisect_left(items, order, key=lambda item: _object_order(held(item)))
    while index < len(items) and _object_order(held(items[index])) == order:
        if held(items[index]) is obj:
            return index
        index += 1
    return None


def _remove_view(views: list[Any], obj: KubeObject) -> None:
    views[:] = [v for v in views if v.obj is not obj]


class KindObjects(Sequence[KubeObject]):
    """One kind's objects in the live inventory, read in (namespace, name) order. Kept by namespace
    and name: a new version, an addition or a removal costs a dictionary operation, not the move of a
    list of every pod; the ordered list is made only when read, and again after an addition or a
    removal (pods, the objects that come and go most, are read only when the inventory is built
    again, so theirs is never made)."""

    __slots__ = ("_count", "_names", "_ordered", "_positions")

    def __init__(self, objects: Iterable[KubeObject]) -> None:
        self._names: dict[str | None, dict[str, KubeObject]] = {}
        self._count = 0
        self._ordered: list[KubeObject] | None = None
        self._positions: dict[tuple[str | None, str], int] | None = None
        for obj in objects:
            self.put(obj)

    def put(self, obj: KubeObject) -> None:
        """`obj` in its place: the version it replaces, or a new place in the order."""
        names = self._names.get(obj.namespace)
        if names is None:
            names = self._names[obj.namespace] = {}
        replaced = obj.name in names
        names[obj.name] = obj
        if not replaced:
            self._count += 1
            self._ordered = self._positions = None
        elif self._ordered is not None:
            if self._positions is None:
                self._positions = {(o.namespace, o.name): i for i, o in enumerate(self._ordered)}
            self._ordered[self._positions[(obj.namespace, obj.name)]] = obj

    def remove(self, obj: KubeObject) -> None:
        names = self._names[obj.namespace]
        del names[obj.name]
        if not names:
            del self._names[obj.namespace]
        self._count -= 1
        self._ordered = self._positions = None

    def _list(self) -> list[KubeObject]:
        if self._ordered is None:
            every = (obj for names in self._names.values() for obj in names.values())
            self._ordered = sorted(every, key=_object_order)
        return self._ordered

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[KubeObject]:
        return iter(self._list())

    @overload
    def __getitem__(self, index: int) -> KubeObject: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[KubeObject]: ...

    def __getitem__(self, index: int | slice) -> KubeObject | Sequence[KubeObject]:
        return self._list()[index]
