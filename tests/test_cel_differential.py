"""gateway.validation-rule's evaluator (cel-cpp) against the one it replaced (cel-python): the same
verdict — true, false or undecided — on every (rule, value) pair the corpus, the field set, the
examples and the tests evaluate (tests/data/cel_pairs.jsonl.gz, written by scripts/cel-pairs), and on
values derived from them. Where the two differ, cel-go's semantics (the API server's) decide, and each
class of difference has its own test in test_gateway_cel.py."""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cel_reference import holds as reference_holds
from conftest import ROOT
from kgov.checks import gateway_cel
from kgov.data import data_text

PAIRS = ROOT / "tests" / "data" / "cel_pairs.jsonl.gz"

# The one class of difference: cel-python leaves undecided a rule whose error inside a macro is absorbed
# by the other side of `||` (CEL's logical operators are commutative over errors, as cel-go's are);
# cel-cpp decides it. test_a_logical_operator_absorbs_an_error_its_other_side_decides.
ABSORBED = {
    "self.all(l1, !has(l1.name) || self.exists_one(l2, has(l2.name) && l1.name == l2.name))",
    "self.all(x, !has(x.n) || self.exists_one(y, has(y.n) && x.n == y.n))",
}


def _verdict(rule: str, value: Any) -> bool | None:
    """cel-cpp's verdict as the reference gives it: an evaluation error the API server rejects on (a
    missing key, test_gateway_cel.py) is an error, None, to cel-python."""
    holds = gateway_cel._decides(rule, gateway_cel._activation(value))
    return None if isinstance(holds, str) else holds


@cache
def _pairs() -> list[tuple[str, str, bool | None]]:
    with gzip.open(PAIRS, "rt", encoding="utf-8") as lines:
        return [tuple(json.loads(line)) for line in lines]  # type: ignore[misc]


def test_every_recorded_pair_gets_the_earlier_verdict() -> None:
    pairs = _pairs()
    assert len(pairs) > 10_000 and len({rule for rule, _, _ in pairs}) > 85
    differences = [
        (rule, before, now)
        for rule, value, before in pairs
        if (now := _verdict(rule, json.loads(value))) is not before
    ]
    assert {rule for rule, _, _ in differences} <= ABSORBED
    assert {(before, now) for _, before, now in differences} <= {(None, True), (None, False)}


def _escaped_schema(node: Any) -> Any:
    """A structure schema with reserved property names as the rules read them (`__namespace__`)."""
    if isinstance(node, list):
        return [_escaped_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    escaped = {
        key: _escaped_schema(item) for key, item in node.items() if key not in ("properties", "required")
    }
    if "properties" in node:
        escaped["properties"] = {
            gateway_cel._cel_name(name): _escaped_schema(item) for name, item in node["properties"].items()
        }
    if "required" in node:
        escaped["required"] = [gateway_cel._cel_name(name) for name in node["required"]]
    return escaped


@cache
def _structures() -> dict[str, list[Draft202012Validator]]:
    """For each bundled rule, the structure of every field it is declared on."""
    found: dict[str, list[Draft202012Validator]] = {}

    def walk(rules: dict[str, Any], schema: dict[str, Any]) -> None:
        for rule in rules.get("rules", ()):
            found.setdefault(rule["rule"], []).append(Draft202012Validator(_escaped_schema(schema)))
        for name, child in rules.get("properties", {}).items():
            walk(child, schema["properties"][name])
        for key in ("items", "additionalProperties"):
            if key in rules:
                walk(rules[key], schema[key])

    schemas = json.loads(data_text("gateway-schemas.json"))
    for kind, versions in json.loads(data_text("gateway-rules.json")).items():
        for version, tree in versions.items():
            walk(tree, schemas[kind][version])
    return found


def _mutations(value: Any) -> st.SearchStrategy[Any]:
    """The value with parts dropped, repeated or emptied, or a string, number or boolean replaced by
    another of its type."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.just(value), st.integers(-1, 70_000))
    if isinstance(value, str):
        return st.one_of(st.just(value), _STRINGS)
    if isinstance(value, dict):
        if not value:
            return st.just(value)
        keys = sorted(value)
        return st.one_of(
            st.just(value),
            st.sampled_from(keys).map(lambda k: {n: v for n, v in value.items() if n != k}),
            st.sampled_from(keys).flatmap(lambda k: _mutations(value[k]).map(lambda new: {**value, k: new})),
        )
    if isinstance(value, list) and value:
        indices = st.integers(0, len(value) - 1)
        return st.one_of(
            st.just(value),
            st.just([]),
            indices.map(lambda i: value[:i] + value[i + 1 :]),
            indices.map(lambda i: [*value, value[i]]),
            indices.flatmap(
                lambda i: _mutations(value[i]).map(lambda new: [*value[:i], new, *value[i + 1 :]])
            ),
        )
    return st.just(value)


_STRINGS = st.sampled_from(
    [
        "",
        "a",
        "Exact",
        "PathPrefix",
        "RegularExpression",
        "/",
        "/a//b",
        "/a/../b",
        "/%2F",
        "/é",
        "#",
        "*.example.com",
        "example.com",
        "10.0.0.1",
        "2001:db8::1",
        "1h",
        "0s",
        "90m",
        "1h1ms",
        "Service",
        "Gateway",
        "HTTP",
        "HTTPS",
        "TLS",
        "Terminate",
        "Hostname",
        "IPAddress",
        "URLRewrite",
        "RequestRedirect",
        "ReplacePrefixMatch",
        "ReplaceFullPath",
        "x" * 254,
    ]
)


@st.composite
def _derived(draw: st.DrawFn) -> tuple[str, Any]:
    """A recorded value of a bundled rule, changed, that still matches the structure of a field the rule
    is declared on (what gateway.validation-rule evaluates: gateway.schema-invalid reports the rest)."""
    rule, value, _ = draw(st.sampled_from([pair for pair in _pairs() if pair[0] in _structures()]))
    derived = draw(_mutations(json.loads(value)))
    assume(any(structure.is_valid(derived) for structure in _structures()[rule]))
    return rule, derived


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(_derived())
def test_derived_values_get_the_earlier_verdict(pair: tuple[str, Any]) -> None:
    rule, value = pair
    before, now = reference_holds(rule, value), _verdict(rule, value)
    assert now is before or (rule in ABSORBED and before is None)
