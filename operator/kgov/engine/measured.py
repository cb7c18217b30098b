"""Prometheus evidence as the engine holds it between collections.

A failed collection (or one failed query) does not make measured Findings vanish: the last good result
of each signal keeps deciding its checks for `max_age` seconds, while the GovernanceReport and
`kgov_evidence_up` say at once that the source is failing. Past that age the checks report "evidence
unavailable" and their measured Findings go.

A measured value moves a little with every collection; a Finding is rewritten only when its evidence
moved materially (see `close`), so a container that stays throttled is not patched every minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kgov.model.evidence import Evidence, EvidenceHealth, Signal, SignalResult
from kgov.model.quantity import QuantityError, parse_quantity

# Relative change of a measured number below which a held Finding is kept as it is.
TOLERANCE = 0.1
# Evidence keys that move with every collection without changing what the Finding says (messages
# embedded in evidence are written from numbers compared anyway).
VOLATILE_KEYS = frozenset({"samples", "timeline", "query", "message"})


@dataclass(slots=True)
class KeptEvidence:
    max_age_s: float
    _good: dict[Signal, tuple[SignalResult, float]] = field(default_factory=dict)

    def update(self, evidence: Evidence, now: float) -> Evidence:
        """The evidence the checks read: `evidence`, with every signal that failed (or all of them, when
        the source is unreachable) replaced by its last good result of at most `max_age_s` ago."""
        reachable = evidence.health.reachable
        if reachable:
            for signal, result in evidence.signals.items():
                if result.error is None:
                    self._good[signal] = (result, now)
        self._good = {s: kept for s, kept in self._good.items() if now - kept[1] <= self.max_age_s}
        if reachable and not evidence.health.failures:
            return evidence
        if not self._good:
            return evidence  # nothing to fall back on: the checks say why they cannot decide
        why = evidence.health.last_error or "no answer"
        signals = dict(evidence.signals) if reachable else {}
        for signal, (result, _) in self._good.items():
            if signal not in signals or signals[signal].error is not None:
                signals[signal] = result
        if not reachable:
            for signal in set(Signal) - set(signals):
                signals[signal] = SignalResult(
                    query="", window=evidence.window, error=f"Prometheus unreachable ({why})"
                )
        failures = {s.value: r.error for s, r in signals.items() if r.error is not None}
        health = EvidenceHealth(last_error=why, failures=failures)
        return evidence.model_copy(update={"signals": signals, "health": health})

    def clear(self) -> None:
        self._good.clear()


def same_measurements(a: Evidence | None, b: Evidence | None) -> bool:
    """Whether checks reading `b` can decide anything differently from checks reading `a`."""
    if a is None or b is None:
        return a is b
    return (a.signals, a.window, a.min_samples, a.health.reachable) == (
        b.signals,
        b.window,
        b.min_samples,
        b.health.reachable,
    )


def close(old: Any, new: Any) -> bool:
    """Evidence that says the same up to small moves of measured numbers (`TOLERANCE`, relative)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = (old.keys() | new.keys()) - VOLATILE_KEYS
        return all(k in old and k in new and close(old[k], new[k]) for k in keys)
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(close(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, bool) or isinstance(new, bool):
        return bool(old == new)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return math.isclose(float(old), float(new), rel_tol=TOLERANCE, abs_tol=1e-9)
    if isinstance(old, str) and isinstance(new, str) and old != new:
        return _close_quantities(old, new)
    return bool(old == new)


def _close_quantities(old: str, new: str) -> bool:
    """Quantities such as "490Mi" and "505Mi" (measured bytes, cores) compare as numbers."""
    if not (old[:1].isdigit() and new[:1].isdigit()):
        return False
    try:
        a, b = parse_quantity(old), parse_quantity(new)
    except (QuantityError, ArithmeticError):
        return False
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=1e-9)
