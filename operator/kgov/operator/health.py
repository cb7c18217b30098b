"""Which watch streams are alive: kopf runs one task per watched resource, named after it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from kgov.operator.kinds import WatchedKind

WATCHER_TASK_PREFIX = "watcher for "


def not_watched(kinds: Iterable[WatchedKind]) -> list[str]:
    """The required kinds (not optional) that have no running kopf watch task."""
    names = [
        t.get_name()[len(WATCHER_TASK_PREFIX) :]
        for t in asyncio.all_tasks()
        if t.get_name().startswith(WATCHER_TASK_PREFIX) and not t.done()
    ]
    return sorted(k.resource for k in kinds if not k.optional and not any(_names(k, n) for n in names))


def _names(kind: WatchedKind, task: str) -> bool:
    # kopf's resource names read "plural.version.group@namespace": "pods.v1@None",
    # "deployments.v1.apps@None".
    resource = task.split("@", 1)[0]
    plural, _, rest = resource.partition(".")
    version, _, group = rest.partition(".")
    return plural == kind.plural and group == kind.group and bool(version)
