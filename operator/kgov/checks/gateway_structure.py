"""A quick test of a value against a Gateway API CRD's structure, for the values it certainly accepts.

jsonschema walks each value keyword by keyword and builds a validator object at every level; most
objects match their CRD, and a scan only needs to know that. `accepts` compiles a schema once into
plain Python tests of the keywords the bundled schemas use (`type`, `properties`, `required`,
`additionalProperties`, `items`, `enum`, string lengths and patterns, item and property
counts, integer bounds), each read as JSON Schema 2020-12 reads it, for the values YAML and JSON
give. It answers true only where jsonschema would find no error; where it answers false (a value
of another type, such as `1.0` for an integer, or a keyword it does not know), jsonschema decides
and lists the errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Test = Callable[[Any], bool]

_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "enum",
        "minimum",
        "maximum",
    }
)


# The types whose test compares a value with the node's `enum`; any other node with one is left to
# jsonschema (`enum` applies to every type).
_READS_ENUM = frozenset({"string", "integer"})


def _never(value: Any) -> bool:
    return False


def accepts(node: Any) -> Test:
    """The test of a schema node: true only of values it accepts."""
    if not isinstance(node, dict) or not node.keys() <= _KEYWORDS:
        return _never
    kind = node.get("type")
    compile_type = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if compile_type is None or ("enum" in node and kind not in _READS_ENUM):
        return _never
    return compile_type(node)


def _enum(node: dict[str, Any], kind: type) -> frozenset[Any] | None:
    """The node's enum as a set, when every member is of the exact type the node holds (so `in` is
    JSON Schema's equality: `True` would equal `1` in a set)."""
    members = node.get("enum")
    if members is None:
        return None
    if not all(type(member) is kind for member in members):
        return frozenset()  # compared by JSON Schema's rules only: left to jsonschema
    return frozenset(members)


def _string(node: dict[str, Any]) -> Test:
    low, high = node.get("minLength", 0), node.get("maxLength")
    pattern = re.compile(node["pattern"]) if "pattern" in node else None
    members = _enum(node, str)

    def test(value: Any) -> bool:
        return (
            type(value) is str
            and low <= len(value)
            and (high is None or len(value) <= high)
            and (pattern is None or pattern.search(value) is not None)
            and (members is None or value in members)
        )

    return test


def _integer(node: dict[str, Any]) -> Test:
    low, high = node.get("minimum"), node.get("maximum")
    members = _enum(node, int)

    def test(value: Any) -> bool:
        return (
            type(value) is int
            and (low is None or value >= low)
            and (high is None or value <= high)
            and (members is None or value in members)
        )

    return test


def _boolean(node: dict[str, Any]) -> Test:
    return lambda value: type(value) is bool


def _array(node: dict[str, Any]) -> Test:
    low, high = node.get("minItems", 0), node.get("maxItems")
    item = accepts(node["items"]) if "items" in node else None

    def test(value: Any) -> bool:
        return (
            type(value) is list
            and low <= len(value)
            and (high is None or len(value) <= high)
            and (item is None or all(item(entry) for entry in value))
        )

    return test


def _object(node: dict[str, Any]) -> Test:
    properties = {name: accepts(child) for name, child in node.get("properties", {}).items()}
    required = tuple(node.get("required", ()))
    extra = node.get("additionalProperties", True)
    other = _never if extra is False else None if extra is True else accepts(extra)
    high = node.get("maxProperties")

    def test(value: Any) -> bool:
        if type(value) is not dict or (high is not None and len(value) > high):
            return False
        if not all(name in value for name in required):
            return False
        for key, entry in value.items():
            check = properties.get(key, other)
            if check is not None and not check(entry):
                return False
        return True

    return test


_BY_TYPE: dict[str, Callable[[dict[str, Any]], Test]] = {
    "string": _string,
    "integer": _integer,
    "boolean": _boolean,
    "array": _array,
    "object": _object,
}
