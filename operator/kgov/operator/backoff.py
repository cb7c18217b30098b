"""The operator's one retry policy, and the per-object schedule of failing writes.

Every request is retried by exactly one layer, with a `Backoff`: the HTTP client makes one attempt
and reports what the API server answered (with its `Retry-After`); an informer retries its list and
watch, the watch supervisor its discovery, and the writer each object whose write failed (`Holds`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Jittered doubling from `first` up to `cap`; never sooner than the server's Retry-After, and
    never longer than `cap`, the server's Retry-After included."""

    first: float
    cap: float

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """The wait after the `failures`-th failure in a row (1: the first)."""
        base = min(self.first * 2.0 ** min(max(failures - 1, 0), 64), self.cap)
        jittered = base * (0.5 + random.random() / 2)  # many retries must not come back in step
        return min(max(jittered, retry_after or 0.0), self.cap)


@dataclass(slots=True)
class _Hold:
    failures: int
    until: float


class Holds(Generic[K]):
    """Objects whose last write failed, each held back until its own backoff ends.

    A failure holds the object for `policy.delay(failures in a row)`; a success forgets it, so its
    next failure starts from the first step again. A hold whose wait ended and whose object was not
    held again by the plan made then is forgotten too (`settle`): the evaluator never wakes for a
    hold that is over."""

    def __init__(self, policy: Backoff, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._holds: dict[K, _Hold] = {}

    def __len__(self) -> int:
        return len(self._holds)

    def failed(self, key: K, retry_after: float | None = None) -> float:
        """Hold `key` after one more failure; how long it is held."""
        hold = self._holds.get(key)
        failures = 1 if hold is None else hold.failures + 1
        delay = self.policy.delay(failures, retry_after)
        self._holds[key] = _Hold(failures, self._clock() + delay)
        return delay

    def release(self, key: K) -> None:
        """Its write succeeded (or will not be tried again as it is): the next failure starts afresh."""
        self._holds.pop(key, None)

    def held(self) -> frozenset[K]:
        """The objects not to be written now."""
        now = self._clock()
        return frozenset(key for key, hold in self._holds.items() if hold.until > now)

    def failures(self, key: K) -> int:
        hold = self._holds.get(key)
        return 0 if hold is None else hold.failures

    def next_due(self) -> float | None:
        """When the first hold ends (the clock's time), None when nothing is held."""
        return min((hold.until for hold in self._holds.values()), default=None)

    def settle(self, held: Collection[K]) -> None:
        """After a plan made while `held` were held back was carried out: every other hold whose
        wait has ended is over (its object was tried and failed again, which holds it anew, or
        succeeded, or needed no write any more). Those in `held` whose wait ended meanwhile stay,
        so the next evaluation tries them."""
        now = self._clock()
        for key in [k for k, hold in self._holds.items() if hold.until <= now and k not in held]:
            del self._holds[key]
