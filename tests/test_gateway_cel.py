"""gateway.validation-rule: the CRDs' CEL rules as bundled, evaluated on cel-cpp."""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import ROOT, require_shared
from helpers import run_checks
from kgov.checks import gateway_cel, gateway_schema
from kgov.data import data_text
from kgov.model.objects import KubeObject

CHECK = "gateway.validation-rule"


def _rules(node: dict[str, Any]) -> Iterator[str]:
    yield from (rule["rule"] for rule in node.get("rules", ()))
    for child in [*node.get("properties", {}).values(), node.get("items"), node.get("additionalProperties")]:
        if child is not None:
            yield from _rules(child)


def _all_rules() -> set[str]:
    trees = json.loads(data_text("gateway-rules.json"))
    return {rule for versions in trees.values() for tree in versions.values() for rule in _rules(tree)}


def test_the_rules_file_follows_its_schema() -> None:
    schema = json.loads(data_text("gateway-rules.schema.json"))
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(json.loads(data_text("gateway-rules.json")))) == []


def test_the_generated_files_match_the_crds() -> None:
    """scripts/gateway-schemas, run on the v1.6.1 Experimental CRDs, writes exactly the bundled files."""
    script = runpy.run_path(str(ROOT / "scripts" / "gateway-schemas"))
    schemas, rules = script["tables"](str(require_shared("corpus/crds/gateway-api-experimental")))
    assert json.loads(data_text("gateway-schemas.json")) == schemas
    assert json.loads(data_text("gateway-rules.json")) == rules


def test_every_bundled_rule_but_the_format_library_compiles() -> None:
    """Transition rules are never evaluated; Kubernetes' format library is not provided."""
    rules = {rule for rule in _all_rules() if "oldSelf" not in rule}
    assert len(rules) > 80
    assert [rule for rule in rules if gateway_cel._program(rule) is None] == [
        "size(self) == 0 || format.dns1123Label().validate(self) == null"
    ]


def test_the_rules_of_one_value_compile_together() -> None:
    """Each value's rules run as one program (each alone only where one does not hold): the programs
    compile, but where a rule of the format library is among them."""
    nodes = [
        gateway_cel._plan(kind, version)
        for kind, versions in gateway_cel._trees().items()
        for version in versions
    ]
    joints = [joint for node in nodes if node is not None for joint in _joints(node)]
    assert len(joints) > 40
    assert [joint for joint in joints if gateway_cel._program(joint) is None] == [
        joint for joint in joints if "format.dns1123Label()" in joint
    ]


def _joints(node: gateway_cel._Node) -> Iterator[str]:
    if node.joint is not None:
        yield node.joint
    for child in [*(child for _, child in node.properties), node.items, node.values]:
        if child is not None:
            yield from _joints(child)


@pytest.mark.parametrize(
    ("rule", "value", "decided"),
    [
        ("self.all(h, !isIP(h))", ["db.example.com"], True),
        ("self.all(h, !isIP(h))", ["db.example.com", "2001:db8::1"], False),
        # the API server's isIP refuses zones, IPv4-mapped IPv6 (either spelling) and leading zeros
        ("isIP(self)", "fe80::1%eth0", False),
        ("isIP(self)", "::ffff:192.0.2.1", False),
        ("isIP(self)", "::ffff:c000:201", False),
        ("isIP(self)", "192.0.2.01", False),
        ("isIP(self)", "192.0.2.1", True),
        ('self.all(key, key.split("/")[0].size() < 253)', {"example.com/team": "a"}, True),
        ('self.all(key, key.split("/")[0].size() < 253)', {"a" * 253 + "/team": "a"}, False),
        ("self.substring(2) == 'example.com'", "*.example.com", True),
        ("self.substring(2, 4) == 'ex'", "*.example.com", True),
        ("self.substring(20) == ''", "short", None),  # out of range: an evaluation error, undecided
        ("!(duration(self) < duration('1s') || duration(self) > duration('1h'))", "59m60s", True),
        ("!(duration(self) < duration('1s') || duration(self) > duration('1h'))", "1h1ms", False),
        ("format.dns1123Label().validate(self) == null", "http", None),  # not provided: undecided
        ("self.size() == 5", "héllo", True),  # characters, not bytes
    ],
)
def test_kubernetes_functions(rule: str, value: Any, decided: bool | None) -> None:
    assert holds(rule, value) is decided


def holds(rule: str, value: Any) -> bool | str | None:
    """The rule on the value, as the check evaluates it."""
    return gateway_cel._decides(rule, gateway_cel._activation(value))


# A Gateway of the right structure that breaks a rule: two equal IP addresses.
DUPLICATE_ADDRESSES = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: edge
  addresses: [{value: 203.0.113.10}, {value: 203.0.113.10}]
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""
# A BackendTLSPolicy of the wrong structure: the field is `wellKnownCACertificates`.
MISSPELT_CA_CERTS = """apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: api-tls, namespace: shop}
spec:
  targetRefs: [{group: "", kind: Service, name: api}]
  validation: {hostname: api.shop.svc, wellKnownCACerts: System}
"""


def _one(text: str) -> tuple[list[Any], list[str]]:
    evaluation = run_checks(text, [CHECK])
    findings = [f for f in evaluation.findings if f.check == CHECK]
    return findings, [s.reason for s in evaluation.skipped if s.check == CHECK and s.undecided]


def test_defaults_are_filled_in_before_the_rules_run() -> None:
    """The address type defaults to IPAddress: two untyped equal values are duplicate IP addresses."""
    findings, _ = _one(DUPLICATE_ADDRESSES)
    assert [f.evidence["problems"][0]["path"] for f in findings] == ["spec.addresses"]
    assert "IPAddress values must be unique" in findings[0].message


def test_each_broken_rule_is_listed_with_its_field_path() -> None:
    findings, _ = _one(
        """apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: api-tls, namespace: shop}
spec:
  targetRefs: [{group: "", kind: Service, name: api}]
  validation:
    hostname: api.shop.svc
    wellKnownCACertificates: System
    subjectAltNames:
      - {type: Hostname, hostname: api.example.com}
      - {type: URI, hostname: api.example.com}
"""
    )
    assert len(findings) == 1
    problems = findings[0].evidence["problems"]
    assert {p["path"] for p in problems} == {"spec.validation.subjectAltNames[1]"}
    assert {p["message"] for p in problems} == {
        "SubjectAltName element must contain URI, if Type is set to URI",
        "SubjectAltName element must not contain Hostname, if Type is not set to Hostname",
    }
    assert "(and 1 more)" in findings[0].message


def test_transition_rules_and_unrunnable_rules_are_undecided() -> None:
    findings, undecided = _one(
        """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: edge}
spec: {controllerName: example.com/gateway}
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {name: api, namespace: shop}
spec:
  type: ExternalHostname
  externalHostname: {hostname: api.example.com}
  port: {port: 443, name: https}
"""
    )
    assert findings == []
    assert sorted(undecided) == [
        "1 CEL rule the evaluator cannot run",
        "1 transition rule (oldSelf: needs the live object)",
    ]


@pytest.mark.parametrize("name", ["https", "Not_A_Label", ""])
def test_a_rule_of_the_format_library_is_undecided_whatever_the_value(name: str) -> None:
    """XBackend's port name rule calls Kubernetes' format library (`format.dns1123Label()`), which the
    evaluator does not provide: a name that is a DNS label and one that is not get the same answer,
    undecided, never a pass or a finding (nor the empty name, which `size(self) == 0` would let
    through)."""
    findings, undecided = _one(
        f"""apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata: {{name: api, namespace: shop}}
spec:
  type: ExternalHostname
  externalHostname: {{hostname: api.example.com}}
  port: {{port: 443, name: "{name}"}}
"""
    )
    assert (findings, undecided) == ([], ["1 CEL rule the evaluator cannot run"])


def test_a_structurally_invalid_object_is_left_to_schema_invalid() -> None:
    findings, undecided = _one(MISSPELT_CA_CERTS)
    assert findings == [] and undecided == []


def test_each_object_is_checked_against_its_structure_once_for_both_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[str] = []
    structure_errors = gateway_schema._structure_errors

    def counted(obj: KubeObject) -> Any:
        checked.append(obj.name)
        return structure_errors(obj)

    monkeypatch.setattr(gateway_schema, "_structure_errors", counted)
    evaluation = run_checks(
        f"{DUPLICATE_ADDRESSES}---\n{MISSPELT_CA_CERTS}",
        ["gateway.schema-invalid", CHECK],
    )
    assert sorted(checked) == ["api-tls", "public"]
    assert sorted((f.check, f.target.name) for f in evaluation.findings) == [
        ("gateway.schema-invalid", "api-tls"),
        (CHECK, "public"),
    ]
    assert "wellKnownCACerts" in next(f.message for f in evaluation.findings if f.target.name == "api-tls")


def test_the_full_validator_is_built_only_for_an_object_the_quick_test_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """jsonschema words the differences; an object of the right structure never needs it."""
    built: list[str] = []
    validator = gateway_schema._validator.__wrapped__

    def counted(kind: str, version: str) -> Any:
        built.append(kind)
        return validator(kind, version)

    monkeypatch.setattr(gateway_schema, "_validator", counted)
    valid = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: edge
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""
    assert run_checks(valid, ["gateway.schema-invalid", CHECK]).findings == []
    assert built == []
    invalid = valid.replace("protocol: HTTP}", "protocol: HTTP, unknownField: 1}")
    assert [f.check for f in run_checks(invalid, ["gateway.schema-invalid"]).findings] == [
        "gateway.schema-invalid"
    ]
    assert built == ["gateway.networking.k8s.io/Gateway"]


def test_rules_on_route_rules_are_left_to_invalid_route() -> None:
    """Two RequestHeaderModifier filters in one rule break a CEL rule that gateway.invalid-route reports."""
    text = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra}]
  rules:
    - filters:
        - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: b}]}}
        - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: c, value: d}]}}
      backendRefs: [{name: web, port: 80}]
"""
    assert _one(text) == ([], [])
    evaluation = run_checks(text, ["gateway.invalid-route"])
    assert [f.check for f in evaluation.findings] == ["gateway.invalid-route"]


def test_route_rules_the_hand_written_check_does_not_cover_are_decided_here() -> None:
    """invalid-route is silent on a mirror backendRef without a port; the CRD's rule decides it."""
    text = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra}]
  rules:
    - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow}}}]
      backendRefs: [{name: reviews, port: 8080}]
"""
    assert run_checks(text, ["gateway.invalid-route"]).findings == []
    findings, _ = _one(text)
    assert [p["message"] for p in findings[0].evidence["problems"]] == [
        "Must have port for Service reference"
    ]


def test_a_rule_stopped_by_an_absent_field_rejects_the_object_as_the_api_server_does() -> None:
    """apiextensions-apiserver turns an evaluation error into a field error ("<error> evaluating rule:
    <message>"), so the object is refused: a missing key is as much a rejection as a false rule."""
    assert holds("self[0].matches.size() <= 8", [{"name": "a"}]) == "no such key: matches"
    findings, undecided = _one(
        """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: edge
  listeners: [{name: https, port: 443, protocol: HTTPS, tls: {mode: Terminate}}]
"""
    )
    assert undecided == []
    assert [(p["path"], p["message"]) for p in findings[0].evidence["problems"]] == [
        (
            "spec.listeners[0].tls",
            "no such key: certificateRefs evaluating rule: "
            "certificateRefs or options must be specified when mode is Terminate",
        )
    ]


def test_an_evaluation_error_that_may_depend_on_typing_is_undecided() -> None:
    """Arithmetic and overload errors can hang on a value's type, which the API server takes from the
    schema (a `number` is a double) and kgov from the YAML: no verdict either way."""
    assert holds("self.a / self.b == 1", {"a": 1, "b": 0}) is None
    assert holds("self.a < 1", {"a": "x"}) is None


def test_a_logical_operator_absorbs_an_error_its_other_side_decides() -> None:
    """CEL's `||` is true when either side is true, even if the other is an error (cel-go's
    commutative logical operators). Here `x.n` fails for the first item inside exists_one, and
    `!has(x.n)` decides: rule names are unique. cel-python, the earlier evaluator, left it undecided."""
    rule = "self.all(l1, !has(l1.name) || self.exists_one(l2, has(l2.name) && l1.name == l2.name))"
    assert holds(rule, [{"matches": []}, {"name": "a"}]) is True
    assert holds(rule, [{"name": "a"}, {"name": "a"}]) is False
    assert holds("self.a.b == 1 || true", {"a": {}}) is True
    assert holds("self.a.b == 1 && false", {"a": {}}) is False


_TWO_PARENTS = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs:
    - {name: public, namespace: edge-a, sectionName: https}
    - {name: public, namespace: edge-b}
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""


def test_a_property_named_after_a_reserved_word_is_read_as_the_api_server_gives_it() -> None:
    """`namespace` is a CEL reserved word: the rules read a parentRef's namespace as `__namespace__`.
    Two Gateways named alike in two namespaces are two parents, so one may have a sectionName and the
    other not (read without the namespace, this was reported as a broken rule)."""
    assert _one(_TWO_PARENTS) == ([], [])
    rule = next(r for r in _all_rules() if "__namespace__" in r and r.startswith("self.all(p1, self.all(p2"))
    refs = [{"group": "g", "kind": "Gateway", "name": "public", "__namespace__": "a", "sectionName": "https"}]
    assert holds(rule, [*refs, {**refs[0], "__namespace__": "b", "sectionName": ""}]) is True
    assert holds(rule, [*refs, {**refs[0], "sectionName": ""}]) is False


def test_map_keys_are_not_escaped_and_the_object_is_left_as_read() -> None:
    """Only an object's properties are renamed: a map's keys (here `options`) stay as written. The
    renaming is on a copy: the object's own data is what the other checks read."""
    schema = {"properties": {"namespace": {}, "options": {"additionalProperties": {}}, "name": {}}}
    value = {"namespace": "a", "options": {"namespace": "b"}, "name": "c"}
    node = gateway_cel._node(None, gateway_cel._cut_to_reserved(schema))
    assert gateway_cel._walk(value, node, "", []) == {
        "options": {"namespace": "b"},
        "name": "c",
        "__namespace__": "a",
    }
    assert value == {"namespace": "a", "options": {"namespace": "b"}, "name": "c"}
    assert gateway_cel._cut_to_reserved({"properties": {"name": {}}}) is None
