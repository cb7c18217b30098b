"""Query rendering without a server: escaping, batching, label matchers, metric overrides, settings."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from kgov.config import Config, PrometheusSettings, duration_seconds
from kgov.evidence.queries import (
    Batch,
    alternation,
    batches,
    load_templates,
    quote,
    render,
    unknown_metric_keys,
)
from kgov.model.evidence import Signal


def test_label_values_are_escaped() -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    # RE2 specials are escaped, and the backslashes survive the PromQL string literal.
    assert alternation(["web-1.x", "a+b"]) == "web-1\\.x|a\\+b"
    assert quote(alternation(["web-1.x"])) == '"web-1\\\\.x"'


def test_escaped_alternation_matches_only_the_names() -> None:
    pattern = re.compile(f"^(?:{alternation(['api.v1', 'a(b)'])})$")
    assert pattern.match("api.v1") and pattern.match("a(b)")
    assert not pattern.match("apixv1") and not pattern.match("ab")


def test_batches_are_per_namespace_and_chunked() -> None:
    limits = {"names_per_query": 3, "regex_chars": 10_000}
    found = list(batches({"b": ["p5", "p4"], "a": [f"p{i}" for i in range(7)]}, limits))
    assert [(b.namespace, len(b.names)) for b in found] == [("a", 3), ("a", 3), ("a", 1), ("b", 2)]
    small = list(
        batches({"a": ["x" * 40] * 1 + ["y" * 40, "z" * 40]}, {"names_per_query": 50, "regex_chars": 90})
    )
    assert [len(b.names) for b in small] == [2, 1]


def test_matchers_carry_batch_job_and_cluster() -> None:
    settings = PrometheusSettings.model_validate(
        {
            "url": "http://prometheus:9090",
            "window": "30m",
            "labels": {"job": {"cadvisor": "kubelet", "kube_state_metrics": "ksm"}, "cluster": "prod"},
        }
    )
    template = load_templates().signals[Signal.MEMORY_WORKING_SET]
    queries = render(settings, template, Batch("shop", ("web-1", "web-2")))
    assert (
        'container_memory_working_set_bytes{container!="", image!="", namespace="shop", '
        'pod=~"web-1|web-2", job="kubelet", cluster="prod"}[30m]' in queries.value
    )
    assert (
        'resource="memory", namespace="shop", pod=~"web-1|web-2", job="ksm", cluster="prod"'
        in (queries.details["limit_bytes"])
    )
    nginx = render(settings, load_templates().signals[Signal.RELOADS], Batch())
    assert 'nginx_ingress_controller_success{cluster="prod"}[30m]' in nginx.value


def test_metric_names_can_be_overridden() -> None:
    settings = PrometheusSettings.model_validate(
        {"url": "http://p:9090", "metrics": {"reload_success": "my_nginx_reloads_total"}}
    )
    queries = render(settings, load_templates().signals[Signal.RELOADS], Batch())
    assert "my_nginx_reloads_total{}" in queries.value
    assert "nginx_ingress_controller_success" not in queries.value
    bad = PrometheusSettings.model_validate({"url": "http://p:9090", "metrics": {"reload_sucess": "x"}})
    assert unknown_metric_keys(bad) == ["reload_sucess"]


def test_every_template_renders_with_bounded_windows() -> None:
    settings = PrometheusSettings(url="http://p:9090")
    for template in load_templates().signals.values():
        queries = render(settings, template, Batch("ns", ("a",)))
        for query in [queries.value, queries.samples, *queries.details.values()]:
            assert "$" not in query
            assert template.range or "[1h]" in query, query


def test_settings_validate_durations_and_names() -> None:
    assert duration_seconds("1h30m") == 5400 and duration_seconds("90s") == 90
    with pytest.raises(ValueError, match="not a duration"):
        duration_seconds("1 hour")
    for bad in ({"window": "an hour"}, {"url": "prometheus:9090"}, {"metrics": {"oom_events": "not a name"}}):
        with pytest.raises(ValidationError):
            PrometheusSettings.model_validate(bad)
    config = Config.model_validate({"prometheus": {"url": "https://prom.example:9090", "verify_tls": False}})
    assert config.prometheus.configured and config.prometheus.timeout_seconds == 10
    assert not Config().prometheus.configured
