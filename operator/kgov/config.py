"""All settings in one model. The CLI reads it from `--config`, the operator from a mounted ConfigMap;
the Helm chart's `config:` values block has the same keys. It is passed explicitly, never global."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from kgov.decode import LimitExceeded, decode, load_yaml, read_limited
from kgov.findings.model import Severity
from kgov.globs import glob_match
from kgov.inventory.scope import Declared


class _Strict(BaseModel):
    # Validators are built when a config file is read: without one, the defaults are constructed
    # (`defaults`), and a one-file scan builds none of these models.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


S = TypeVar("S", bound=_Strict)


def defaults(model: type[S]) -> Callable[[], S]:
    """A settings model with every field at its default, without building its validator (defaults
    are not validated either way)."""
    return model.model_construct


class CheckSettings(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class NamespaceFilter(_Strict):
    """Glob patterns on namespace names; an empty include list means every namespace."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    def allows(self, namespace: str | None) -> bool:
        if namespace is None:
            return True  # cluster-scoped targets and manifests without a namespace
        if self.include and not any(glob_match(namespace, p) for p in self.include):
            return False
        return not any(glob_match(namespace, p) for p in self.exclude)


class Waiver(_Strict):
    """Accepts findings of `check` (an id or glob) on targets matching `target`
    (`<namespace>/<Kind>/<name>` globs, e.g. `shop/Deployment/web-*`), until `expires`."""

    check: str
    target: str = "*"
    reason: str
    expires: date | None = None
    # What replaces the waived behaviour (e.g. the policy that now does an Ingress's access control).
    replacement: str | None = None

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, check: str, namespace: str | None, kind: str, name: str) -> bool:
        subject = f"{namespace or ''}/{kind}/{name}"
        return glob_match(check, self.check) and glob_match(subject, self.target)


class ScopeSettings(_Strict):
    """Completeness the user vouches for (docs/configuration.md#scope-and-completeness): `true` when
    the input is everything that will run where it is applied, or the namespaces it holds in full."""

    complete: bool | list[str] = False

    def declared(self, everything: bool = False) -> Declared:
        if everything or self.complete is True:
            return Declared(everything=True)
        return Declared(namespaces=frozenset(self.complete or ()))


class Exemptions(_Strict):
    # When false, `kgov.io/ignore` annotations on objects and namespaces are not honoured.
    allow_annotations: bool = True


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


# A whole Prometheus duration and one of its parts. `re` compiles a pattern given as text when it is
# first used and keeps it (a scan without a config reads no duration).
_DURATION = r"^(?:(\d+)(ms|s|m|h|d|w|y))+$"
_DURATION_PART = r"(\d+)(ms|s|m|h|d|w|y)"


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration (`90s`, `1h30m`); ValueError for anything else."""
    if not re.match(_DURATION, text):
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 1h or 1h30m")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in re.findall(_DURATION_PART, text))


class ExporterJobs(_Strict):
    """A job per exporter; an exporter left unset gets no job matcher."""

    cadvisor: str | None = None
    kube_state_metrics: str | None = None
    ingress_nginx: str | None = None


class PrometheusLabels(_Strict):
    """Extra label matchers added to every evidence query."""

    job: str | ExporterJobs | None = None  # one job for every exporter, or a job per exporter
    # The value of the cluster label, for a Prometheus (Thanos, Mimir) that holds several clusters.
    cluster: str | None = None
    cluster_label: str = Field(default="cluster", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")

    def job_for(self, exporter: str) -> str | None:
        if isinstance(self.job, ExporterJobs):
            job: str | None = getattr(self.job, exporter)
            return job
        return self.job


class PrometheusSettings(_Strict):
    """Where measured evidence comes from. Without `url` no query is made and evidence-backed checks
    fall back to what the objects show (or are skipped with that reason)."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    bearer_token_file: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=300)
    window: str = "1h"
    step: str = "1m"
    min_samples: int = Field(default=10, ge=1)
    labels: PrometheusLabels = Field(default_factory=defaults(PrometheusLabels))
    metrics: dict[str, str] = Field(default_factory=dict)  # template metric key → metric name in use

    @field_validator("window", "step")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration_seconds(value)
        return value

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key, name in value.items():
            if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name):
                raise ValueError(f"metrics.{key}: {name!r} is not a Prometheus metric name")
        return value

    @property
    def configured(self) -> bool:
        return self.url is not None

    @property
    def window_seconds(self) -> float:
        return duration_seconds(self.window)

    @property
    def step_seconds(self) -> float:
        return duration_seconds(self.step)


class MigrationSettings(_Strict):
    # With `kgov gate migration --base`, an Ingress that is not in the base is a finding.
    forbid_new_ingress: bool = False


class OperatorSettings(_Strict):
    """Settings only the in-cluster operator reads."""

    # Safety cap on Findings + ClusterFindings; beyond it the lowest severities are dropped and counted.
    max_findings: int = Field(default=5000, gt=0)
    debounce_seconds: float = Field(default=2.0, ge=0)
    # Sliding window over which reload-triggering watch events are counted.
    churn_window: str = "1h"
    # How often Prometheus evidence is collected (when `prometheus.url` is set), and how long the last
    # good measurement of a signal keeps deciding its checks while Prometheus fails.
    evidence_interval: str = "1m"
    evidence_max_age: str = "15m"
    # How often every watched kind is listed again and reconciled with what the watch delivered
    # (a bound on drift the watch cannot report, such as a delete lost in a partition).
    relist_interval: str = "1h"

    @field_validator("churn_window", "evidence_interval", "evidence_max_age", "relist_interval")
    @classmethod
    def _valid_window(cls, value: str, info: ValidationInfo) -> str:
        if duration_seconds(value) <= 0:
            raise ValueError(f"{info.field_name} must be longer than zero")
        return value

    @property
    def churn_window_seconds(self) -> float:
        return duration_seconds(self.churn_window)

    @property
    def relist_interval_seconds(self) -> float:
        return duration_seconds(self.relist_interval)

    @property
    def evidence_interval_seconds(self) -> float:
        return duration_seconds(self.evidence_interval)

    @property
    def evidence_max_age_seconds(self) -> float:
        return duration_seconds(self.evidence_max_age)


class HelmSettings(_Strict):
    # Chart folder (as scanned, e.g. `charts/app`) → values files passed to `helm template` for it.
    values: dict[str, list[str]] = Field(default_factory=dict)


class Config(_Strict):
    checks: dict[str, CheckSettings] = Field(default_factory=dict)
    # Globs of paths `kgov scan` leaves out (like --exclude).
    exclude: list[str] = Field(default_factory=list)
    helm: HelmSettings = Field(default_factory=defaults(HelmSettings))
    namespaces: NamespaceFilter = Field(default_factory=defaults(NamespaceFilter))
    scope: ScopeSettings = Field(default_factory=defaults(ScopeSettings))
    waivers: list[Waiver] = Field(default_factory=list)
    exemptions: Exemptions = Field(default_factory=defaults(Exemptions))
    prometheus: PrometheusSettings = Field(default_factory=defaults(PrometheusSettings))
    migration: MigrationSettings = Field(default_factory=defaults(MigrationSettings))
    operator: OperatorSettings = Field(default_factory=defaults(OperatorSettings))

    @field_validator("checks", mode="before")
    @classmethod
    def _null_settings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    def settings(self, check_id: str) -> CheckSettings:
        return self.checks.get(check_id) or _UNSET


_UNSET = defaults(CheckSettings)()  # a check the config does not name
CONFIG_FILE = ".kgov.yaml"


def find_config(start: Path) -> Path | None:
    """The `.kgov.yaml` in `start` or the nearest folder above it, up to the repository root (the
    folder holding `.git`)."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the bad key."""


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return defaults(Config)()
    try:
        text = decode(read_limited(Path(path)))
        if text is None:
            raise ConfigError(f"{path}: not a text file (binary, or not UTF-8, UTF-16 or UTF-32)")
        data = load_yaml(text) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except LimitExceeded as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return Config.model_validate(data)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
