"""What `kgov run` was asked to do, and the namespace scope it watches."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgov.config import Config, ConfigError, load_config
from kgov.globs import glob_match


@dataclass(frozen=True, slots=True)
class RunOptions:
    config_path: Path | None = None
    namespaces: tuple[str, ...] = ()  # glob patterns; empty: every namespace
    exclude_namespaces: tuple[str, ...] = ()
    peering: str | None = None  # None: standalone (one replica)
    # kopf peering priority: the highest works, the others pause. Replicas of one Deployment must not
    # share it (equal priorities pause each other), so by default every process start draws its own.
    priority: int = field(default_factory=lambda: random_priority())
    port: int = 8080
    host: str = "0.0.0.0"
    prometheus: str | None = None
    max_findings: int | None = None
    # Serve the HTML report of the live findings at /report on the HTTP port (read-only; off by default).
    html_report: bool = False
    # Write policy reports for Policy Reporter in this API (`openreports` or `wgpolicyk8s`); None: none.
    policy_reports: str | None = None
    # How often the config file is checked for changes, and the longest time between evaluations
    # (churn windows slide and waivers expire without any event).
    config_poll_seconds: float = 5.0
    # How often a peered replica reads the peering object to know whether it is the active one.
    peering_poll_seconds: float = 5.0
    resync_seconds: float = 60.0
    # Writes per second to the API server, and the burst allowed above that rate.
    write_rate: float = 20.0
    write_burst: int = 40
    # The retry policy (kgov.operator.backoff: jittered doubling from the first delay up to the cap,
    # Retry-After honoured) of an object whose write failed, and of a failing list or watch.
    write_retry_seconds: float = 0.5
    write_retry_cap_seconds: float = 60.0
    watch_retry_seconds: float = 0.5
    watch_retry_cap_seconds: float = 30.0
    # How long a list or watch may fail before the kind is listed again rather than resumed.
    relist_after_failing_seconds: float = 60.0

    @property
    def standalone(self) -> bool:
        return self.peering is None


PRIORITY_RANGE = (1, 2**31 - 1)


def random_priority() -> int:
    return random.SystemRandom().randint(*PRIORITY_RANGE)


@dataclass(frozen=True, slots=True)
class NamespaceScope:
    """`--namespace` / `--exclude-namespace` globs. Cluster-scoped objects are always in scope."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def allows(self, namespace: str | None) -> bool:
        if not namespace:
            return True
        if self.include and not any(glob_match(namespace, p) for p in self.include):
            return False
        return not any(glob_match(namespace, p) for p in self.exclude)

    def allows_object(self, kind: str | None, namespace: str | None, name: str | None) -> bool:
        """A Namespace object is in scope when its own name is."""
        return self.allows(name if kind == "Namespace" else namespace)


def load_operator_config(options: RunOptions) -> Config:
    """The config file with the command-line overrides applied; ConfigError when it cannot be used."""
    config = load_config(options.config_path)
    if options.max_findings is None and options.prometheus is None:
        return config
    data: dict[str, Any] = config.model_dump(mode="json", exclude_unset=True)
    if options.max_findings is not None:
        data["operator"] = {**data.get("operator", {}), "max_findings": options.max_findings}
    if options.prometheus is not None:
        if "prometheus" not in Config.model_fields:
            raise ConfigError("--prometheus: this build has no Prometheus evidence support")
        data["prometheus"] = {**data.get("prometheus", {}), "url": options.prometheus}
    try:
        return Config.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"command-line overrides: {exc}") from None
