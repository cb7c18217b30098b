"""HPA scale history from the watch stream: each change of `status.desiredReplicas`, kept for a sliding
window, for `autoscaling.scaling-oscillation`."""

from __future__ import annotations

from collections import deque

from kgov.model.facts import HPAKey, ScaleEvents

MAX_EVENTS_PER_HPA = 1000  # an HPA cannot act more often than every 15 s: far more than an hour holds


class ScaleHistory:
    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._events: dict[HPAKey, deque[tuple[float, int]]] = {}

    def record(self, key: HPAKey, at: float, replicas: int) -> None:
        self._events.setdefault(key, deque(maxlen=MAX_EVENTS_PER_HPA)).append((at, replicas))

    def forget(self, key: HPAKey) -> None:
        self._events.pop(key, None)

    def snapshot(self, now: float) -> dict[HPAKey, ScaleEvents]:
        found = {}
        for key in list(self._events):
            events = self._events[key]
            while events and events[0][0] < now - self.window:
                events.popleft()
            if events:
                found[key] = tuple(events)
            else:
                del self._events[key]
        return found
