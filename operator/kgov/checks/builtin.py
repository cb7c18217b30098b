"""The registry of every built-in check, made from `kgov/data/checks.yaml` in its order.

The data says everything about a check but its logic, which is `FUNCTIONS[id]` of the module of its
family (`kgov.checks.<first part of the id>`). Listing, explaining, documenting the checks and
validating config import none of those modules; a scan imports a family's module the first time it
runs one of its checks.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from typing import Any

from kgov.checks import params as params_models
from kgov.checks.registry import (
    CheckContext,
    CheckFunction,
    CheckSpec,
    Issue,
    Need,
    Reach,
    Registry,
    Source,
    SubjectKind,
    Undecided,
)
from kgov.data import DataError, data_yaml
from kgov.findings.model import Category, Severity

CHECKS_DATA = "checks.yaml"
_SUBJECTS = {subject.value: subject for subject in SubjectKind.ALL}


def default_registry() -> Registry:
    return Registry(_specs())


@cache
def _specs() -> tuple[CheckSpec, ...]:
    entries: dict[str, dict[str, Any]] = data_yaml(CHECKS_DATA)
    return tuple(_spec(check_id, entry) for check_id, entry in entries.items())


def _spec(check_id: str, entry: dict[str, Any]) -> CheckSpec:
    try:
        subject = _SUBJECTS[entry["subject"]]
        params = getattr(params_models, entry.get("params", "NoParams"))
    except (KeyError, AttributeError) as exc:
        raise DataError(f"kgov/data/{CHECKS_DATA}: {check_id}: no such subject or params {exc}") from None
    return CheckSpec(
        id=check_id,
        title=entry["title"],
        category=Category(entry["category"]),
        severity=Severity(entry["severity"]),
        subject=subject,
        condition=entry["condition"],
        remediation=entry["remediation"],
        fn=DeferredFunction(check_id),
        params=params,
        needs=frozenset(Need(n) for n in entry.get("needs", ())),
        alternatives=entry.get("needs_any", False),
        reads=Reach[entry["reads"].upper()] if "reads" in entry else None,
        waiver_needs_replacement=entry.get("waiver_needs_replacement", False),
        why=entry["why"],
        sources=tuple(Source(s["title"], s["url"]) for s in entry["sources"]),
    )


def family_functions(family: str) -> dict[str, CheckFunction]:
    """The functions of a check family, by id: importing its module is what costs."""
    functions: dict[str, CheckFunction] = importlib.import_module(f"kgov.checks.{family}").FUNCTIONS
    return functions


def function_of(check_id: str) -> CheckFunction:
    return family_functions(check_id.split(".", 1)[0])[check_id]


class DeferredFunction:
    """A built-in check's function, looked up (and its family's module imported) on the first call."""

    __slots__ = ("_fn", "check_id")

    def __init__(self, check_id: str) -> None:
        self.check_id = check_id
        self._fn: CheckFunction | None = None

    def __call__(self, subject: Any, context: CheckContext[Any]) -> Iterable[Issue | Undecided]:
        if self._fn is None:
            self._fn = function_of(self.check_id)
        return self._fn(subject, context)

    def __repr__(self) -> str:
        return f"DeferredFunction({self.check_id!r})"
