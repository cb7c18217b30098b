"""The quick structure test agrees with jsonschema: it accepts only what jsonschema finds no error in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import require_shared
from kgov.checks import gateway_schema
from kgov.checks.gateway_structure import accepts
from kgov.sources.files import LoadResult, discover, load_text, read_source

ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "parentRefs": [{"name": "public"}],
        "hostnames": ["shop.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": "web", "port": 80, "weight": 1}],
            }
        ],
    },
}


def _verdicts(document: dict[str, Any]) -> tuple[bool, bool]:
    kind = f"gateway.networking.k8s.io/{document['kind']}"
    version = document["apiVersion"].rpartition("/")[2]
    validator = gateway_schema._validator(kind, version)
    return gateway_schema._accepts(kind, version)(document), validator.is_valid(document)


def _variants(value: Any) -> Iterator[Any]:
    """Copies of a document with one value changed: each way the structure can break, and a few it
    allows."""
    if isinstance(value, dict):
        yield {**value, "unknownField": 1}
        for key, item in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for wrong in (None, 1.0, True, "x" * 300, [item], {"k": item}):
                yield {**value, key: wrong}
            for variant in _variants(item):
                yield {**value, key: variant}
    elif isinstance(value, list) and value:
        yield [*value, *value]
        yield [*value] * 20
        yield []
        for variant in _variants(value[0]):
            yield [variant, *value[1:]]
    elif isinstance(value, int) and not isinstance(value, bool):
        yield from (value + 0.5, float(value), -1, 1 << 40)


def test_every_change_to_a_route_is_accepted_only_where_jsonschema_finds_no_error() -> None:
    counts = {(True, True): 0, (False, True): 0, (False, False): 0, (True, False): 0}
    for variant in _variants(copy.deepcopy(ROUTE)):
        if variant.get("kind") != "HTTPRoute" or variant.get("apiVersion") != ROUTE["apiVersion"]:
            continue
        counts[_verdicts(variant)] += 1
    assert counts[(True, False)] == 0
    assert counts[(True, True)] > 0 and counts[(False, False)] > 0


@pytest.mark.corpus
def test_it_agrees_with_jsonschema_on_every_gateway_api_object_of_the_corpus() -> None:
    sources, errors = discover([str(require_shared("corpus/manifests"))])
    loaded = LoadResult(errors=errors)
    for source in sources:
        loaded.extend(read_source(source))
    agreed = []
    for obj in loaded.objects:
        group, _, version = obj.api_version.rpartition("/")
        if gateway_schema.crd_schema(f"{group}/{obj.kind}", version) is None:
            continue
        document = {k: v for k, v in obj.raw.items() if k != "status"}
        accepted, valid = _verdicts({**document, "apiVersion": obj.api_version})
        assert accepted == valid, obj.display()
        agreed.append(valid)
    assert len(agreed) > 1000 and not all(agreed)


def test_a_value_it_does_not_decide_is_left_to_jsonschema() -> None:
    # JSON Schema's integer is any number with no fraction: `80.0` is one.
    route = copy.deepcopy(ROUTE)
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 80.0
    assert _verdicts(route) == (False, True)
    text = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  parentRefs: [{name: public}]\n  rules: [{backendRefs: [{name: web, port: 80.0}]}]\n"
    )
    assert gateway_schema._structure_errors(load_text(text, "route.yaml").objects[0]) == ()


@pytest.mark.parametrize(
    "node",
    [
        {"type": "string", "format": "hostname"},  # a keyword it does not know
        {"type": ["string", "null"]},
        {"type": "integer", "enum": [1, True]},  # JSON Schema tells 1 and true apart; a set does not
        {"type": "boolean", "enum": [True]},
    ],
)
def test_what_it_cannot_read_it_never_accepts(node: dict[str, Any]) -> None:
    assert not accepts(node)(1) and not accepts(node)("a") and not accepts(node)(True)


@pytest.mark.parametrize(
    ("node", "value"),
    [
        ({"type": "array", "enum": [["a"]]}, ["b"]),
        ({"type": "object", "enum": [{"a": 1}]}, {"a": 2}),
        ({"type": "boolean", "enum": [True]}, False),
    ],
)
def test_an_enum_on_a_type_whose_test_does_not_read_it_is_left_to_jsonschema(
    node: dict[str, Any], value: Any
) -> None:
    assert not accepts(node)(value)
