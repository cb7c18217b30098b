"""Checks on the scope itself: what the input defines, before any object is analysed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from kgov.checks.params import NoParams
from kgov.checks.registry import CheckContext, CheckFunction, Issue
from kgov.inventory import Copies
from kgov.model.evidence import EvidenceSource


def conflicting_copies(subject: Copies, context: CheckContext[NoParams]) -> Iterator[Issue]:
    first, last = subject.copies[0], subject.obj
    differing = sorted(_differing(first.raw, last.raw))
    where = [str(c.location) for c in subject.copies if c.location is not None]
    yield Issue(
        f"{last.display()} is defined {len(subject.copies)} times in one folder with different "
        f"content ({', '.join(differing[:3]) or 'the documents'} differ): applied together, the last "
        f"copy ({where[-1]}) silently replaces the others",
        {"copies": where, "differingFields": differing, "source": EvidenceSource.SPEC},
    )


def _differing(a: Any, b: Any, path: str = "") -> set[str]:
    """Top-level field paths (two levels deep) whose values differ between two documents."""
    if not isinstance(a, dict) or not isinstance(b, dict) or path.count(".") >= 1:
        return {path or "(document)"} if a != b else set()
    found: set[str] = set()
    for key in a.keys() | b.keys():
        if a.get(key) != b.get(key):
            found |= _differing(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
    return found


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "scope.conflicting-copies": conflicting_copies,
}
