"""The watched objects as the engine holds them: trimmed of what no check reads (managedFields), keyed by
kind/namespace/name, with the owner links needed to roll pods up to their top owner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

from kgov.inventory.templates import pod_template_of
from kgov.inventory.views import Key
from kgov.model.errors import ObjectError, describe_path
from kgov.model.kinds import ANALYSED_KINDS, CHURN_ONLY_KINDS, WORKLOAD_KINDS
from kgov.model.objects import KubeObject, NotAnalysed, object_from_dict

V = TypeVar("V")
_HELD_KINDS = ANALYSED_KINDS | CHURN_ONLY_KINDS
_MAX_OWNER_HOPS = 8


def trimmed(body: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-dict copy of the top level without managedFields (the bulk of most objects)."""
    raw = dict(body)
    metadata = raw.get("metadata")
    if isinstance(metadata, Mapping) and (not isinstance(metadata, dict) or "managedFields" in metadata):
        raw["metadata"] = {k: v for k, v in metadata.items() if k != "managedFields"}
    return raw


class ProjectionCache:
    """Projections of the stored objects, kept across inventories: the engine builds its inventory
    again after some changes, and only the objects that changed are projected again. An entry lives
    as long as its object is current; the store forgets an object when it is replaced or deleted.

    Held by model, then by object id: most objects have one projection (a pod its `LivePod`), so an
    entry is one pair in its model's table rather than a table of its own per object."""

    def __init__(self) -> None:
        self._by_model: dict[type, dict[int, tuple[KubeObject, Any]]] = {}
        # The object forgotten last stays readable until the next is forgotten: an event compares
        # the projections of the version it replaces with the new version's.
        self._forgotten: tuple[KubeObject, dict[type, Any]] | None = None

    def get(self, obj: KubeObject, model: type, build: Callable[[], V]) -> V:
        entries = self._by_model.get(model)
        if entries is None:
            entries = self._by_model[model] = {}
        entry = entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return cast(V, entry[1])
        last = self._forgotten
        if last is not None and last[0] is obj:
            held = last[1].get(model)
            return cast(V, held) if held is not None else build()
        found = build()
        entries[id(obj)] = (obj, found)
        return found

    def models_of(self, obj: KubeObject) -> set[type]:
        """The models `obj` is held projected to."""
        return {model for model, entries in self._by_model.items() if entries.get(id(obj), (None,))[0] is obj}

    def forget(self, obj: KubeObject) -> None:
        held = {}
        for model, entries in self._by_model.items():
            entry = entries.get(id(obj))
            if entry is not None and entry[0] is obj:
                del entries[id(obj)]
                held[model] = entry[1]
        self._forgotten = (obj, held)


class ObjectStore:
    def __init__(self) -> None:
        self._objects: dict[Key, KubeObject] = {}
        # Each owner's children as the keys of a dict: half the size of a set of them.
        self._children: dict[Key, dict[Key, None]] = defaultdict(dict)
        self.projections = ProjectionCache()
        self.errors: dict[Key, str] = {}  # objects that could not be stored → why

    def apply(
        self, event_type: str | None, body: Mapping[str, Any]
    ) -> tuple[KubeObject | None, KubeObject | None] | None:
        """Store the event; (old, new) when it changed something, None when it changed nothing."""
        kind = body.get("kind")
        if kind not in _HELD_KINDS:
            return None
        if event_type == "DELETED":
            # By key: a delete found by a re-list carries only the object's name.
            metadata = body.get("metadata") or {}
            key = (str(kind), metadata.get("namespace") or None, str(metadata.get("name")))
            self.errors.pop(key, None)
            gone = self._objects.get(key)
            if gone is None:
                return None
            self._remove(gone)
            return gone, None
        try:
            obj = object_from_dict(trimmed(body))
        except (ObjectError, NotAnalysed) as exc:
            # Left out (a version read before stays): reported until it is fixed or deleted.
            metadata = body.get("metadata") or {}
            metadata = metadata if isinstance(metadata, Mapping) else {}
            key = (str(kind), metadata.get("namespace") or None, str(metadata.get("name")))
            where = describe_path(exc.path) if isinstance(exc, ObjectError) and exc.path else ""
            self.errors[key] = f"{where}: {exc}" if where else str(exc) or type(exc).__name__
            return None
        self.errors.pop(obj.key, None)
        old = self._objects.get(obj.key)
        if old is not None and old.raw == obj.raw:
            return None
        if old is not None:
            self._remove(old)
        self._add(obj)
        return old, obj

    def _add(self, obj: KubeObject) -> None:
        self._objects[obj.key] = obj
        owner = obj.controller_owner()
        if owner is not None:
            self._children[(owner.kind, obj.namespace, owner.name)][obj.key] = None

    def _remove(self, obj: KubeObject) -> None:
        del self._objects[obj.key]
        self.projections.forget(obj)
        owner = obj.controller_owner()
        if owner is not None:
            children = self._children.get((owner.kind, obj.namespace, owner.name))
            if children is not None:
                children.pop(obj.key, None)
                if not children:
                    del self._children[(owner.kind, obj.namespace, owner.name)]

    # ---- lookups ----------------------------------------------------------------------------------

    def objects(self) -> Iterator[KubeObject]:
        """In key order, so evidence listing several objects (pods, say) reads the same whatever order
        the events came in, and a restart does not rewrite Findings. Sorted when asked (a rebuild of
        the inventory), not kept sorted: inserting into a sorted list of every key made the initial
        listing quadratic."""
        for key in sorted(self._objects, key=_sortable):
            if key[0] not in CHURN_ONLY_KINDS:
                yield self._objects[key]

    def get(self, key: Key) -> KubeObject | None:
        return self._objects.get(key)

    def __len__(self) -> int:
        return len(self._objects)

    def top_owner(self, obj: KubeObject) -> KubeObject:
        current = obj
        for _ in range(_MAX_OWNER_HOPS):
            owner = current.controller_owner()
            found = self._objects.get((owner.kind, current.namespace, owner.name)) if owner else None
            if found is None:
                return current
            current = found
        return current

    def descendants(self, key: Key) -> set[Key]:
        found: set[Key] = set()
        frontier = [key]
        for _ in range(_MAX_OWNER_HOPS):
            frontier = [c for k in frontier for c in self._children.get(k, ()) if c not in found]
            if not frontier:
                break
            found.update(frontier)
        return found

    @staticmethod
    def is_workload(kind: str) -> bool:
        return kind in WORKLOAD_KINDS

    def autoscaler_target(self, obj: KubeObject) -> KubeObject | None:
        spec = obj.raw.get("spec")
        if not isinstance(spec, Mapping):
            return None
        ref = spec.get("scaleTargetRef") or spec.get("targetRef")
        if not isinstance(ref, Mapping):
            return None
        return self._objects.get((str(ref.get("kind")), obj.namespace, str(ref.get("name"))))

    @staticmethod
    def template_labels(obj: KubeObject) -> Mapping[str, str]:
        template, _ = pod_template_of(obj)
        metadata = template.get("metadata") if isinstance(template, Mapping) else None
        labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
        return labels if isinstance(labels, Mapping) else {}


def _sortable(key: Key) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2])
