"""What an evaluation must redo: the subjects a batch of watch events touched, as keys, namespaces and
scopes, asked the same question for a subject about to be checked and for a finding already held."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kgov.checks.registry import CheckSpec, Reach
from kgov.engine.subjects import Positions
from kgov.inventory.views import Key


@dataclass(slots=True)
class Dirty:
    everything: bool = True
    keys: set[Key] = field(default_factory=set)  # subjects (and findings' targets) by object key
    namespaces: set[str | None] = field(default_factory=set)  # every subject in these namespaces
    network_namespaces: set[str | None] = field(default_factory=set)
    network_touched: bool = False  # Reach.NETWORK subjects
    all_network: bool = False  # every NETWORK and NAMESPACE_NETWORK subject
    checks: set[str] = field(default_factory=set)  # checks re-run on every subject (new evidence)

    def __bool__(self) -> bool:
        return bool(
            self.everything
            or self.keys
            or self.namespaces
            or self.network_namespaces
            or self.network_touched
            or self.all_network
            or self.checks
        )

    def covers(self, reach: Reach, key: Key) -> bool:
        """Whether a subject with this object key, read by a check of this reach, is re-evaluated (and
        so whether the findings that check holds on that target are replaced)."""
        if self.everything or key in self.keys:
            return True
        namespace = key[1]
        if namespace in self.namespaces:
            return True
        if reach is Reach.NETWORK:
            return self.network_touched or self.all_network
        if reach is Reach.NAMESPACE_NETWORK:
            return self.all_network or namespace in self.network_namespaces
        return False

    def reruns(self, check: CheckSpec, key: Key) -> bool:
        """`covers`, or the whole check is re-run."""
        return check.id in self.checks or self.covers(check.reach, key)

    def covers_all(self, reach: Reach) -> bool:
        """Whether every subject read by a check of this reach is re-evaluated."""
        if self.everything:
            return True
        if reach is Reach.NETWORK:
            return self.network_touched or self.all_network
        return reach is Reach.NAMESPACE_NETWORK and self.all_network

    def pick(self, reach: Reach, subjects: Sequence[Any], positions: Positions) -> Sequence[Any]:
        """The subjects `covers` accepts for this reach, in their order: those of the touched
        namespaces and the marked keys, found where `positions` says they are in `subjects`."""
        if self.covers_all(reach):
            return subjects
        namespaces = self.namespaces
        if reach is Reach.NAMESPACE_NETWORK:
            namespaces = namespaces | self.network_namespaces
        by_namespace, by_key = positions.by_namespace, positions.by_key
        found = {i for namespace in namespaces for i in by_namespace.get(namespace, ())}
        found.update(i for key in by_key.keys() & self.keys for i in by_key[key])
        return [subjects[i] for i in sorted(found)]

    def network(self, namespace: str | None) -> None:
        self.network_touched = True
        self.network_namespaces.add(namespace)
        if namespace is not None:
            self.keys.add(("Namespace", None, namespace))  # its IngressSet
