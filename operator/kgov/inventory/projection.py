"""Typed projections of raw objects, with every wrong-typed field reported by path."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kgov.model.errors import ObjectError

M = TypeVar("M", bound=BaseModel)


def project(model: type[M], data: Any, prefix: tuple[str | int, ...] = ()) -> M:
    """Validate raw data into a projection; a type error becomes an `ObjectError` with the full path."""
    try:
        return model.model_validate(data, by_alias=True)
    except ValidationError as exc:
        raise ProjectionError(
            [ObjectError(_explain(p), (*prefix, *p["loc"])) for p in exc.errors()]
        ) from None


class ProjectionError(ValueError):
    """Every field of one object that has the wrong type."""

    def __init__(self, problems: list[ObjectError]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


_EXPECTED = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "list_type": "a list",
    "int_type": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "decimal_type": "a number",
}


def _explain(problem: Any) -> str:
    got = problem.get("input")
    shown = type(got).__name__ if isinstance(got, dict | list) else repr(got)
    if problem["type"] == "string_type" and isinstance(got, bool):
        return (
            f"expected a string, got {shown} (quote it: YAML reads unquoted On, Off, yes and no as booleans)"
        )
    if problem["type"] in _EXPECTED:
        return f"expected {_EXPECTED[problem['type']]}, got {shown}"
    if problem["type"] == "missing":
        return "required field is missing"
    error = problem.get("ctx", {}).get("error")
    if error is not None:
        return str(error)
    return f"{problem['msg']}, got {shown}"
