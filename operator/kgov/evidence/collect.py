"""Measure the signals the selected checks need, for the subjects of one inventory, into `Evidence`.

A plain synchronous function: the operator calls it with `asyncio.to_thread`, the CLI directly.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from kgov.config import PrometheusSettings
from kgov.evidence.client import Prometheus, QueryFailed, SourceDown, window_start
from kgov.evidence.queries import Batch, SignalTemplate, batches, load_templates, render
from kgov.inventory import Inventory
from kgov.model.evidence import Evidence, EvidenceHealth, Series, Signal, SignalResult

# Which signals each Prometheus-backed check reads.
CHECK_SIGNALS: dict[str, tuple[Signal, ...]] = {
    "qos.cpu-throttled": (Signal.CPU_THROTTLING,),
    "qos.memory-near-limit": (Signal.MEMORY_WORKING_SET,),
    "qos.oom-killed": (Signal.OOM_EVENTS,),
    "autoscaling.hpa-on-starved-pods": (Signal.OOM_EVENTS, Signal.CPU_THROTTLING),
    "autoscaling.scaling-oscillation": (Signal.HPA_DESIRED_REPLICAS,),
    "ingress.reload-churn": (Signal.RELOADS,),
    "ingress.reload-failing": (Signal.RELOAD_FAILURES,),
}

TIMELINE_POINTS = 20  # changes kept in an HPA's timeline evidence


def signals_for(check_ids: Collection[str]) -> set[Signal]:
    return {signal for check in check_ids for signal in CHECK_SIGNALS.get(check, ())}


def collect_evidence(
    inventory: Inventory,
    settings: PrometheusSettings,
    signals: Collection[Signal],
    at: datetime | None = None,
) -> Evidence:
    """Query Prometheus for `signals` at `at` (default now). Never raises for a failing source: the
    returned `Evidence` says what failed, and the checks report "evidence unavailable"."""
    at = at or datetime.now(UTC)

    def evidence(health: EvidenceHealth, results: dict[Signal, SignalResult] | None = None) -> Evidence:
        return Evidence(
            window=settings.window,
            min_samples=settings.min_samples,
            evaluated_at=at,
            health=health,
            signals=results or {},
        )

    try:
        client = Prometheus(settings)
    except SourceDown as exc:
        return evidence(EvidenceHealth(reachable=False, last_error=str(exc)))
    results: dict[Signal, SignalResult] = {}
    failures: dict[str, str] = {}
    try:
        for signal in sorted(signals):
            template = load_templates().signals[signal]
            try:
                results[signal] = _measure(client, settings, template, _batches(inventory, template), at)
            except QueryFailed as exc:
                failures[signal.value] = str(exc)
                results[signal] = SignalResult(query="", window=settings.window, error=str(exc))
    except SourceDown as exc:
        return evidence(EvidenceHealth(reachable=False, last_error=str(exc)))
    finally:
        client.close()
    last_error = next(iter(failures.values()), None)
    return evidence(EvidenceHealth(last_error=last_error, failures=failures), results)


def _batches(inventory: Inventory, template: SignalTemplate) -> Iterator[Batch]:
    limits = load_templates().limits
    names: dict[str, list[str]] = defaultdict(list)
    if template.batch == "pods":
        for workload in inventory.workloads:
            for pod in workload.pods:
                if pod.obj.namespace:
                    names[pod.obj.namespace].append(pod.obj.name)
    elif template.batch == "hpas":
        for hpa in inventory.hpas:
            if hpa.obj.namespace:
                names[hpa.obj.namespace].append(hpa.obj.name)
    else:
        yield Batch()
        return
    yield from batches(names, limits)


def _measure(
    client: Prometheus,
    settings: PrometheusSettings,
    template: SignalTemplate,
    subject_batches: Iterator[Batch],
    at: datetime,
) -> SignalResult:
    series: list[Series] = []
    first_query = ""
    for batch in subject_batches:
        queries = render(settings, template, batch)
        first_query = first_query or queries.value
        samples = _by_key(client.instant(queries.samples, at), template.keys)
        if template.range:
            values = _range_values(client, settings, template, queries.value, at)
        else:
            values = {
                k: (v, {}) for k, v in _by_key(client.instant(queries.value, at), template.keys).items()
            }
        details = {name: _by_key(client.instant(q, at), template.keys) for name, q in queries.details.items()}
        for key, (value, extra) in sorted(values.items()):
            joined = {name: found[key] for name, found in details.items() if key in found}
            series.append(
                Series(
                    labels=dict(zip(template.keys, key, strict=True)),
                    value=value,
                    samples=int(samples.get(key, 0)),
                    details={**joined, **extra},
                )
            )
    if not first_query:  # no subjects: show the query form with no batch matchers
        first_query = render(settings, template, Batch()).value
    return SignalResult(query=first_query, window=settings.window, series=series)


def _by_key(result: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple[str, ...], float]:
    values = {}
    for item in result:
        metric = item.get("metric") or {}
        number = _number(item.get("value"))
        if number is not None:
            values[tuple(str(metric.get(k, "")) for k in keys)] = number
    return values


def _number(pair: Any) -> float | None:
    try:
        number = float(pair[1])
    except (TypeError, ValueError, IndexError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _range_values(
    client: Prometheus, settings: PrometheusSettings, template: SignalTemplate, query: str, at: datetime
) -> dict[tuple[str, ...], tuple[float, dict[str, Any]]]:
    """For a range signal: the number of value changes, with reversals and a short timeline."""
    window = settings.window_seconds
    step = max(settings.step_seconds, window / load_templates().limits["max_points"])
    found = {}
    for item in client.range(query, window_start(at, window), at, step):
        metric = item.get("metric") or {}
        points = [
            (float(ts), n) for ts, n in ((p[0], _number(p)) for p in item.get("values", [])) if n is not None
        ]
        key = tuple(str(metric.get(k, "")) for k in template.keys)
        found[key] = _changes(points, step)
    return found


def _changes(points: list[tuple[float, float]], step: float) -> tuple[float, dict[str, Any]]:
    changes = reversals = 0
    direction = 0
    timeline = [_point(*points[0])] if points else []
    for (_, before), (ts, after) in itertools.pairwise(points):
        if after == before:
            continue
        changes += 1
        now = 1 if after > before else -1
        if direction and now != direction:
            reversals += 1
        direction = now
        if len(timeline) < TIMELINE_POINTS:
            timeline.append(_point(ts, after))
    return float(changes), {"reversals": reversals, "timeline": timeline, "resolution": f"{step:g}s"}


def _point(ts: float, value: float) -> dict[str, Any]:
    return {"time": datetime.fromtimestamp(ts, UTC).isoformat(), "replicas": int(value)}
