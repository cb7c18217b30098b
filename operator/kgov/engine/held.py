"""The findings the engine wants to exist, indexed so that an evaluation finds those it may replace, and
the report its counts, without a walk over every finding held (at 150,000 pods, tens of thousands)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from kgov.findings.diff import ObjectKey
from kgov.findings.model import Finding

Entry = tuple[Finding, dict[str, Any]]  # the finding and its body


class HeldFindings:
    def __init__(self) -> None:
        self._items: dict[ObjectKey, Entry] = {}
        self._by_check: dict[str, set[ObjectKey]] = {}
        self._by_namespace: dict[str | None, set[ObjectKey]] = {}  # by the target's namespace
        self.severities: Counter[str] = Counter()
        self.checks: Counter[str] = Counter()
        self.changed: set[ObjectKey] = set()  # keys put or popped since the caller last cleared it

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __getitem__(self, key: ObjectKey) -> Entry:
        return self._items[key]

    def __iter__(self) -> Iterator[ObjectKey]:
        return iter(self._items)

    def put(self, key: ObjectKey, entry: Entry) -> None:
        self.pop(key)
        finding = entry[0]
        self._items[key] = entry
        self._by_check.setdefault(finding.check, set()).add(key)
        self._by_namespace.setdefault(finding.target.key[1], set()).add(key)
        self.severities[finding.severity.value] += 1
        self.checks[finding.check] += 1
        self.changed.add(key)

    def pop(self, key: ObjectKey) -> Entry | None:
        entry = self._items.pop(key, None)
        if entry is None:
            return None
        finding = entry[0]
        _discard(self._by_check, finding.check, key)
        _discard(self._by_namespace, finding.target.key[1], key)
        _decrement(self.severities, finding.severity.value)
        _decrement(self.checks, finding.check)
        self.changed.add(key)
        return entry

    def candidates(self, checks: Iterable[str], namespaces: Iterable[str | None]) -> set[ObjectKey]:
        """The findings of these checks, and those whose target is in these namespaces."""
        found: set[ObjectKey] = set()
        for check in checks:
            found |= self._by_check.get(check, set())
        for namespace in namespaces:
            found |= self._by_namespace.get(namespace, set())
        return found


def _discard(index: dict[Any, set[ObjectKey]], at: Any, key: ObjectKey) -> None:
    held = index.get(at)
    if held is not None:
        held.discard(key)
        if not held:
            del index[at]


def _decrement(counter: Counter[str], value: str) -> None:
    counter[value] -= 1
    if counter[value] <= 0:
        del counter[value]
