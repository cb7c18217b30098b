"""The CRDs in crds/: valid apiextensions.k8s.io/v1 objects with structural schemas, the names users
type, and schemas that accept what the operator writes and refuse what it must not."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest
from harness import emulated_cluster, kube, load_crds, openapi_to_jsonschema, validator_for

from kgov.engine.failures import CHECK, Failure
from kgov.engine.resources import (
    MAX_FAILURES_LISTED,
    MAX_NAME,
    MAX_REASON,
    MAX_RELATED,
    MAX_TEXT,
    ReportFacts,
    finding_body,
    report_body,
)
from kgov.findings.model import Category, Finding, Severity
from kgov.model.objects import ObjectRef

# The shape of a CustomResourceDefinition, as far as these CRDs use it (apiextensions.k8s.io/v1).
CRD_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "apiextensions.k8s.io/v1"},
        "kind": {"const": "CustomResourceDefinition"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9.-]+$"}},
        },
        "spec": {
            "type": "object",
            "required": ["group", "names", "scope", "versions"],
            "additionalProperties": False,
            "properties": {
                "group": {"type": "string"},
                "scope": {"enum": ["Namespaced", "Cluster"]},
                "names": {
                    "type": "object",
                    "required": ["kind", "plural"],
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"},
                        "listKind": {"type": "string"},
                        "plural": {"type": "string", "pattern": "^[a-z0-9]+$"},
                        "singular": {"type": "string", "pattern": "^[a-z0-9]+$"},
                        "shortNames": {
                            "type": "array",
                            "items": {"type": "string", "pattern": "^[a-z0-9]+$"},
                        },
                        "categories": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "versions": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "served", "storage", "schema"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "pattern": "^v[0-9]+((alpha|beta)[0-9]+)?$"},
                            "served": {"type": "boolean"},
                            "storage": {"type": "boolean"},
                            "subresources": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"status": {"type": "object", "maxProperties": 0}},
                            },
                            "additionalPrinterColumns": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "type", "jsonPath"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "name": {"type": "string"},
                                        "type": {"enum": ["integer", "number", "string", "boolean", "date"]},
                                        "jsonPath": {"type": "string", "pattern": r"^\.[A-Za-z0-9.]+$"},
                                        "priority": {"type": "integer", "minimum": 0},
                                        "description": {"type": "string"},
                                        "format": {"type": "string"},
                                    },
                                },
                            },
                            "schema": {
                                "type": "object",
                                "required": ["openAPIV3Schema"],
                                "properties": {"openAPIV3Schema": {"type": "object"}},
                            },
                        },
                    },
                },
            },
        },
    },
}

# Keywords a structural schema may use (apiextensions.k8s.io/v1 JSONSchemaProps, as used here).
ALLOWED = {
    "type", "description", "properties", "required", "items", "additionalProperties", "enum",
    "format", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems",
    "nullable", "x-kubernetes-preserve-unknown-fields",
}  # fmt: skip
TYPES = {"object", "array", "string", "integer", "number", "boolean"}


def structural_problems(schema: Mapping[str, Any], where: str = "") -> Iterator[str]:
    """The rules of a structural schema: every node has a type (unless it preserves unknown fields),
    no keyword outside the allowed set, not both properties and additionalProperties, array items
    given, and the root's metadata restricted to `type: object`."""
    unknown = set(schema) - ALLOWED
    if unknown:
        yield f"{where or '/'}: keywords not allowed: {sorted(unknown)}"
    if "type" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        yield f"{where or '/'}: no type"
    elif "type" in schema and schema["type"] not in TYPES:
        yield f"{where}: unknown type {schema['type']!r}"
    if "properties" in schema and "additionalProperties" in schema:
        yield f"{where}: both properties and additionalProperties"
    if schema.get("type") == "array" and "items" not in schema:
        yield f"{where}: array without items"
    if schema.get("type") == "object" and "required" in schema:
        missing = set(schema["required"]) - set(schema.get("properties", {}))
        if missing:
            yield f"{where}: required but not defined: {sorted(missing)}"
    for name, sub in schema.get("properties", {}).items():
        if where == "" and name == "metadata" and set(sub) - {"type"}:
            yield "/metadata: only `type: object` is allowed at the root"
        yield from structural_problems(sub, f"{where}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            yield from structural_problems(schema[key], f"{where}/{key}")


CRDS = {crd["spec"]["names"]["kind"]: crd for crd in load_crds()}


def _schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = CRDS[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("kind", sorted(CRDS))
def test_crd_is_a_valid_v1_crd_with_a_structural_schema(kind: str) -> None:
    crd = CRDS[kind]
    jsonschema.validate(crd, CRD_SHAPE)
    assert list(structural_problems(_schema(kind))) == []
    spec = crd["spec"]
    assert crd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}"
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


def test_structural_checker_finds_problems() -> None:
    bad = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
            "spec": {"properties": {"list": {"type": "array"}}, "additionalProperties": {"type": "string"}},
            "odd": {"type": "object", "$ref": "#/x", "required": ["gone"]},
        },
    }
    problems = list(structural_problems(bad))
    assert any("/metadata" in p for p in problems)
    assert any("/spec: no type" in p for p in problems)
    assert any("both properties and additionalProperties" in p for p in problems)
    assert any("array without items" in p for p in problems)
    assert any("$ref" in p for p in problems)
    assert any("required but not defined" in p for p in problems)


def test_names_users_type() -> None:
    names = {kind: (c["spec"]["names"], c["spec"]["scope"]) for kind, c in CRDS.items()}
    assert names["Finding"][0]["plural"] == "findings"
    assert names["Finding"][0]["shortNames"] == ["kgf"]
    assert names["Finding"][1] == "Namespaced"
    assert names["ClusterFinding"][0]["shortNames"] == ["kgcf"]
    assert names["ClusterFinding"][1] == "Cluster"
    assert names["GovernanceReport"][0]["shortNames"] == ["kgr"]
    assert names["GovernanceReport"][1] == "Cluster"
    assert all(n["categories"] == ["kgov"] for n, _ in names.values())
    assert {c["spec"]["group"] for c in CRDS.values()} == {"kgov.io"}


@pytest.mark.parametrize("kind", ["Finding", "ClusterFinding"])
def test_finding_printer_columns(kind: str) -> None:
    columns = CRDS[kind]["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [(c["name"], c["jsonPath"], c.get("priority", 0)) for c in columns] == [
        ("Check", ".spec.check", 0),
        ("Severity", ".spec.severity", 0),
        ("Target", ".spec.target.ref", 0),
        ("Age", ".metadata.creationTimestamp", 0),
        ("Message", ".spec.message", 1),
    ]


def test_finding_and_cluster_finding_share_one_schema() -> None:
    assert _schema("Finding")["properties"] == _schema("ClusterFinding")["properties"]


def test_enums_match_the_code() -> None:
    spec = _schema("Finding")["properties"]["spec"]
    assert spec["properties"]["severity"]["enum"] == [s.value for s in Severity]
    assert spec["properties"]["category"]["enum"] == [c.value for c in Category]
    assert set(spec["required"]) == {"check", "category", "severity", "target", "message"}
    assert spec["properties"]["evidence"]["x-kubernetes-preserve-unknown-fields"] is True
    report = _schema("GovernanceReport")["properties"]["status"]["properties"]["bySeverity"]
    assert list(report["properties"]) == [s.value for s in Severity]


FINDING: dict[str, Any] = {
    "apiVersion": "kgov.io/v1alpha1",
    "kind": "Finding",
    "metadata": {"name": "deployment-web-qos-best-effort-19a57d58", "namespace": "shop"},
    "spec": {
        "check": "qos.best-effort",
        "category": "resources",
        "severity": "high",
        "target": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "ref": "Deployment/web"},
        "related": [{"kind": "HorizontalPodAutoscaler", "name": "web"}],
        "message": "Deployment shop/web runs BestEffort pods",
        "evidence": {"qosClass": "BestEffort", "containers": ["app"], "nested": {"any": [1, {"x": None}]}},
        "remediation": "Set requests.",
    },
    "status": {"firstSeen": "2026-11-22T10:00:00Z", "lastEvaluated": "2026-11-22T10:05:00Z"},
}


def _broken(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(FINDING)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return body


def test_finding_schema_accepts_a_finding() -> None:
    assert list(validator_for("Finding").iter_errors(FINDING)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.severity", "urgent"),
        ("spec.category", "security"),
        ("spec.check", "Not A Check"),
        ("spec.check", None),
        ("spec.message", None),
        ("spec.target.ref", None),
        ("spec.related", [{"name": "no-kind"}]),
        ("status.firstSeen", "yesterday"),
    ],
)
def test_finding_schema_refuses(path: str, value: Any) -> None:
    assert list(validator_for("Finding").iter_errors(_broken(path, value))), (path, value)


def test_nullable_fields_become_null_types() -> None:
    schema = openapi_to_jsonschema({"type": "string", "nullable": True, "x-kubernetes-int-or-string": True})
    assert schema == {"type": ["string", "null"]}


def test_crds_load_into_the_emulator_and_are_discovered() -> None:
    with emulated_cluster(objects=[]) as cluster:
        status, discovery = kube(cluster, "GET", "/apis/kgov.io/v1alpha1")
        status_list, listed = kube(cluster, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    assert status == 200 and status_list == 200
    resources = {r["name"]: r for r in discovery["resources"]}
    assert resources["findings"]["shortNames"] == ["kgf"]
    assert resources["findings"]["categories"] == ["kgov"]
    assert resources["findings"]["namespaced"] is True
    assert resources["clusterfindings"]["namespaced"] is False
    assert {"findings/status", "clusterfindings/status", "governancereports/status"} <= set(resources)
    names = {item["metadata"]["name"] for item in listed["items"]}
    assert {"findings.kgov.io", "clusterfindings.kgov.io", "governancereports.kgov.io"} <= names
    assert json.dumps(listed)  # plain JSON all the way through


def _crowded_finding(related: int, message_length: int) -> Finding:
    return Finding(
        check="ingress.annotation-drift",
        category=Category.INGRESS,
        severity=Severity.MEDIUM,
        target=ObjectRef("Ingress", "web-0", "shop", "networking.k8s.io/v1", "uid-0"),
        message="x" * message_length,
        remediation="Keep one copy of the block.",
        related=tuple(
            ObjectRef("Ingress", f"web-{i}", "shop", "networking.k8s.io/v1") for i in range(related)
        ),
    )


@pytest.mark.parametrize("kind", ["Finding", "ClusterFinding"])
def test_limits_in_the_code_are_the_crds(kind: str) -> None:
    [crd] = [c for c in load_crds() if c["spec"]["names"]["kind"] == kind]
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert spec["related"]["maxItems"] == MAX_RELATED
    assert spec["message"]["maxLength"] == spec["remediation"]["maxLength"] == MAX_TEXT


def test_a_crowded_finding_fits_its_crd() -> None:
    # 130 Ingresses sharing one annotation block, and a message longer than the API server takes.
    body = finding_body(_crowded_finding(related=130, message_length=5_173))
    body["status"] = FINDING["status"]
    assert list(validator_for("Finding").iter_errors(body)) == []
    assert len(body["spec"]["related"]) == MAX_RELATED
    assert body["spec"]["evidence"] == {"relatedTotal": 130, "relatedNotListed": 30}
    message = body["spec"]["message"]
    assert len(message) <= MAX_TEXT and message.endswith("more characters not shown]")
    assert message.startswith("x" * 4000)
    # Within the limits nothing changes.
    small = finding_body(_crowded_finding(related=3, message_length=200))
    assert len(small["spec"]["related"]) == 3 and small["spec"]["message"] == "x" * 200
    assert small["spec"]["evidence"] == {}


def test_report_failure_limits_in_the_code_are_the_crds() -> None:
    status = CRDS["GovernanceReport"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    failures = status["status"]["properties"]["failures"]["properties"]
    assert failures["items"]["maxItems"] == MAX_FAILURES_LISTED
    item = failures["items"]["items"]["properties"]
    assert item["reason"]["maxLength"] == MAX_REASON
    assert {item[k]["maxLength"] for k in ("kind", "namespace", "name", "check")} == {MAX_NAME}


def test_a_report_with_many_long_failures_fits_its_crd() -> None:
    failures = [
        Failure(CHECK, "Deployment", "shop", f"web-{i:03}", "qos.best-effort", "TypeError: " + "x" * 3000)
        for i in range(130)
    ]
    body = report_body(ReportFacts(failures=failures))
    assert list(validator_for("GovernanceReport").iter_errors(body)) == []
    listed = body["status"]["failures"]
    assert (listed["total"], listed["notListed"], len(listed["items"])) == (130, 30, MAX_FAILURES_LISTED)
    assert listed["items"][0]["reason"].endswith("more characters not shown]")
