"""All settings in one model. The CLI reads it from `--config`, the operator from a mounted ConfigMap;
the Helm chart's `config:` values block has the same keys. It is passed explicitly, never global."""

from __future__ import annotations

import fnmatch
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kgov.findings.model import Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        if self.include and not any(fnmatch.fnmatchcase(namespace, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(namespace, p) for p in self.exclude)


class Waiver(_Strict):
    """Accepts findings of `check` (an id or glob) on targets matching `target`
    (`<namespace>/<Kind>/<name>` globs, e.g. `shop/Deployment/web-*`), until `expires`."""

    check: str
    target: str = "*"
    reason: str
    expires: date | None = None

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, check: str, namespace: str | None, kind: str, name: str) -> bool:
        subject = f"{namespace or ''}/{kind}/{name}"
        return fnmatch.fnmatchcase(check, self.check) and fnmatch.fnmatchcase(subject, self.target)


class Exemptions(_Strict):
    # When false, `kgov.io/ignore` annotations on objects and namespaces are not honoured.
    allow_annotations: bool = True


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(value: str) -> float:
    """`1h`, `30m`, `90s`, `1h30m` → seconds."""
    match = _DURATION.fullmatch(value.strip())
    if not value.strip() or match is None:
        raise ValueError(f"expected a duration such as 1h, 30m or 90s, got {value!r}")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


class OperatorSettings(_Strict):
    """Settings only the in-cluster operator reads."""

    # Safety cap on Findings + ClusterFindings; beyond it the lowest severities are dropped and counted.
    max_findings: int = Field(default=5000, gt=0)
    debounce_seconds: float = Field(default=2.0, ge=0)
    # Sliding window over which reload-triggering watch events are counted.
    churn_window: str = "1h"

    @field_validator("churn_window")
    @classmethod
    def _valid_window(cls, value: str) -> str:
        if parse_duration(value) <= 0:
            raise ValueError("churn_window must be longer than zero")
        return value

    @property
    def churn_window_seconds(self) -> float:
        return parse_duration(self.churn_window)


class Config(_Strict):
    checks: dict[str, CheckSettings] = Field(default_factory=dict)
    namespaces: NamespaceFilter = Field(default_factory=NamespaceFilter)
    waivers: list[Waiver] = Field(default_factory=list)
    exemptions: Exemptions = Field(default_factory=Exemptions)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)

    @field_validator("checks", mode="before")
    @classmethod
    def _null_settings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    def settings(self, check_id: str) -> CheckSettings:
        return self.checks.get(check_id) or CheckSettings()


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the bad key."""


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
