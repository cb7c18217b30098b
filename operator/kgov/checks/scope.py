"""Checks on the scope itself: what the input defines, before any object is analysed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kgov.checks.registry import Check, CheckContext, Issue, NoParams, SubjectKind
from kgov.findings.model import Category, Severity
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


CHECKS = (
    Check(
        id="scope.conflicting-copies",
        title="One object defined twice with different content",
        category=Category.RESOURCES,
        severity=Severity.MEDIUM,
        subject=SubjectKind.COPIES,
        condition="The same object (kind, namespace, name) is defined more than once in one folder (or "
        "one file, or stdin) with content that differs beyond labels and annotations: `kubectl apply "
        "-f` of that folder keeps the last copy only. Copies in different folders (environment "
        "overlays) are not flagged: a reference resolves to the nearest copy. When a kustomization or "
        "another generator is in scope, only copies in one file count (patches and variants sit beside "
        "their base).",
        remediation="Keep one definition, or move the variants into separate overlay folders.",
        fn=conflicting_copies,
        params=NoParams,
    ),
)
