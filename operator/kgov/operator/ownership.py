"""Findings whose target was deleted are the garbage collector's to remove, not the operator's.

Every Finding carries an ownerReference to its target, so when the target goes the garbage
collector deletes the Finding; the operator deleting it too would only race the collector. The
engine plans a delete either way (the finding no longer holds); the writer asks here first and
skips deletes of Findings whose every owner was seen deleted on the watch.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from kgov.findings.diff import ObjectKey, key_of

# A deleted owner is remembered this long: well past the evaluation that plans the delete.
REMEMBER_SECONDS = 600.0


class OwnedFindings:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._owners: dict[ObjectKey, frozenset[str]] = {}
        self._owned = Counter[str]()  # owner uid → Findings it owns
        self._gone: dict[str, float] = {}  # owner uid → when it was seen deleted
        self._clock = clock

    def finding_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        key = key_of(body)
        self._drop(key)
        if event_type != "DELETED":
            refs = (body.get("metadata") or {}).get("ownerReferences") or []
            uids = frozenset(str(ref["uid"]) for ref in refs if ref.get("uid"))
            if uids:
                self._owners[key] = uids
                self._owned.update(uids)

    def object_deleted(self, uid: str | None) -> None:
        if uid and self._owned[uid] > 0:
            self._gone[uid] = self._clock()

    def left_to_gc(self, key: ObjectKey) -> bool:
        self._expire()
        uids = self._owners.get(key)
        return bool(uids) and all(uid in self._gone for uid in uids or ())

    def _drop(self, key: ObjectKey) -> None:
        for uid in self._owners.pop(key, frozenset()):
            self._owned[uid] -= 1
            if self._owned[uid] <= 0:
                del self._owned[uid]
                self._gone.pop(uid, None)

    def _expire(self) -> None:
        limit = self._clock() - REMEMBER_SECONDS
        for uid in [uid for uid, at in self._gone.items() if at < limit]:
            del self._gone[uid]
