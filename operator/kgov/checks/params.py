"""The params models of the checks (`params:` in kgov/data/checks.yaml names one of these): config is
validated against them without importing the checks' modules."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kgov.catalogue import NGINX_PREFIX


class Params(BaseModel):
    """Base of check params: unknown keys in config are an error, values are immutable. A model's
    validator is built when a config sets its params (see `kgov.analysis.resolve_params`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class NoParams(Params):
    """The params of a check that has none."""


# ---- shared ---------------------------------------------------------------------------------------


class PrefixParams(Params):
    annotation_prefix: str = Field(
        NGINX_PREFIX,
        pattern=r"^[a-z0-9.-]+/$",
        description="ingress-nginx annotation prefix (the controller's `--annotations-prefix`)",
    )


class WindowParams(Params):
    window_hours: int = Field(24, gt=0, description="how far back an event still counts, in hours")


# ---- qos ------------------------------------------------------------------------------------------


class OvercommitParams(Params):
    ratio: Decimal = Field(Decimal("2.0"), gt=1, description="largest accepted memory limit / request")


class CriticalParams(Params):
    selectors: list[dict[str, str]] = Field(
        default_factory=list,
        description="extra pod label sets (all labels must match) that mark a workload critical",
    )
    priority_class_prefixes: list[str] = Field(
        default_factory=lambda: ["system-"],
        description="priorityClassName prefixes that mark a workload critical",
    )


class NearLimitParams(Params):
    ratio: Decimal = Field(Decimal("0.9"), gt=0, le=1, description="working set / memory limit")


class ThrottleParams(Params):
    ratio: Decimal = Field(Decimal("0.25"), gt=0, le=1, description="throttled periods / all periods")


# ---- autoscaling ----------------------------------------------------------------------------------


class StarvedParams(WindowParams):
    throttle_ratio: Decimal = Field(
        Decimal("0.25"), gt=0, le=1, description="throttled CFS periods / all periods that count as starved"
    )


class OscillationParams(Params):
    max_per_hour: int = Field(12, gt=0, description="largest accepted scale events per hour")
    window_minutes: int = Field(
        60, gt=0, description="window of the operator's watch history (Prometheus uses `prometheus.window`)"
    )


class GapParams(Params):
    ratio: Decimal = Field(Decimal("0.5"), gt=0, description="largest accepted |target − request| / request")


# ---- ingress --------------------------------------------------------------------------------------


class SprawlParams(PrefixParams):
    warn: int = Field(5, ge=0, description="more controller-specific annotations than this is sprawl")
    high: int = Field(20, gt=0, description="this many or more is high severity")


class DriftParams(PrefixParams):
    min_keys: int = Field(3, ge=1, description="smallest annotation block compared")
    copies: int = Field(5, ge=2, description="identical blocks on this many Ingresses are reported")


class EolParams(Params):
    compliance: bool = Field(False, description="raise to critical (for regulated environments)")


class ChurnParams(Params):
    warn: int = Field(50, gt=0, description="reload-triggering events per hour for medium")
    high: int = Field(100, gt=0, description="events per hour for high")
    window_minutes: int = Field(
        60, gt=0, description="sliding window of the watch count (Prometheus uses `prometheus.window`)"
    )


# ---- gateway --------------------------------------------------------------------------------------


class GraceParams(Params):
    grace_minutes: int = Field(5, ge=0, description="how long a new route may have no status")


class RouteCountParams(Params):
    warn: int = Field(100, gt=0, description="routes served by one controller for low")
    high: int = Field(500, gt=0, description="routes for medium")
