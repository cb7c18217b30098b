"""All objects of one scan or one cluster, with their typed projections and the indices checks use.

Objects whose fields have the wrong types become input errors here and are left out of the analysis;
everything else is still analysed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from pydantic import BaseModel

from kgov.catalogue import load_catalogue
from kgov.inventory.folders import in_tree_of, shared_prefix
from kgov.inventory.network import Network
from kgov.inventory.projection import ProjectionError, project
from kgov.inventory.scope import NOTHING_DECLARED, Completeness, Declared, Knowledge, Listing
from kgov.inventory.templates import pod_template_of
from kgov.inventory.views import HPA_KIND, VPA_KIND, HPAView, Key, LivePodView, TargetKey, VPAView, Workload
from kgov.model import autoscaling, limits
from kgov.model.errors import InputError, ObjectError, describe_path
from kgov.model.kinds import GATEWAY_GROUP, KINDS, POD_BEARING_KINDS, SCALED_OBJECT_KIND
from kgov.model.objects import KubeObject
from kgov.model.pods import LivePod, PodTemplate, WorkloadSpec
from kgov.model.qos import LimitDefaults

V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)


class AbsentTarget(NamedTuple):
    """An autoscaler target the scope does not hold (unknown, not known absent): what its HPAs and
    VPAs say about it is all there is. Findings on it target its first autoscaler."""

    key: TargetKey
    hpas: list[HPAView]
    vpas: list[VPAView]

    @property
    def obj(self) -> KubeObject:
        return (self.hpas or self.vpas)[0].obj

    def display(self) -> str:
        namespace, kind, name = self.key
        return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


class Copies(NamedTuple):
    """One object defined more than once in one folder of the scope with different content;
    `obj` is the last copy, the one `kubectl apply -f` leaves in place."""

    copies: list[KubeObject]

    @property
    def obj(self) -> KubeObject:
        return self.copies[-1]


class Projections(Protocol):
    """Projections kept beyond one inventory, one per object version (the operator's engine keeps
    them in its store, so a rebuild projects only the objects that changed)."""

    def get(self, obj: KubeObject, model: type, build: Callable[[], V]) -> V: ...


class Inventory:
    """Indexed snapshot. `live` is true when objects come from a cluster (status is meaningful)."""

    def __init__(
        self,
        objects: Iterable[KubeObject],
        *,
        live: bool = False,
        projections: Projections | None = None,
        declared: Declared = NOTHING_DECLARED,
        listing: Listing | None = None,
    ) -> None:
        self.live = live
        self._projections = projections
        objects_list = list(objects)
        self.errors: list[InputError] = []
        self.unreadable: dict[Key, str] = {}  # objects left out because they could not be read → why
        # A repository often holds the same object several times (one per environment folder), so a
        # key maps to every copy and references resolve to the copy nearest the referring file.
        self._objects: defaultdict[Key, list[KubeObject]] = defaultdict(list)
        by_kind: defaultdict[str, list[KubeObject]] = defaultdict(list)
        for obj in objects_list:
            self._objects[obj.key].append(obj)
            by_kind[obj.kind].append(obj)
        self._by_kind: Mapping[str, Sequence[KubeObject]] = by_kind
        # A cluster without an explicit listing is the operator's: it watches every kind of the table.
        if listing is None and live:
            listing = Listing(frozenset(spec.kind for spec in KINDS if spec.watched))
        self.completeness = Completeness(objects_list, declared, listing)
        self.limit_ranges = self._index_limit_ranges()
        self._hpas: list[HPAView] = self.project_all(HPA_KIND, lambda o: HPAView(o, self._hpa(o)))
        # A ScaledObject whose HPA is in scope too (a cluster under the files) is that HPA already.
        keda_made = {
            (h.obj.namespace, owner.name)
            for h in self._hpas
            for owner in h.obj.owners
            if owner.kind == SCALED_OBJECT_KIND
        } | {(h.obj.namespace, h.obj.name.removeprefix("keda-hpa-")) for h in self._hpas}
        self._hpas += [
            view
            for view in self.project_all(SCALED_OBJECT_KIND, lambda o: HPAView(o, self._scaled_object_hpa(o)))
            if (view.obj.namespace, view.obj.name) not in keda_made
        ]
        self._vpas: list[VPAView] = self.project_all(
            VPA_KIND, lambda o: VPAView(o, self.projection(autoscaling.VPA, o))
        )
        self._absent_targets: list[AbsentTarget] = []
        self.conflicting_copies = _conflicting_copies(
            self._objects, by_file=bool(self.completeness.generators)
        )
        self._workloads: list[Workload] = self._index_workloads()
        self._workloads_by_namespace: dict[str | None, list[Workload]] = defaultdict(list)
        for workload in self._workloads:
            self._workloads_by_namespace[workload.obj.namespace].append(workload)
        self._network_views = self._network()
        self._derived: dict[tuple[str, int], tuple[object, Any]] = {}

    # ---- what the checks read (read-only: only the inventory's owner changes it) --------------------

    @property
    def objects(self) -> Mapping[Key, Sequence[KubeObject]]:
        """Every object by key: a list of copies when a repository holds one object several times."""
        return self._objects

    @property
    def by_kind(self) -> Mapping[str, Sequence[KubeObject]]:
        """Objects by kind, each kind's in (namespace, name) order."""
        return self._by_kind

    @property
    def workloads(self) -> Sequence[Workload]:
        """Top-owner workloads and bare pods: what workload checks look at."""
        return self._workloads

    @property
    def network(self) -> Network:
        """The Ingress and Gateway API views over these objects."""
        return self._network_views

    @property
    def hpas(self) -> Sequence[HPAView]:
        return self._hpas

    @property
    def vpas(self) -> Sequence[VPAView]:
        return self._vpas

    @property
    def absent_targets(self) -> Sequence[AbsentTarget]:
        return self._absent_targets

    def _network(self) -> Network:
        """The network views over this inventory's objects (the engine's live inventory keeps its own,
        which it updates in place)."""
        return Network(self, load_catalogue())

    # ---- lookups ------------------------------------------------------------------------------

    def get(
        self, kind: str, namespace: str | None, name: str, near: KubeObject | None = None
    ) -> KubeObject | None:
        """The object with this key; among copies, the one whose file is nearest to `near`'s."""
        copies = self._objects.get((kind, namespace, name))
        if not copies:
            return None
        if len(copies) == 1 or near is None:
            return copies[0]
        return max(copies, key=lambda c: shared_prefix(c, near))

    def namespace(self, name: str | None, near: KubeObject | None = None) -> KubeObject | None:
        return None if name is None else self.get("Namespace", None, name, near)

    def workloads_in(self, namespace: str | None) -> list[Workload]:
        return self._workloads_by_namespace.get(namespace, [])

    def knowledge(
        self, kind: str, namespace: str | None, name: str, near: KubeObject | None = None
    ) -> Knowledge:
        """Whether the object is present, known to be absent, or unknown (see `kgov.inventory.scope`)."""
        if self.get(kind, namespace, name, near) is not None:
            return Knowledge.PRESENT
        return Knowledge.ABSENT if self.completeness.complete(kind, namespace) else Knowledge.UNKNOWN

    def kind_knowledge(self, group: str, kind: str) -> Knowledge:
        """Whether a kind of a non-core API group exists: present when a CustomResourceDefinition in the
        scope defines it (the Gateway API's own kinds are known), absent when the scope is complete
        for CustomResourceDefinitions."""
        if group == GATEWAY_GROUP or (group, kind) in self.derived("crd-kinds", self, self._crd_kinds):
            return Knowledge.PRESENT
        complete = self.completeness.complete("CustomResourceDefinition", None)
        return Knowledge.ABSENT if complete else Knowledge.UNKNOWN

    def _crd_kinds(self) -> set[tuple[str, str]]:
        """(group, kind) of every CustomResourceDefinition in the scope, read leniently."""
        found = set()
        for obj in self._by_kind.get("CustomResourceDefinition", ()):
            spec = obj.raw.get("spec")
            names = spec.get("names") if isinstance(spec, dict) else None
            if isinstance(names, dict) and isinstance(spec, dict):
                found.add((str(spec.get("group")), str(names.get("kind"))))
        return found

    def complete(self, kind: str, namespace: str | None) -> bool:
        """Whether the scope holds every object of this kind in this namespace (None: namespace-less
        manifests, or a cluster-scoped kind)."""
        return self.completeness.complete(kind, namespace)

    def derived(self, name: str, subject: object, compute: Callable[[], V]) -> V:
        """`compute()` for `subject`, once per inventory: a value several checks derive from the same
        object (an Ingress's controller annotations, a workload's QoS). The memo holds the subject,
        so its id cannot be reused by another object while the entry exists."""
        key = (name, id(subject))
        entry = self._derived.get(key)
        if entry is None or entry[0] is not subject:
            entry = self._derived[key] = (subject, compute())
        return cast(V, entry[1])

    def in_group(self, prefix: str) -> list[KubeObject]:
        """The objects whose API group starts with `prefix`. A cluster's objects of one kind come from
        one watch or list, of the group the kinds table gives it, so only those kinds are read; files
        may give any kind any apiVersion, so each object is asked."""
        if self.live:
            kinds = [spec.kind for spec in KINDS if spec.group.startswith(prefix)]
            return [obj for kind in kinds for obj in self._by_kind.get(kind, ())]
        return [
            obj for objects in self._by_kind.values() for obj in objects if obj.api_group.startswith(prefix)
        ]

    def memo(self, name: str, subject: object) -> object | None:
        """What `derived` computed (or its owner kept) for `subject`, if anything."""
        entry = self._derived.get((name, id(subject)))
        return entry[1] if entry is not None and entry[0] is subject else None

    def _remember(self, name: str, subject: object, value: object) -> None:
        """A value `derived` hands out for `subject` without computing it: one the inventory's owner
        keeps up to date across in-place updates (the engine's routing models)."""
        self._derived[(name, id(subject))] = (subject, value)

    # ---- building ------------------------------------------------------------------------------

    def _error(self, obj: KubeObject, message: str, path: tuple[str | int, ...]) -> None:
        location = obj.location
        if location is not None and location.template is not None:
            message += f" (rendered from {location.template})"
        self.errors.append(
            InputError(
                location.file if location else "cluster",
                location.line if location else None,
                message,
                path=(*location.prefix, *path) if location else path,
            )
        )

    def projection(
        self,
        model: type[M],
        obj: KubeObject,
        data: Callable[[], Any] | None = None,
        prefix: tuple[str | int, ...] = (),
    ) -> M:
        """`project(model, data())` of the object's raw data (all of it without `data`), reused from the
        projection cache when the inventory has one and the object has not changed."""

        def build() -> M:
            return project(model, obj.raw if data is None else data(), prefix)

        return build() if self._projections is None else self._projections.get(obj, model, build)

    def _hpa(self, obj: KubeObject) -> autoscaling.HPA:
        return self.projection(
            autoscaling.HPA, obj, lambda: autoscaling.normalize_hpa(dict(obj.raw)), ("spec",)
        )

    def _scaled_object_hpa(self, obj: KubeObject) -> autoscaling.HPA:
        """A KEDA ScaledObject as the HPA it makes KEDA create (kgov/model/autoscaling.py)."""

        def data() -> dict[str, Any]:
            return autoscaling.normalize_hpa(autoscaling.hpa_from_scaled_object(dict(obj.raw)))

        return self.projection(autoscaling.HPA, obj, data, ("spec",))

    def project_all(self, kind: str, build: Callable[[KubeObject], V]) -> list[V]:
        views = []
        for obj in self._by_kind.get(kind, ()):
            view = self._guarded(obj, build)
            if view is not None:
                views.append(view)
        return views

    def _guarded(self, obj: KubeObject, build: Callable[[KubeObject], V]) -> V | None:
        try:
            return build(obj)
        except ProjectionError as exc:
            self.unreadable[obj.key] = "; ".join(
                f"{describe_path(p.path)}: {p.message}" for p in exc.problems
            )
            for problem in exc.problems:
                where = describe_path(problem.path)
                self._error(obj, f"{obj.display()}: {where}: {problem.message}", problem.path)
            return None
        except (TypeError, AttributeError, LookupError, ValueError, ArithmeticError, RecursionError) as exc:
            # A shape no projection foresaw: this object is left out and reported, its neighbours stay.
            self.unreadable[obj.key] = f"cannot be read ({type(exc).__name__}: {exc})"
            self._error(obj, f"{obj.display()}: {self.unreadable[obj.key]}", ())
            return None

    def _index_limit_ranges(self) -> dict[str | None, list[tuple[KubeObject, LimitDefaults]]]:
        ranges: dict[str | None, list[tuple[KubeObject, LimitDefaults]]] = defaultdict(list)
        for obj in self._by_kind.get("LimitRange", ()):
            limit_range = self._guarded(obj, lambda o: self.projection(limits.LimitRange, o))
            if limit_range is not None:
                default_limits, default_requests = limit_range.container_defaults()
                ranges[obj.namespace].append((obj, LimitDefaults(default_limits, default_requests)))
        return ranges

    def limit_defaults_for(self, obj: KubeObject) -> LimitDefaults | None:
        """Container defaults the namespace's LimitRanges give `obj`'s pods at admission.

        Manifests without a namespace go wherever they are applied, so a LimitRange without one
        applies only to files in its own folder or below it.
        """
        merged: LimitDefaults | None = None
        for holder, defaults in self.limit_ranges.get(obj.namespace, ()):
            if obj.namespace is None and not in_tree_of(holder, obj):
                continue
            merged = (
                defaults
                if merged is None
                else LimitDefaults(merged.limits | defaults.limits, merged.requests | defaults.requests)
            )
        return merged

    def _index_workloads(self) -> list[Workload]:
        workloads: dict[int, Workload] = {}
        live_pods: list[tuple[KubeObject, LivePod]] = []
        tops: dict[int, KubeObject] = {}
        for kind in sorted(POD_BEARING_KINDS):
            for obj in self._by_kind.get(kind, ()):
                tops[id(obj)] = self._top_owner(obj)
                if self.live and tops[id(obj)] is not obj:
                    # A live object rolls up to its owner, which the checks read, and the API server
                    # admitted its template: only a pod's status is read (most of a cluster's memory).
                    if kind == "Pod":
                        pod = self._guarded(obj, lambda o: self.projection(LivePod, o))
                        if pod is not None:
                            live_pods.append((obj, pod))
                    continue
                workload = self._guarded(obj, self._workload)
                if workload is None:
                    continue
                workloads[id(obj)] = workload
                if kind == "Pod" and self.live:
                    pod = self._guarded(obj, lambda o: self.projection(LivePod, o))
                    if pod is not None:
                        live_pods.append((obj, pod))
        subjects = [w for w in workloads.values() if tops[id(w.obj)] is w.obj]
        by_object = {id(w.obj): w for w in subjects}
        for obj, pod in live_pods:
            top = by_object.get(id(tops[id(obj)]))
            if top is not None:
                top.pods.append(LivePodView(obj, pod))
        absent: dict[TargetKey, AbsentTarget] = {}
        for hpa in self._hpas:
            target = self._resolve_target(hpa.target_key, hpa.obj, by_object)
            if target is not None:
                target.hpas.append(hpa)
            elif self._unknown(hpa.target_key):
                absent.setdefault(hpa.target_key, AbsentTarget(hpa.target_key, [], [])).hpas.append(hpa)
        for vpa in self._vpas:
            key = vpa.target_key
            target = self._resolve_target(key, vpa.obj, by_object) if key else None
            if target is not None:
                target.vpas.append(vpa)
            elif key is not None and self._unknown(key):
                absent.setdefault(key, AbsentTarget(key, [], [])).vpas.append(vpa)
        self._absent_targets = list(absent.values())
        return subjects

    def _unknown(self, key: TargetKey) -> bool:
        namespace, kind, name = key
        return self.get(kind, namespace, name) is None and not self.completeness.complete(kind, namespace)

    def _resolve_target(
        self, key: TargetKey, referrer: KubeObject, by_object: dict[int, Workload]
    ) -> Workload | None:
        namespace, kind, name = key
        obj = self.get(kind, namespace, name, near=referrer)
        return by_object.get(id(obj)) if obj is not None else None

    def _workload(self, obj: KubeObject) -> Workload:
        raw_template, path = pod_template_of(obj)
        problems: list[ObjectError] = []
        spec = WorkloadSpec()
        if obj.kind != "Pod":
            try:
                spec = self.projection(WorkloadSpec, obj, lambda: obj.raw.get("spec") or {}, ("spec",))
            except ProjectionError as exc:
                problems += exc.problems
        try:
            template = self.projection(PodTemplate, obj, lambda: raw_template or {}, path)
        except ProjectionError as exc:
            problems += exc.problems
        if problems:
            raise ProjectionError(problems)
        return Workload(obj, template, spec)

    def _top_owner(self, obj: KubeObject) -> KubeObject:
        """Follow controller ownerReferences as far as the set knows the owners (at most a few hops)."""
        current = obj
        for _ in range(8):
            owner = current.controller_owner()
            found = self.get(owner.kind, current.namespace, owner.name, near=current) if owner else None
            if found is None:
                return current
            current = found
        return current


def _conflicting_copies(objects: dict[Key, list[KubeObject]], by_file: bool) -> list[Copies]:
    """Copies of one object in one folder (one file when a kustomization or another generator in
    scope decides what is applied: patches and variants sit beside their base) whose content differs
    beyond labels and annotations: applied together, the later silently replaces the earlier. Copies
    in different folders are the usual environment overlays, resolved by proximity instead."""
    found = []
    for copies in objects.values():
        if len(copies) < 2:
            continue
        # By place of declaration: a document read as a file and again as a kustomization's output
        # (patched) is one declaration, not two copies.
        groups: dict[str, dict[tuple[str, int | None], KubeObject]] = {}
        for obj in copies:
            if obj.location is not None:
                file = obj.location.file
                where = file if by_file else file.rpartition("/")[0]
                groups.setdefault(where, {})[(file, obj.location.line)] = obj
        for declared in groups.values():
            group = list(declared.values())
            if len(group) > 1 and any(_content(o) != _content(group[0]) for o in group[1:]):
                found.append(Copies(group))
    return found


def _content(obj: KubeObject) -> dict[str, Any]:
    """The document without labels and annotations (chart version labels differ between renders)."""
    metadata = {
        k: v for k, v in (obj.raw.get("metadata") or {}).items() if k not in ("labels", "annotations")
    }
    return {**obj.raw, "metadata": metadata}
