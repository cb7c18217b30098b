"""Query templates (`kgov/data/promql.yaml`) rendered into bounded, batched PromQL with escaped labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from string import Template
from typing import Any

from kgov.config import PrometheusSettings
from kgov.data import data_yaml
from kgov.model.evidence import Signal

EXPORTERS = ("cadvisor", "kube_state_metrics", "ingress_nginx")
_PLACEHOLDER = {"cadvisor": "cadvisor", "kube_state_metrics": "ksm", "ingress_nginx": "nginx"}
_BATCH_LABEL = {"pods": "pod", "hpas": "horizontalpodautoscaler"}
_REGEX_SPECIAL = set("\\.+*?()|[]{}^$")


@dataclass(frozen=True, slots=True)
class SignalTemplate:
    signal: Signal
    batch: str  # "pods" | "hpas" | "none"
    keys: tuple[str, ...]
    value: str
    samples: str
    details: dict[str, str] = field(default_factory=dict)
    range: bool = False


@dataclass(frozen=True, slots=True)
class Templates:
    limits: dict[str, int]
    metrics: dict[str, str]
    signals: dict[Signal, SignalTemplate]


@dataclass(frozen=True, slots=True)
class Batch:
    """The subjects of one query: a namespace and some names in it, or everything (`namespace` None)."""

    namespace: str | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderedQueries:
    value: str
    samples: str
    details: dict[str, str]


@cache
def load_templates() -> Templates:
    data: dict[str, Any] = data_yaml("promql.yaml")
    signals = {
        Signal(name): SignalTemplate(
            signal=Signal(name),
            batch=entry["batch"],
            keys=tuple(entry["keys"]),
            value=entry["value"],
            samples=entry["samples"],
            details=dict(entry.get("details") or {}),
            range=bool(entry.get("range", False)),
        )
        for name, entry in data["signals"].items()
    }
    return Templates(dict(data["limits"]), dict(data["metrics"]), signals)


def quote(value: str) -> str:
    """A PromQL double-quoted string literal holding `value` exactly."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def regex_literal(value: str) -> str:
    """`value` as an RE2 pattern matching only itself."""
    return "".join(f"\\{ch}" if ch in _REGEX_SPECIAL else ch for ch in value)


def alternation(names: Iterable[str]) -> str:
    return "|".join(regex_literal(n) for n in names)


def batches(namespaced: Mapping[str, Sequence[str]], limits: dict[str, int]) -> Iterator[Batch]:
    """Names grouped per namespace, in chunks small enough for one query each."""
    per_query, max_chars = limits["names_per_query"], limits["regex_chars"]
    for namespace in sorted(namespaced):
        chunk: list[str] = []
        size = 0
        for name in sorted(set(namespaced[namespace])):
            cost = len(regex_literal(name)) + 1
            if chunk and (len(chunk) >= per_query or size + cost > max_chars):
                yield Batch(namespace, tuple(chunk))
                chunk, size = [], 0
            chunk.append(name)
            size += cost
        if chunk:
            yield Batch(namespace, tuple(chunk))


def matchers(settings: PrometheusSettings, exporter: str, template: SignalTemplate, batch: Batch) -> str:
    parts = []
    if batch.namespace is not None:
        parts.append(f"namespace={quote(batch.namespace)}")
    label = _BATCH_LABEL.get(template.batch)
    if label and batch.names:
        parts.append(f"{label}=~{quote(alternation(batch.names))}")
    job = settings.labels.job_for(exporter)
    if job:
        parts.append(f"job={quote(job)}")
    if settings.labels.cluster:
        parts.append(f"{settings.labels.cluster_label}={quote(settings.labels.cluster)}")
    return ", ".join(parts)


def unknown_metric_keys(settings: PrometheusSettings) -> list[str]:
    return sorted(set(settings.metrics) - set(load_templates().metrics))


def render(settings: PrometheusSettings, template: SignalTemplate, batch: Batch) -> RenderedQueries:
    templates = load_templates()
    values: dict[str, str] = {**templates.metrics, **settings.metrics, "window": settings.window}
    for exporter in EXPORTERS:
        values[_PLACEHOLDER[exporter]] = matchers(settings, exporter, template, batch)

    def fill(text: str) -> str:
        return Template(" ".join(text.split())).substitute(values)

    return RenderedQueries(
        fill(template.value),
        fill(template.samples),
        {name: fill(text) for name, text in template.details.items()},
    )
