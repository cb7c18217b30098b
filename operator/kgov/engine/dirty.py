"""What an evaluation must redo: the subjects a batch of watch events touched, as keys, namespaces and
scopes, asked the same question for a subject about to be checked and for a finding already held."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kgov.checks.registry import Reach, Subject
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

    def covers(self, kind: Subject[Any], key: Key) -> bool:
        """Whether a subject of this kind with this object key is re-evaluated (and so whether the
        findings a check of this kind holds on that target are replaced)."""
        if self.everything or key in self.keys:
            return True
        namespace = key[1]
        if namespace in self.namespaces:
            return True
        if kind.reach is Reach.NETWORK:
            return self.network_touched or self.all_network
        if kind.reach is Reach.NAMESPACE_NETWORK:
            return self.all_network or namespace in self.network_namespaces
        return False

    def reruns(self, check: str, kind: Subject[Any], key: Key) -> bool:
        """`covers`, or the whole check is re-run."""
        return check in self.checks or self.covers(kind, key)

    def network(self, namespace: str | None) -> None:
        self.network_touched = True
        self.network_namespaces.add(namespace)
        if namespace is not None:
            self.keys.add(("Namespace", None, namespace))  # its IngressSet
