"""Prometheus settings from the config and `--prometheus`, and measuring evidence for a scan."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import ValidationError

from kgov.commands.extras import missing_extra
from kgov.config import Config, ConfigError, PrometheusSettings
from kgov.inventory import Inventory
from kgov.model.evidence import Evidence


def prometheus_settings(config: Config, url: str | None) -> PrometheusSettings:
    """The config's `prometheus` section, with the URL from the command line when given."""
    settings = config.prometheus
    if url is not None:
        try:
            settings = PrometheusSettings.model_validate({**settings.model_dump(), "url": url})
        except ValidationError:
            raise ConfigError(f"--prometheus: {url!r} is not an http:// or https:// URL") from None
    if settings.configured:
        missing = missing_extra("prometheus")
        if missing:
            raise ConfigError(missing)
        from kgov.evidence.queries import unknown_metric_keys

        unknown = unknown_metric_keys(settings)
        if unknown:
            raise ConfigError(f"prometheus.metrics: unknown metric keys {', '.join(unknown)}")
    return settings


def measure(inventory: Inventory, settings: PrometheusSettings, check_ids: Collection[str]) -> Evidence:
    from kgov.evidence import collect_evidence, signals_for

    return collect_evidence(inventory, settings, signals_for(check_ids))
