"""Where a value differs from a Gateway API CRD's structure, each difference worded and placed as
jsonschema 4 (Draft 2020-12) words it, so gateway.schema-invalid reads as it did when jsonschema
listed them, without loading jsonschema (about 60 ms) for the first object the quick test
(`gateway_structure.accepts`) refuses. Only the keywords the bundled schemas use are read (the quick
test lists them); tests compare both on every object of the corpus and on every way a route can break.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterator, Sized
from typing import Any

Path = tuple[str | int, ...]
Difference = tuple[Path, str, Any]  # where, what is wrong, the value it is about


def differences(value: Any, node: Any, path: Path = ()) -> Iterator[Difference]:
    """The value's differences from the schema node: for each keyword in the order the node lists
    them, its own, then those below it."""
    if node is True:
        return
    if node is False:
        yield path, f"False schema does not allow {value!r}", value
        return
    for keyword, argument in node.items():
        check = _KEYWORDS.get(keyword)
        if check is not None:
            yield from check(value, argument, node, path)


def _below(value: Any, node: Any, path: Path, key: str | int) -> Iterator[Difference]:
    """The differences of a value below the one at `path`; a `false` schema's is placed at `path`, as
    jsonschema places it."""
    if node is False:
        yield path, f"False schema does not allow {value!r}", value
    else:
        yield from differences(value, node, (*path, key))


def _type(value: Any, types: Any, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    names = [types] if isinstance(types, str) else types
    if not any(_TYPES[name](value) for name in names):
        yield path, f"{value!r} is not of type {', '.join(repr(name) for name in names)}", value


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: (
        not isinstance(value, bool)
        and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
    ),
    "number": lambda value: not isinstance(value, bool) and isinstance(value, numbers.Number),
    "boolean": lambda value: isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


def _properties(
    value: Any, properties: dict[str, Any], node: dict[str, Any], path: Path
) -> Iterator[Difference]:
    if isinstance(value, dict):
        for name, child in properties.items():
            if name in value:
                yield from _below(value[name], child, path, name)


def _additional(value: Any, extra: Any, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if not isinstance(value, dict):
        return
    known = node.get("properties", {})
    extras = [key for key in value if key not in known]
    if isinstance(extra, dict):
        for key in extras:
            yield from _below(value[key], extra, path, key)
    elif not extra and extras:
        names = sorted(extras, key=str)
        listed = ", ".join(repr(name) for name in names)
        yield (
            path,
            f"Additional properties are not allowed ({listed} {'was' if len(names) == 1 else 'were'} unexpected)",
            value,
        )


def _required(value: Any, required: list[str], node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if isinstance(value, dict):
        for name in required:
            if name not in value:
                yield path, f"{name!r} is a required property", value


def _items(value: Any, items: Any, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if not isinstance(value, list) or not value:
        return
    if items is False:
        rest = value if len(value) != 1 else value[0]
        yield path, f"Expected at most 0 items but found {len(value)} extra: {rest!r}", value
        return
    for index, item in enumerate(value):
        yield from _below(item, items, path, index)


def _fewer(kind: type[Sized], empty: str, short: str) -> Callable[..., Iterator[Difference]]:
    """A lower bound on a string's length or an array's items."""

    def check(value: Any, low: int, node: dict[str, Any], path: Path) -> Iterator[Difference]:
        if isinstance(value, kind) and len(value) < low:
            yield path, f"{value!r} {empty if low == 1 else short}", value

    return check


def _more(kind: type[Sized], long: str) -> Callable[..., Iterator[Difference]]:
    """An upper bound on a string's length, an array's items or an object's properties."""

    def check(value: Any, high: int, node: dict[str, Any], path: Path) -> Iterator[Difference]:
        if isinstance(value, kind) and len(value) > high:
            yield path, f"{value!r} {'is expected to be empty' if high == 0 else long}", value

    return check


def _pattern(value: Any, pattern: str, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if isinstance(value, str) and not re.search(pattern, value):
        yield path, f"{value!r} does not match {pattern!r}", value


def _enum(value: Any, members: list[Any], node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if all(not _equal(member, value) for member in members):
        yield path, f"{value!r} is not one of {members!r}", value


def _equal(one: Any, two: Any) -> bool:
    """JSON Schema's equality: `True` is not `1`, `1.0` is `1`, containers compared item by item."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(
            key in two and _equal(item, two[key]) for key, item in one.items()
        )
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _minimum(value: Any, low: Any, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if _TYPES["number"](value) and value < low:
        yield path, f"{value!r} is less than the minimum of {low!r}", value


def _maximum(value: Any, high: Any, node: dict[str, Any], path: Path) -> Iterator[Difference]:
    if _TYPES["number"](value) and value > high:
        yield path, f"{value!r} is greater than the maximum of {high!r}", value


_KEYWORDS: dict[str, Callable[..., Iterator[Difference]]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "minItems": _fewer(list, "should be non-empty", "is too short"),
    "maxItems": _more(list, "is too long"),
    "minLength": _fewer(str, "should be non-empty", "is too short"),
    "maxLength": _more(str, "is too long"),
    "maxProperties": _more(dict, "has too many properties"),
    "pattern": _pattern,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
}
