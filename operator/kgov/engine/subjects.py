"""Where each subject is in its kind's enumeration, by namespace and by object key, kept between
evaluations: picking the subjects of the few namespaces and objects a batch of events touched costs
what those hold, not a walk of every subject of the cluster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kgov.checks.registry import Reach, Subject
from kgov.engine.live import LiveInventory
from kgov.inventory.views import Key


@dataclass(slots=True)
class Positions:
    """Where one kind's subjects are in its enumeration."""

    by_namespace: dict[str | None, list[int]] = field(default_factory=dict)
    by_key: dict[Key, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Held:
    shape: object
    count: int
    kind_shapes: dict[str, object | None]  # of the kinds of the subjects' objects, when indexed
    positions: Positions

    def stands(self, inventory: LiveInventory, count: int) -> bool:
        return (
            self.shape is inventory.shape
            and self.count == count
            and all(inventory.kind_shape(kind) is shape for kind, shape in self.kind_shapes.items())
        )


class SubjectIndex:
    """`Positions` for each subject kind, for one `LiveInventory.shape` and the `kind_shape` of each
    kind of object its subjects hold: while those stand every subject keeps its place (a new version
    takes the old one's), so the positions hold; a new shape, or an enumeration of another length,
    indexes the kind again. An object of a kind no subject holds comes or goes without moving any.

    Kinds of `Reach.NETWORK` are indexed afresh each time: they are few, and which there are follows
    what they serve (a controller appears with the first Ingress of its class), which in-place
    updates change without a new shape."""

    def __init__(self) -> None:
        self._held: dict[Subject[Any], _Held] = {}

    def positions(self, inventory: LiveInventory, kind: Subject[Any], subjects: Sequence[Any]) -> Positions:
        held = self._held.get(kind)
        if held is not None and held.stands(inventory, len(subjects)):
            return held.positions
        positions = Positions()
        kinds: dict[str, object | None] = {}
        for position, subject in enumerate(subjects):
            obj = subject.obj
            positions.by_namespace.setdefault(obj.namespace, []).append(position)
            positions.by_key.setdefault(obj.key, []).append(position)
            if obj.kind not in kinds:
                kinds[obj.kind] = inventory.kind_shape(obj.kind)
        if kind.reach is not Reach.NETWORK:
            self._held[kind] = _Held(inventory.shape, len(subjects), kinds, positions)
        return positions
