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


class SubjectIndex:
    """`Positions` for each subject kind, for one `LiveInventory.shape`: while the shape stands every
    subject keeps its place (a new version takes the old one's), so the positions hold; a new shape,
    or an enumeration of another length, indexes the kind again.

    Kinds of `Reach.NETWORK` are indexed afresh each time: they are few, and which there are follows
    what they serve (a controller appears with the first Ingress of its class), which in-place
    updates change without a new shape."""

    def __init__(self) -> None:
        self._held: dict[Subject[Any], tuple[object, int, Positions]] = {}

    def positions(self, inventory: LiveInventory, kind: Subject[Any], subjects: Sequence[Any]) -> Positions:
        shape = inventory.shape
        held = self._held.get(kind)
        if held is not None and held[0] is shape and held[1] == len(subjects):
            return held[2]
        positions = Positions()
        for position, subject in enumerate(subjects):
            obj = subject.obj
            positions.by_namespace.setdefault(obj.namespace, []).append(position)
            positions.by_key.setdefault(obj.key, []).append(position)
        if kind.reach is not Reach.NETWORK:
            self._held[kind] = (shape, len(subjects), positions)
        return positions
