"""Whether this replica is the active one of its peering, read from the peering object's status.

kopf pauses its watches when a peer of higher (or equal) priority is alive, but the operator's own
tasks (the evaluator's resync, the evidence collector) would go on and write from a state that is no
longer fed. They ask `is_active` first, which applies kopf's rule to the entries kopf writes:
`{identity: {priority, lastseen, lifetime}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

PEERING_PATH = "/apis/kopf.dev/v1/clusterkopfpeerings/{name}"


def is_active(status: Mapping[str, Any], priority: int, now: datetime) -> bool:
    """No other live peer has a priority at or above ours. Our own entry carries our priority too, so
    a second live entry with it means a peer of equal priority (both pause, as kopf does)."""
    equal = 0
    for entry in status.values():
        if not isinstance(entry, Mapping) or not _alive(entry, now):
            continue
        theirs = entry.get("priority", 0)
        if not isinstance(theirs, int):
            continue
        if theirs > priority:
            return False
        equal += theirs == priority
    return equal <= 1


def _alive(entry: Mapping[str, Any], now: datetime) -> bool:
    try:
        seen = datetime.fromisoformat(str(entry["lastseen"]))
        lifetime = float(entry.get("lifetime", 60))
    except (KeyError, TypeError, ValueError):
        return True  # unreadable: assume alive, as pausing is the safe side
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=UTC)
    return seen + timedelta(seconds=lifetime) >= now


def announced(status: Mapping[str, Any], priority: int) -> bool:
    """Our own entry is on the peering object (kopf writes it at start): before that, what the
    object says is not yet the answer to whether a peer outranks us."""
    return any(isinstance(e, Mapping) and e.get("priority") == priority for e in status.values())
