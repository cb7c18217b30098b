"""What the engine could not decide, kept until it is decided again: objects left out (the store could
not take them, or the inventory could not read them) and checks that raised on one subject.

Each is logged and counted once by the operator and listed in the GovernanceReport; the Findings on
such an object, or of such a (check, subject) pair, are never deleted for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kgov.inventory.views import Key

OBJECT = "object"  # an object left out of the evaluation
CHECK = "check"  # a check that raised on one subject


@dataclass(frozen=True, slots=True)
class Failure:
    type: str  # OBJECT or CHECK (the `kind` label of kgov_evaluation_failures_total)
    kind: str
    namespace: str | None
    name: str
    check: str  # "" for an object left out
    reason: str

    def __str__(self) -> str:
        where = f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"
        if self.type == CHECK:
            return f"check {self.check} failed on {where}: {self.reason}"
        return f"{where} left out of the evaluation: {self.reason}"


def collect(
    dropped: Mapping[Key, str],
    unreadable: Mapping[Key, str],
    checks: Mapping[tuple[str, Key], str],
) -> list[Failure]:
    """Every current failure, in a stable order (the report is not rewritten for a reordering)."""
    found = {Failure(OBJECT, *key, "", why) for key, why in (*dropped.items(), *unreadable.items())}
    found |= {Failure(CHECK, *key, check, why) for (check, key), why in checks.items()}
    return sorted(found, key=lambda f: (f.type, f.kind, f.namespace or "", f.name, f.check, f.reason))


def undecided(spec: Mapping[str, Any], left_out: set[Key], checks: Mapping[tuple[str, Key], str]) -> bool:
    """A Finding (its spec, as the API server holds it) whose check raised on its target, or whose
    target or a related object was left out: nothing decided it, so it is not deleted."""
    target = spec.get("target")
    if not isinstance(target, Mapping):
        return False
    related = [_key(ref) for ref in spec.get("related") or () if isinstance(ref, Mapping)]
    return (str(spec.get("check")), _key(target)) in checks or any(
        key in left_out for key in (_key(target), *related)
    )


def _key(ref: Mapping[str, Any]) -> Key:
    return (str(ref.get("kind")), ref.get("namespace") or None, str(ref.get("name")))
