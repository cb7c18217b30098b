"""Prometheus metrics of the operator (names and labels are part of the chart's contract)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from kgov.findings.model import Finding
from kgov.model.evidence import ChurnEstimate
from kgov.model.facts import ClassKey

# The `_created` series double every counter's output and tell a scraper nothing it needs.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """One registry per operator run, so several runs in one process (tests) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.findings = Gauge(
            "kgov_findings",
            "Findings held, by check, severity and namespace.",
            ["check", "severity", "namespace"],
            registry=r,
        )
        self.churn_events = Counter(
            "kgov_churn_events",
            "Reload-triggering watch events per ingress or gateway class.",
            ["class_kind", "class_name", "type"],
            registry=r,
        )
        self.churn_per_hour = Gauge(
            "kgov_reload_churn_per_hour",
            "Weighted reload-triggering events per hour in the churn window.",
            ["class_kind", "class_name", "source"],
            registry=r,
        )
        self.evaluation = Histogram(
            "kgov_evaluation_seconds",
            "Time one evaluation of the checks took.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.writes = Counter(
            "kgov_api_writes",
            "Write requests to the API server that succeeded, by verb and kind.",
            ["verb", "kind"],
            registry=r,
        )
        self.write_errors = Counter(
            "kgov_api_write_errors",
            "Write requests that failed, by verb, kind and code (each attempt once).",
            ["verb", "kind", "code"],
            registry=r,
        )
        self.writes_held = Gauge(
            "kgov_writes_held",
            "Objects whose last write failed, each waiting out its backoff before it is tried again.",
            registry=r,
        )
        self.evidence_up = Gauge(
            "kgov_evidence_up",
            "1 when an evidence source answers, 0 when it is failing.",
            ["source"],
            registry=r,
        )
        self.evaluation_failures = Counter(
            "kgov_evaluation_failures",
            "Evaluation failures, each counted once: a check that raised on a subject (`check`), an "
            "object that could not be read (`object`), a whole evaluation that raised (`evaluation`).",
            ["kind"],
            registry=r,
        )
        self.dropped = Gauge(
            "kgov_findings_dropped",
            "Findings not written because of the safety cap.",
            registry=r,
        )
        self._churn_seen: Tally[tuple[str, str, str]] = Tally()
        self._rate_labels: set[tuple[str, str, str]] = set()

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def set_findings(self, findings: Iterable[Finding]) -> None:
        counts = Tally((f.check, f.severity.value, f.target.namespace or "") for f in findings)
        self.findings.clear()
        for (check, severity, namespace), count in counts.items():
            self.findings.labels(check, severity, namespace).set(count)

    def add_churn_totals(self, totals: Mapping[tuple[str, str, str], int]) -> None:
        """Advance the churn counters to the engine's running totals (which only grow)."""
        for key, total in totals.items():
            delta = total - self._churn_seen[key]
            if delta > 0:
                self.churn_events.labels(*key).inc(delta)
                self._churn_seen[key] = total

    def set_churn_rates(self, estimates: Mapping[ClassKey, ChurnEstimate]) -> None:
        self._set_rates("watch", {key: e.weighted_per_hour for key, e in estimates.items()})

    def set_measured_churn_rates(self, rates: Mapping[ClassKey, float]) -> None:
        self._set_rates("prometheus", rates)

    def _set_rates(self, source: str, rates: Mapping[ClassKey, float]) -> None:
        for labels in [k for k in self._rate_labels if k[2] == source and k[:2] not in rates]:
            self.churn_per_hour.remove(*labels)
            self._rate_labels.discard(labels)
        for (class_kind, class_name), rate in rates.items():
            self.churn_per_hour.labels(class_kind, class_name, source).set(rate)
            self._rate_labels.add((class_kind, class_name, source))
