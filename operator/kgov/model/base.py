"""Shared pydantic settings for the typed projections.

Projections read only the fields checks use; unknown fields are ignored, and the fields we do read are
strict (an integer field given `"three"` is an input error, as the API server would make it).
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import ROUND_UP, Decimal, localcontext
from functools import cache
from types import UnionType
from typing import Annotated, Any, Self, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

from kgov.model.names import subdomain_problem
from kgov.model.quantity import parse_quantity


class Projection(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        strict=True,
        # Validators are built on a model's first use, not at import: a scan builds only those of the
        # kinds its files hold (most of kgov's start-up was building every model's validator).
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_absent(cls, data: Any) -> Any:
        """The API server treats `field: null` as an absent field; so do projections."""
        if isinstance(data, dict) and None in data.values():
            return {key: value for key, value in data.items() if value is not None}
        return data

    @model_validator(mode="after")
    def _share_field_names(self) -> Self:
        """The names of the fields a projection was given are one set per combination, shared: every
        model instance holds one, and an empty set alone is larger than most projections' values
        (an operator holds hundreds of thousands). Projections are frozen: the set never changes."""
        given = self.__pydantic_fields_set__
        object.__setattr__(self, "__pydantic_fields_set__", _FIELD_SETS.setdefault(frozenset(given), given))
        return self


_FIELD_SETS: dict[frozenset[str], set[str]] = {}


def _none_to_empty_dict(value: Any) -> Any:
    return {} if value is None else value


def _none_to_empty_list(value: Any) -> Any:
    return [] if value is None else value


Quantity = Annotated[Decimal, BeforeValidator(parse_quantity)]


def _round_up_to_milli(values: dict[str, Decimal]) -> dict[str, Decimal]:
    """SetDefaults_ResourceList: the API stores every resource value rounded up (away from 0) to 1m.
    A negative value is refused, as the API server refuses it."""
    rounded = {}
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"{key} must not be negative, got {value}")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -3:
            with localcontext() as ctx:  # enough digits for any magnitude
                ctx.prec = max(28, value.adjusted() + 5)
                value = value.quantize(Decimal("0.001"), rounding=ROUND_UP)
        rounded[key] = value
    return rounded


ResourceList = Annotated[
    dict[str, Quantity], BeforeValidator(_none_to_empty_dict), AfterValidator(_round_up_to_milli)
]


def _subdomain(value: str) -> str:
    problem = subdomain_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A reference the API server validates as an object name (`spec.ingressClassName`).
SubdomainName = Annotated[str, AfterValidator(_subdomain)]
StrMap = Annotated[dict[str, str], BeforeValidator(_none_to_empty_dict)]
T = TypeVar("T")
# A list where YAML `null` means empty, as the API server treats it.
NullableList = Annotated[list[T], BeforeValidator(_none_to_empty_list)]


def read_key(model: type[BaseModel], data: Any) -> Hashable:
    """What validating `data` as `model` reads, as a hashable value: the fields the model declares
    (by alias and by name), recursively for fields holding projections (alone, optional or in a
    list), every other value whole. Equal keys validate to equal projections; any difference in
    what is read (a value's type included: `1`, `1.0` and `true` differ) gives another key. Only
    for models whose validators read nothing but their own fields (a test holds the ones using it)."""
    if not isinstance(data, dict):
        return _frozen(data)
    return tuple((name, _read(inner, data[name])) for name, inner in _read_fields(model) if name in data)


def _read(inner: type[BaseModel] | None, value: Any) -> Hashable:
    if inner is None:
        return _frozen(value)
    if isinstance(value, list):
        return ("list", *(read_key(inner, item) for item in value))
    return read_key(inner, value)


@cache
def _read_fields(model: type[BaseModel]) -> tuple[tuple[str, type[BaseModel] | None], ...]:
    fields = []
    for name, info in model.model_fields.items():
        inner = _projection_in(info.annotation)
        for key in dict.fromkeys((info.alias or name, name)):
            fields.append((key, inner))
    return tuple(fields)


def _projection_in(annotation: Any) -> type[BaseModel] | None:
    """The projection a field holds (`X`, `X | None`, `list[X]`), else None: read whole."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _projection_in(args[0])
    if origin is list and len(args) == 1:
        return _projection_in(args[0])
    if origin in (Union, UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        return _projection_in(inner[0]) if len(inner) == 1 else None
    return None


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return ("dict", *((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", *(_frozen(item) for item in value))
    if isinstance(value, float):
        return (float, repr(value))  # -0.0 is not 0.0, nan is itself
    return (type(value), value)
