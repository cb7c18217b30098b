"""Knowing when the initial listings have reached the engine, so the first evaluation sees it all.

kopf runs every index handler of the initial listings (of every watched kind) before it lets any
event handler run. So: each object indexed before the first event handler call is *pending*; the
first event handler call means the listings are complete; the initial state has reached the engine
when every pending object's event handler has run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable


class InitialSync:
    def __init__(self) -> None:
        self._pending: set[Hashable] = set()
        self._released = False
        self.done = asyncio.Event()

    @property
    def released(self) -> bool:
        return self._released

    @property
    def pending(self) -> int:
        return len(self._pending)

    def indexed(self, key: Hashable) -> None:
        if not self._released:
            self._pending.add(key)

    def delivered(self, key: Hashable) -> None:
        self._released = True
        self._pending.discard(key)
        if not self._pending:
            self.done.set()

    def nothing_listed(self) -> bool:
        """No object was indexed and no event delivered: an empty (or unreadable) cluster."""
        return not self._released and not self._pending
