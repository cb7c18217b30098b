"""`kgov convert`: each annotation family and output kind, the Gateway API CRD schemas, the static CEL
checks of `kgov scan`, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import require_shared
from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.cli import main
from kgov.config import Config
from kgov.findings.model import Finding, Severity
from kgov.inventory import Inventory
from kgov.migration.convert import convert
from kgov.migration.convert_model import Conversion, ConvertOptions
from kgov.model.objects import object_from_dict
from kgov.sources.files import read_source
from kube_emulator import running_emulator

P = "nginx.ingress.kubernetes.io/"


def ingress(
    name: str = "web",
    host: str | None = "shop.example.com",
    paths: list[tuple[str, str, str, int | str]] | None = None,
    annotations: dict[str, str] | None = None,
    tls: list[dict[str, Any]] | None = None,
    namespace: str | None = "shop",
    default_backend: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """paths: (path, pathType, service, port number or name)."""
    rules_paths = [
        {
            "path": path,
            "pathType": path_type,
            "backend": {
                "service": {
                    "name": svc,
                    "port": {"number": port} if isinstance(port, int) else {"name": port},
                }
            },
        }
        for path, path_type, svc, port in (paths if paths is not None else [("/", "Prefix", "web", 80)])
    ]
    spec: dict[str, Any] = {"ingressClassName": "nginx"}
    if rules_paths:
        rule: dict[str, Any] = {"http": {"paths": rules_paths}}
        if host is not None:
            rule["host"] = host
        spec["rules"] = [rule]
    if tls is not None:
        spec["tls"] = tls
    if default_backend is not None:
        spec["defaultBackend"] = {
            "service": {"name": default_backend[0], "port": {"number": default_backend[1]}}
        }
    metadata: dict[str, Any] = {
        "name": name,
        "annotations": {P + k: v for k, v in (annotations or {}).items()},
    }
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


def run(*docs: dict[str, Any], **options: Any) -> Conversion:
    conversion = convert(Inventory(object_from_dict(d) for d in docs), ConvertOptions(**options))
    for generated in conversion.objects:
        assert_valid(generated.obj)
    assert not static_findings(conversion), static_findings(conversion)
    return conversion


def objects(conversion: Conversion, kind: str) -> list[dict[str, Any]]:
    return [g.obj for g in conversion.objects if g.kind == kind]


def route(conversion: Conversion, name: str, kind: str = "HTTPRoute") -> dict[str, Any]:
    found = [o for o in objects(conversion, kind) if o["metadata"]["name"] == name]
    assert found, [o["metadata"]["name"] for o in objects(conversion, kind)]
    return found[0]


def notes(conversion: Conversion, level: str | None = None) -> dict[str, str]:
    return {n.key.removeprefix(P): n.reason for n in conversion.notes if level is None or n.level == level}


def rule_for(
    route_obj: dict[str, Any], path: str, headers: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    for rule in route_obj["spec"]["rules"]:
        for match in rule.get("matches", []):
            if match.get("path", {}).get("value") == path and match.get("headers") == headers:
                return dict(rule)
    raise AssertionError(f"no rule for {path} {headers}")


# ---- CRD schemas and the static CEL checks --------------------------------------------------------


@cache
def crd_schemas() -> dict[str, dict[str, Any]]:
    folder = require_shared("corpus/crds/gateway-api")
    schemas = {}
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                for version in doc["spec"]["versions"]:
                    if version["name"] == "v1":
                        schemas[doc["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return schemas


def schema_errors(obj: dict[str, Any]) -> list[str]:
    schema = crd_schemas()[obj["kind"]]
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]


def assert_valid(obj: dict[str, Any]) -> None:
    assert obj["apiVersion"] == "gateway.networking.k8s.io/v1"
    errors = schema_errors(obj)
    assert not errors, (obj["kind"], obj["metadata"]["name"], errors[:3])


def static_findings(conversion: Conversion) -> list[Finding]:
    registry = default_registry()
    config = Config()
    checks = select_checks(registry, config, [], [])
    inventory = Inventory(object_from_dict(g.obj) for g in conversion.objects)
    evaluation = evaluate(
        inventory, checks, config, resolve_params(registry, config), Capabilities(live=False)
    )
    assert not evaluation.errors
    return [f for f in evaluation.findings if f.severity.at_least(Severity.MEDIUM)]


def test_schema_and_cel_checks_catch_broken_output() -> None:
    """The validation the other tests rely on is not vacuous."""
    conversion = run(ingress(annotations={"x-forwarded-prefix": "/p"}))
    http_route = route(conversion, "web-shop-example-com")
    rule = http_route["spec"]["rules"][0]
    rule["filters"] = rule["filters"] * 2  # RequestHeaderModifier repeated: a CEL rule
    assert any(f.check == "gateway.invalid-route" for f in static_findings(conversion))
    http_route["spec"]["hostnames"] = ["Not_A_Host"]
    assert schema_errors(http_route)


# ---- topology -------------------------------------------------------------------------------------


def test_plain_ingress_gives_gateway_and_route() -> None:
    conversion = run(ingress(paths=[("/", "Prefix", "web", 80), ("/exact", "Exact", "web", 80)]))
    assert not conversion.notes
    (gateway,) = objects(conversion, "Gateway")
    assert gateway["metadata"] == {"name": "nginx", "namespace": "shop"}
    assert gateway["spec"]["gatewayClassName"] == "nginx"
    assert gateway["spec"]["listeners"] == [
        {"name": "shop-example-com-http", "hostname": "shop.example.com", "port": 80, "protocol": "HTTP"}
    ]
    http_route = route(conversion, "web-shop-example-com")
    assert http_route["spec"]["parentRefs"] == [{"name": "nginx", "sectionName": "shop-example-com-http"}]
    assert http_route["spec"]["hostnames"] == ["shop.example.com"]
    (rule,) = http_route["spec"]["rules"]
    assert rule["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/"}},
        {"path": {"type": "Exact", "value": "/exact"}},
    ]
    assert rule["backendRefs"] == [{"name": "web", "port": 80}]


def test_options_name_the_gateway_and_class() -> None:
    conversion = run(ingress(), gateway="edge", gateway_class="envoy")
    (gateway,) = objects(conversion, "Gateway")
    assert gateway["metadata"]["name"] == "edge"
    assert gateway["spec"]["gatewayClassName"] == "envoy"
    assert route(conversion, "web-shop-example-com")["spec"]["parentRefs"][0]["name"] == "edge"


def test_shared_gateway_namespace_grants_certificates_and_admits_routes() -> None:
    tls = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    conversion = run(ingress(tls=tls), gateway_namespace="infra", gateway="edge")
    (gateway,) = objects(conversion, "Gateway")
    assert gateway["metadata"]["namespace"] == "infra"
    https = next(lst for lst in gateway["spec"]["listeners"] if lst["protocol"] == "HTTPS")
    assert https["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "shop-tls", "namespace": "shop"}
    ]
    selector = https["allowedRoutes"]["namespaces"]
    assert selector["from"] == "Selector"
    assert selector["selector"]["matchExpressions"][0]["values"] == ["infra", "shop"]
    (grant,) = objects(conversion, "ReferenceGrant")
    assert grant["metadata"]["namespace"] == "shop"
    assert grant["spec"]["from"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra"}
    ]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "shop-tls"}]
    parent = route(conversion, "web-shop-example-com")["spec"]["parentRefs"][0]
    assert parent == {"name": "edge", "namespace": "infra", "sectionName": "shop-example-com-https"}


def test_shared_listeners() -> None:
    tls = [
        {"hosts": ["a.example.com"], "secretName": "a-tls"},
        {"hosts": ["b.example.com"], "secretName": "b-tls"},
    ]
    conversion = run(
        ingress("a", "a.example.com", tls=tls[:1]),
        ingress("b", "b.example.com", tls=tls[1:]),
        listeners="shared",
    )
    (gateway,) = objects(conversion, "Gateway")
    listeners = {lst["name"]: lst for lst in gateway["spec"]["listeners"]}
    assert set(listeners) == {"http", "https"}
    assert "hostname" not in listeners["https"]
    assert [r["name"] for r in listeners["https"]["tls"]["certificateRefs"]] == ["a-tls", "b-tls"]


def test_cert_manager_annotations_move_to_the_gateway() -> None:
    doc = ingress(tls=TLS)
    doc["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] = "letsencrypt"
    conversion = run(doc)
    gateway = objects(conversion, "Gateway")[0]
    assert gateway["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert not conversion.notes


def test_tls_host_without_paths_still_redirects_to_https() -> None:
    doc = ingress(paths=[], tls=TLS)
    doc["spec"]["rules"] = [{"host": "shop.example.com"}]
    conversion = run(doc)
    redirect = route(conversion, "web-shop-example-com-ssl-redirect")
    assert redirect["spec"]["rules"][0]["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]


def test_per_namespace_gateways() -> None:
    conversion = run(
        ingress(namespace="a", host="a.example.com"), ingress(namespace="b", host="b.example.com")
    )
    assert sorted(g["metadata"]["namespace"] for g in objects(conversion, "Gateway")) == ["a", "b"]


def test_default_backend_serves_unmatched_paths_of_the_hosts() -> None:
    conversion = run(ingress(paths=[("/api", "Prefix", "api", 80)], default_backend=("fallback", 8080)))
    host_route = route(conversion, "web-shop-example-com")
    assert rule_for(host_route, "/")["backendRefs"] == [{"name": "fallback", "port": 8080}]
    assert len(objects(conversion, "HTTPRoute")) == 1  # unmatched hosts: only Ingresses without rules


def test_default_backend_alone_is_a_catch_all_and_only_one_counts() -> None:
    first = ingress("first", paths=[], default_backend=("fallback", 8080))
    second = ingress("second", paths=[], default_backend=("other", 80))
    conversion = run(first, second)
    catch_all = route(conversion, "first")
    assert "hostnames" not in catch_all["spec"]
    assert catch_all["spec"]["parentRefs"] == [{"name": "nginx", "sectionName": "http"}]
    assert catch_all["spec"]["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "backendRefs": [{"name": "fallback", "port": 8080}],
        }
    ]
    assert "already serves unmatched hosts" in notes(conversion, "blocker")["spec.defaultBackend"]


def test_named_port_resolved_through_the_service() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"ports": [{"name": "http", "port": 8080}]},
    }
    conversion = run(ingress(paths=[("/", "Prefix", "web", "http")]), service)
    assert rule_for(route(conversion, "web-shop-example-com"), "/")["backendRefs"] == [
        {"name": "web", "port": 8080}
    ]
    unresolved = run(ingress(paths=[("/", "Prefix", "web", "http")]))
    assert "named port 'http'" in notes(unresolved, "blocker")["host shop.example.com path /"]


def test_many_paths_stay_within_route_limits() -> None:
    paths = [(f"/p{i}", "Prefix", f"svc{i}", 80) for i in range(40)]
    conversion = run(ingress(paths=paths))
    routes = objects(conversion, "HTTPRoute")
    assert len(routes) == 3
    assert all(len(r["spec"]["rules"]) <= 16 for r in routes)
    served = {m["path"]["value"] for r in routes for rule in r["spec"]["rules"] for m in rule["matches"]}
    assert served == {f"/p{i}" for i in range(40)}


def test_implementation_specific_path_is_a_path_prefix() -> None:
    # internal/k8s/main.go SetDefaultNGINXPathType: the controller serves ImplementationSpecific as Prefix.
    conversion = run(
        ingress(
            paths=[("/app", "ImplementationSpecific", "web", 80), ("/", "ImplementationSpecific", "web", 80)]
        )
    )
    (rule,) = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert rule["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/app"}},
        {"path": {"type": "PathPrefix", "value": "/"}},
    ]
    assert not conversion.blocked


def test_trailing_slash_prefix_redirects_the_bare_path() -> None:
    conversion = run(ingress(paths=[("/docs/", "Prefix", "docs", 80)]))
    redirect = rule_for(route(conversion, "web-shop-example-com"), "/docs")
    assert redirect["matches"] == [{"path": {"type": "Exact", "value": "/docs"}}]
    assert redirect["filters"][0]["requestRedirect"] == {
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/docs/"},
        "statusCode": 301,
    }


def test_prefixes_differing_by_a_trailing_slash_are_a_blocker() -> None:
    conversion = run(ingress(paths=[("/a", "Prefix", "one", 80), ("/a/", "Prefix", "two", 80)]))
    assert "as one match" in notes(conversion, "blocker")["host shop.example.com path /a/"]
    (rule,) = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "one", "port": 80}]


def test_invalid_hosts_and_paths_are_blockers() -> None:
    conversion = run(ingress(host="__HOST__"), ingress("b", paths=[("/a//b", "Prefix", "web", 80)]))
    blockers = notes(conversion, "blocker")
    assert "not a valid Gateway API hostname" in blockers["host __HOST__"]
    assert "Exact/PathPrefix" in blockers["host shop.example.com path /a//b"]


# ---- TLS and HTTPS redirects ----------------------------------------------------------------------


TLS = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]


def test_tls_gives_https_listener_and_ssl_redirect_route() -> None:
    conversion = run(ingress(tls=TLS))
    listeners = {lst["name"]: lst for lst in objects(conversion, "Gateway")[0]["spec"]["listeners"]}
    assert listeners["shop-example-com-https"]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"group": "", "kind": "Secret", "name": "shop-tls"}],
    }
    main_route = route(conversion, "web-shop-example-com")
    assert [p["sectionName"] for p in main_route["spec"]["parentRefs"]] == ["shop-example-com-https"]
    redirect = route(conversion, "web-shop-example-com-ssl-redirect")
    assert [p["sectionName"] for p in redirect["spec"]["parentRefs"]] == ["shop-example-com-http"]
    (rule,) = redirect["spec"]["rules"]
    assert rule["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 308}}
    ]
    assert "backendRefs" not in rule


def test_ssl_redirect_off_serves_both_listeners() -> None:
    conversion = run(ingress(tls=TLS, annotations={"ssl-redirect": "false"}))
    sections = [p["sectionName"] for p in route(conversion, "web-shop-example-com")["spec"]["parentRefs"]]
    assert sections == ["shop-example-com-https", "shop-example-com-http"]
    assert not [o for o in objects(conversion, "HTTPRoute") if o["metadata"]["name"].endswith("ssl-redirect")]


def test_force_ssl_redirect() -> None:
    with_tls = run(ingress(tls=TLS, annotations={"force-ssl-redirect": "true", "ssl-redirect": "false"}))
    assert route(with_tls, "web-shop-example-com-ssl-redirect")
    assert not with_tls.blocked
    without_tls = run(ingress(annotations={"force-ssl-redirect": "true"}))
    assert "force-ssl-redirect" in notes(without_tls, "blocker")


def test_wildcard_certificate_covers_host() -> None:
    conversion = run(ingress(tls=[{"hosts": ["*.example.com"], "secretName": "wild"}]))
    listeners = objects(conversion, "Gateway")[0]["spec"]["listeners"]
    assert any(lst.get("tls", {}).get("certificateRefs", [{}])[0].get("name") == "wild" for lst in listeners)


def test_tls_without_secret_is_a_blocker_for_every_ingress_of_the_host() -> None:
    conversion = run(
        ingress(tls=[{"hosts": ["shop.example.com"]}]), ingress("other", paths=[("/o", "Prefix", "o", 80)])
    )
    assert "default certificate" in notes(conversion, "blocker")["spec.tls[0]"]
    assert {n.ingress for n in conversion.notes if n.key == "host shop.example.com"} == {"web", "other"}


def test_ssl_passthrough_gives_tls_route() -> None:
    conversion = run(ingress(annotations={"ssl-passthrough": "true"}, paths=[("/", "Prefix", "web", 443)]))
    listeners = objects(conversion, "Gateway")[0]["spec"]["listeners"]
    assert [lst for lst in listeners if lst["protocol"] == "TLS"] == [
        {
            "name": "shop-example-com-tls",
            "hostname": "shop.example.com",
            "port": 443,
            "protocol": "TLS",
            "tls": {"mode": "Passthrough"},
        }
    ]
    tls_route = route(conversion, "web-shop-example-com", "TLSRoute")
    assert tls_route["spec"]["rules"] == [{"backendRefs": [{"name": "web", "port": 443}]}]
    plain = route(conversion, "web-shop-example-com-http")  # ingress-nginx still proxies plain HTTP
    assert plain["spec"]["parentRefs"] == [{"name": "nginx", "sectionName": "shop-example-com-http"}]


# ---- canary ---------------------------------------------------------------------------------------


def canary(annotations: dict[str, str], path: str = "/") -> dict[str, Any]:
    return ingress(
        "web-canary", paths=[(path, "Prefix", "web-v2", 80)], annotations={"canary": "true", **annotations}
    )


def test_canary_weight() -> None:
    conversion = run(ingress(), canary({"canary-weight": "20"}))
    rule = rule_for(route(conversion, "web-shop-example-com"), "/")
    assert rule["backendRefs"] == [
        {"name": "web", "port": 80, "weight": 80},
        {"name": "web-v2", "port": 80, "weight": 20},
    ]
    assert not conversion.notes
    assert objects(conversion, "HTTPRoute")[0]["metadata"]["name"] == "web-shop-example-com"
    assert next(g for g in conversion.objects if g.kind == "HTTPRoute").sources == [
        "shop/web",
        "shop/web-canary",
    ]


def test_canary_weight_total() -> None:
    conversion = run(ingress(), canary({"canary-weight": "1", "canary-weight-total": "1000"}))
    weights = [b["weight"] for b in rule_for(route(conversion, "web-shop-example-com"), "/")["backendRefs"]]
    assert weights == [999, 1]


def test_canary_by_header_always_and_never() -> None:
    conversion = run(ingress(), canary({"canary-by-header": "X-Canary"}))
    http_route = route(conversion, "web-shop-example-com")
    always = rule_for(http_route, "/", [{"type": "Exact", "name": "X-Canary", "value": "always"}])
    never = rule_for(http_route, "/", [{"type": "Exact", "name": "X-Canary", "value": "never"}])
    assert always["backendRefs"] == [{"name": "web-v2", "port": 80}]
    assert never["backendRefs"] == [{"name": "web", "port": 80}]
    assert rule_for(http_route, "/")["backendRefs"] == [{"name": "web", "port": 80}]


def test_canary_by_header_value_and_pattern() -> None:
    by_value = run(ingress(), canary({"canary-by-header": "X-Env", "canary-by-header-value": "beta"}))
    rule = rule_for(
        route(by_value, "web-shop-example-com"), "/", [{"type": "Exact", "name": "X-Env", "value": "beta"}]
    )
    assert rule["backendRefs"] == [{"name": "web-v2", "port": 80}]
    by_pattern = run(ingress(), canary({"canary-by-header": "X-Env", "canary-by-header-pattern": "^b.*"}))
    headers = [{"type": "RegularExpression", "name": "X-Env", "value": "^b.*"}]
    assert rule_for(route(by_pattern, "web-shop-example-com"), "/", headers)
    assert "canary-by-header-pattern" in notes(by_pattern, "gap")


def test_canary_by_cookie_is_a_cookie_header_regex() -> None:
    conversion = run(ingress(), canary({"canary-by-cookie": "beta"}))
    rules = route(conversion, "web-shop-example-com")["spec"]["rules"]
    cookie = [m["headers"][0] for r in rules for m in r["matches"] if "headers" in m]
    assert {h["name"] for h in cookie} == {"Cookie"}
    assert "canary-by-cookie" in notes(conversion, "gap")


def test_canary_without_primary_is_noted_and_not_written() -> None:
    # controller.go mergeAlternativeBackends deletes a canary without a primary: nothing is served.
    conversion = run(ingress(), canary({"canary-weight": "10"}, path="/other"))
    assert "no primary Ingress" in notes(conversion, "info")["canary"]
    assert not conversion.blocked


def test_other_annotations_on_canary_are_ignored_as_in_nginx() -> None:
    conversion = run(ingress(), canary({"canary-weight": "10", "proxy-body-size": "1m"}))
    assert notes(conversion, "info")["proxy-body-size"].startswith("ingress-nginx ignores it")
    assert not conversion.blocked


# ---- rewrites, redirects --------------------------------------------------------------------------


def test_rewrite_target_without_captures() -> None:
    conversion = run(ingress(paths=[("/api", "Prefix", "api", 80)], annotations={"rewrite-target": "/"}))
    (rule,) = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "RegularExpression", "value": "(?i)/api.*"}}]
    assert rule["filters"] == [
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}}}
    ]
    assert "rewrite-target" in notes(conversion, "gap")
    assert not conversion.blocked


def test_rewrite_target_with_captures_is_reported_not_guessed() -> None:
    annotations = {"rewrite-target": "/$2", "use-regex": "true"}
    conversion = run(
        ingress(paths=[("/api(/|$)(.*)", "ImplementationSpecific", "api", 80)], annotations=annotations)
    )
    (rule,) = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert "filters" not in rule
    assert "capture-group" in notes(conversion, "blocker")["rewrite-target"]


def test_use_regex_applies_to_every_path_of_the_host() -> None:
    conversion = run(
        ingress("a", paths=[("/a", "Prefix", "a", 80)], annotations={"use-regex": "true"}),
        ingress("b", paths=[("/b", "Prefix", "b", 80)]),
    )
    b_route = route(conversion, "b-shop-example-com")
    assert b_route["spec"]["rules"][0]["matches"] == [
        {"path": {"type": "RegularExpression", "value": "(?i)/b.*"}}
    ]


def test_permanent_redirect_and_code() -> None:
    conversion = run(
        ingress(
            annotations={
                "permanent-redirect": "https://new.example.com:8443/x",
                "permanent-redirect-code": "308",
            }
        )
    )
    (rule,) = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert rule["filters"] == [
        {
            "type": "RequestRedirect",
            "requestRedirect": {
                "statusCode": 308,
                "scheme": "https",
                "hostname": "new.example.com",
                "port": 8443,
                "path": {"type": "ReplaceFullPath", "replaceFullPath": "/x"},
            },
        }
    ]
    assert "backendRefs" not in rule


def test_temporal_redirect_wins_and_defaults_to_302() -> None:
    conversion = run(
        ingress(
            annotations={
                "temporal-redirect": "https://t.example.com",
                "permanent-redirect": "https://p.example.com",
            }
        )
    )
    redirect = route(conversion, "web-shop-example-com")["spec"]["rules"][0]["filters"][0]["requestRedirect"]
    assert redirect["hostname"] == "t.example.com"
    assert redirect["statusCode"] == 302
    assert redirect["path"] == {"type": "ReplaceFullPath", "replaceFullPath": "/"}


def test_redirect_query_string_and_bad_code_are_blockers() -> None:
    with_query = run(ingress(annotations={"permanent-redirect": "https://x.example.com/?a=1"}))
    assert "query string" in notes(with_query, "blocker")["permanent-redirect"]
    bad_code = run(
        ingress(annotations={"permanent-redirect": "https://x.example.com", "permanent-redirect-code": "305"})
    )
    assert "permanent-redirect-code" in notes(bad_code, "blocker")
    assert (
        route(bad_code, "web-shop-example-com")["spec"]["rules"][0]["filters"][0]["requestRedirect"][
            "statusCode"
        ]
        == 301
    )


def test_app_root() -> None:
    conversion = run(ingress(annotations={"app-root": "/app"}))
    rule = next(r for r in route(conversion, "web-shop-example-com")["spec"]["rules"] if "filters" in r)
    assert rule["matches"] == [{"path": {"type": "Exact", "value": "/"}}]
    assert rule["filters"][0]["requestRedirect"] == {
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/app"},
        "statusCode": 302,
    }


def test_from_to_www_redirect() -> None:
    conversion = run(ingress(host="www.example.com", annotations={"from-to-www-redirect": "true"}))
    www = route(conversion, "web-example-com-www-redirect")
    assert www["spec"]["hostnames"] == ["example.com"]
    assert www["spec"]["rules"] == [
        {
            "filters": [
                {
                    "type": "RequestRedirect",
                    "requestRedirect": {"hostname": "www.example.com", "statusCode": 308},
                }
            ]
        }
    ]
    assert not conversion.notes


def test_server_alias_adds_hostnames_and_listeners() -> None:
    conversion = run(ingress(annotations={"server-alias": "alias.example.com"}))
    http_route = route(conversion, "web-shop-example-com")
    assert http_route["spec"]["hostnames"] == ["shop.example.com", "alias.example.com"]
    assert len(http_route["spec"]["parentRefs"]) == 2


# ---- headers, CORS, timeouts ----------------------------------------------------------------------


def test_header_modifiers_merge_into_one_filter_each() -> None:
    """The peer converter can write two RequestHeaderModifier filters on one rule (rejected by the CRD)."""
    annotations = {
        "rewrite-target": "/",
        "x-forwarded-prefix": "/api",
        "upstream-vhost": "internal.example",
        "connection-proxy-header": "keep-alive",
    }
    conversion = run(ingress(annotations=annotations))
    filters = route(conversion, "web-shop-example-com")["spec"]["rules"][0]["filters"]
    assert [f["type"] for f in filters] == ["RequestHeaderModifier", "URLRewrite"]
    assert filters[0]["requestHeaderModifier"]["set"] == [
        {"name": "X-Forwarded-Prefix", "value": "/api"},
        {"name": "Connection", "value": "keep-alive"},
    ]
    assert filters[1]["urlRewrite"]["hostname"] == "internal.example"


def test_custom_headers_from_config_map() -> None:
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "headers", "namespace": "shop"},
        "data": {"X-Frame-Options": "DENY"},
    }
    conversion = run(ingress(annotations={"custom-headers": "shop/headers"}), config_map)
    (flt,) = route(conversion, "web-shop-example-com")["spec"]["rules"][0]["filters"]
    assert flt == {
        "type": "ResponseHeaderModifier",
        "responseHeaderModifier": {"set": [{"name": "X-Frame-Options", "value": "DENY"}]},
    }
    missing = run(ingress(annotations={"custom-headers": "shop/headers"}))
    assert "not in the input" in notes(missing, "blocker")["custom-headers"]


def test_cors_defaults_and_values() -> None:
    defaults = run(ingress(annotations={"enable-cors": "true"}))
    cors = route(defaults, "web-shop-example-com")["spec"]["rules"][0]["filters"][0]["cors"]
    assert cors["allowOrigins"] == ["*"]
    assert cors["allowMethods"] == ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
    assert cors["allowCredentials"] is True
    assert cors["maxAge"] == 1728000
    custom = run(
        ingress(
            annotations={
                "enable-cors": "true",
                "cors-allow-origin": "https://a.example.com, https://b.example.com",
                "cors-allow-methods": "GET,post",
                "cors-allow-credentials": "false",
                "cors-expose-headers": "X-Total",
                "cors-max-age": "60",
            }
        )
    )
    cors = route(custom, "web-shop-example-com")["spec"]["rules"][0]["filters"][0]["cors"]
    assert cors["allowOrigins"] == ["https://a.example.com", "https://b.example.com"]
    assert cors["allowMethods"] == ["GET", "POST"]
    assert cors["allowCredentials"] is False
    assert cors["exposeHeaders"] == ["X-Total"]
    assert cors["maxAge"] == 60
    assert not custom.notes


def test_cors_keys_without_enable_cors_do_nothing() -> None:
    conversion = run(ingress(annotations={"cors-allow-origin": "https://a.example.com"}))
    assert "filters" not in route(conversion, "web-shop-example-com")["spec"]["rules"][0]
    assert "cors-allow-origin" in notes(conversion, "info")


def test_timeouts() -> None:
    conversion = run(ingress(annotations={"proxy-read-timeout": "120", "proxy-connect-timeout": "5s"}))
    assert route(conversion, "web-shop-example-com")["spec"]["rules"][0]["timeouts"] == {"request": "120s"}
    assert any("whole-request" in reason for reason in notes(conversion, "gap").values())
    # proxy/main.go reads timeouts with ValidateInt: "5s" and "soon" are ignored, as ingress-nginx does.
    assert "ignores the value" in notes(conversion, "info")["proxy-connect-timeout"]
    bad = run(ingress(annotations={"proxy-read-timeout": "soon"}))
    assert "ignores the value" in notes(bad, "info")["proxy-read-timeout"]
    assert "timeouts" not in route(bad, "web-shop-example-com")["spec"]["rules"][0]


# ---- backend protocols ----------------------------------------------------------------------------


def test_grpc_gives_grpc_route() -> None:
    paths = [("/", "Prefix", "grpc", 50051), ("/helloworld.Greeter/SayHello", "Exact", "hello", 50051)]
    conversion = run(ingress(paths=paths, annotations={"backend-protocol": "GRPC"}))
    grpc_route = route(conversion, "web-shop-example-com", "GRPCRoute")
    rules = grpc_route["spec"]["rules"]
    assert {"backendRefs": [{"name": "grpc", "port": 50051}]} in rules
    method = {"method": {"type": "Exact", "service": "helloworld.Greeter", "method": "SayHello"}}
    assert {"matches": [method], "backendRefs": [{"name": "hello", "port": 50051}]} in rules
    assert not objects(conversion, "HTTPRoute")
    assert not objects(conversion, "BackendTLSPolicy")


def test_grpc_with_tls_redirects_plain_http() -> None:
    paths = [("/helloworld.Greeter", "Prefix", "hello", 50051)]
    conversion = run(ingress(paths=paths, tls=TLS, annotations={"backend-protocol": "GRPC"}))
    redirect = route(conversion, "web-shop-example-com-ssl-redirect")
    # no Ingress serves `/` on the host: its default location redirects every path
    assert redirect["spec"]["rules"][0]["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    paths = [("/", "Prefix", "grpc", 50051), ("/helloworld.Greeter/SayHello", "Exact", "hello", 50051)]
    served = run(ingress(paths=paths, tls=TLS, annotations={"backend-protocol": "GRPC"}))
    matches = route(served, "web-shop-example-com-ssl-redirect")["spec"]["rules"][0]["matches"]
    assert {"path": {"type": "Exact", "value": "/helloworld.Greeter/SayHello"}} in matches


def test_grpc_and_http_on_one_host_is_a_blocker() -> None:
    conversion = run(
        ingress("a", annotations={"backend-protocol": "GRPC"}),
        ingress("b", paths=[("/b", "Prefix", "b", 80)]),
    )
    assert {n.ingress for n in conversion.notes if n.level == "blocker"} == {"a", "b"}


def test_tls_host_without_rule_still_gets_https_listener() -> None:
    tls = [{"hosts": ["shop.example.com", "extra.example.com"], "secretName": "shop-tls"}]
    listeners = objects(run(ingress(tls=tls)), "Gateway")[0]["spec"]["listeners"]
    assert any(lst["name"] == "extra-example-com-https" for lst in listeners)


def test_grpcs_and_https_get_backend_tls_policies() -> None:
    """Case-insensitive protocol, GRPCS included, and a policy even without proxy-ssl-* (the peer writes none)."""
    grpcs = run(ingress(annotations={"backend-protocol": "grpcs"}))
    (policy,) = objects(grpcs, "BackendTLSPolicy")
    assert policy["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "web"}]
    assert policy["spec"]["validation"] == {"hostname": "web.shop.svc", "wellKnownCACertificates": "System"}
    assert "proxy-ssl-verify" in notes(grpcs, "gap")["backend-protocol"]
    verified = run(
        ingress(
            annotations={
                "backend-protocol": "HTTPS",
                "proxy-ssl-verify": "on",
                "proxy-ssl-secret": "shop/backend-ca",
                "proxy-ssl-name": "web.internal",
            }
        )
    )
    (policy,) = objects(verified, "BackendTLSPolicy")
    assert policy["spec"]["validation"] == {
        "hostname": "web.internal",
        "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "backend-ca"}],
    }
    assert objects(verified, "HTTPRoute")
    other_namespace = run(ingress(annotations={"backend-protocol": "HTTPS", "proxy-ssl-secret": "other/ca"}))
    assert "proxy-ssl-secret" in notes(other_namespace, "blocker")


def test_fcgi_is_a_blocker() -> None:
    assert "backend-protocol" in notes(run(ingress(annotations={"backend-protocol": "FCGI"})), "blocker")


# ---- what is not carried over ---------------------------------------------------------------------


def test_unconverted_annotations_are_reported_with_their_class() -> None:
    conversion = run(
        ingress(
            annotations={
                "configuration-snippet": "more_set_headers 'A: b';",
                "auth-url": "http://auth",
                "limit-rps": "5",
                "not-a-real-key": "1",
            }
        )
    )
    by_key = {n.key.removeprefix(P): n for n in conversion.notes}
    assert (by_key["configuration-snippet"].klass, by_key["configuration-snippet"].level) == ("—", "blocker")
    assert by_key["auth-url"].klass == "X"
    assert by_key["limit-rps"].klass == "I"
    assert by_key["not-a-real-key"].klass == "?"
    assert "Experimental" in by_key["auth-url"].reason
    assert conversion.blocked


def test_other_controllers_annotations_are_reported() -> None:
    doc = ingress()
    doc["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] = "x"
    doc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    conversion = run(doc)
    keys = {n.key for n in conversion.notes}
    assert keys == {"traefik.ingress.kubernetes.io/router.middlewares"}


def test_legacy_ingress_versions_convert() -> None:
    legacy = {
        "apiVersion": "extensions/v1beta1",
        "kind": "Ingress",
        "metadata": {"name": "old", "namespace": "shop"},
        "spec": {
            "rules": [
                {
                    "host": "old.example.com",
                    "http": {"paths": [{"path": "/", "backend": {"serviceName": "web", "servicePort": 80}}]},
                }
            ]
        },
    }
    conversion = run(legacy)
    assert rule_for(route(conversion, "old-old-example-com"), "/")["backendRefs"] == [
        {"name": "web", "port": 80}
    ]


# ---- corpus: every converted object is valid and passes the static checks --------------------------


def corpus_files() -> Iterator[Path]:
    root = require_shared("corpus/manifests")
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            yield path


@pytest.mark.corpus
def test_corpus_conversions_are_valid() -> None:
    converted = 0
    for path in corpus_files():
        loaded = read_source(path)
        if not any(o.kind == "Ingress" for o in loaded.objects):
            continue
        conversion = convert(Inventory(loaded.objects))
        converted += conversion.ingresses
        for generated in conversion.objects:
            assert not schema_errors(generated.obj), (str(path), generated.kind, generated.name)
        assert not static_findings(conversion), str(path)
    assert converted > 300


# ---- the command ----------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, *docs: dict[str, Any] | str) -> Path:
    path = tmp_path / name
    path.write_text(
        "---\n".join(d if isinstance(d, str) else yaml.safe_dump(d) for d in docs), encoding="utf-8"
    )
    return path


def test_cli_writes_yaml_with_source_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "in.yaml", ingress(tls=TLS))
    result = CliRunner().invoke(main, ["convert", str(path)])
    assert result.exit_code == 0, result.output
    documents = result.stdout.split("---\n")
    assert all(d.startswith("# Generated by kgov convert from Ingress shop/web\n") for d in documents)
    kinds = [yaml.safe_load(d)["kind"] for d in documents]
    assert kinds == ["Gateway", "HTTPRoute", "HTTPRoute"]


def test_cli_blockers_exit_1_and_report(tmp_path: Path) -> None:
    path = write(tmp_path, "in.yaml", ingress(annotations={"limit-rps": "5"}))
    report = tmp_path / "report.json"
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(
        main, ["convert", str(path), "--output-file", str(out), "--report", str(report)]
    )
    assert result.exit_code == 1
    assert "blocker: Ingress shop/web: nginx.ingress.kubernetes.io/limit-rps [I]" in result.stderr
    assert result.stdout == ""
    assert yaml.safe_load_all(out.read_text(encoding="utf-8"))
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["blocked"] is True
    assert data["notes"][0]["key"] == "nginx.ingress.kubernetes.io/limit-rps"


def test_cli_stdin_and_options() -> None:
    text = yaml.safe_dump(ingress())
    args = [
        "convert",
        "-",
        "--gateway",
        "edge",
        "--gateway-namespace",
        "infra",
        "--gateway-class",
        "eg",
        "--listeners",
        "shared",
    ]
    result = CliRunner().invoke(main, args, input=text)
    assert result.exit_code == 0, result.output
    gateway = next(yaml.safe_load_all(result.stdout))
    assert gateway["metadata"] == {"name": "edge", "namespace": "infra"}
    assert gateway["spec"]["gatewayClassName"] == "eg"
    assert [lst["name"] for lst in gateway["spec"]["listeners"]] == ["http"]


def test_cli_bad_input_exit_2_and_rest_converted(tmp_path: Path) -> None:
    path = write(tmp_path, "in.yaml", ingress(), "a: [unclosed\n", ingress("other", "other.example.com"))
    result = CliRunner().invoke(main, ["convert", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout) if d["kind"] == "HTTPRoute"]
    assert names == ["web-shop-example-com", "other-other-example-com"]


def test_cli_wrong_field_types_exit_2(tmp_path: Path) -> None:
    doc = ingress()
    doc["spec"]["rules"] = "not a list"
    result = CliRunner().invoke(main, ["convert", str(write(tmp_path, "in.yaml", doc))])
    assert result.exit_code == 2
    assert "error:" in result.stderr


def test_cli_usage() -> None:
    assert CliRunner().invoke(main, ["convert"]).exit_code == 2
    missing = CliRunner().invoke(main, ["convert", "/no/such/file.yaml"])
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


def test_cli_no_ingress(tmp_path: Path) -> None:
    path = write(tmp_path, "in.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    result = CliRunner().invoke(main, ["convert", str(path)])
    assert result.exit_code == 0
    assert "no Ingress in the input" in result.stderr


def test_default_ingress_class_names_the_gateway() -> None:
    default_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": "public",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
        },
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }
    doc = ingress()
    del doc["spec"]["ingressClassName"]
    (gateway,) = objects(run(doc, default_class), "Gateway")
    assert gateway["metadata"]["name"] == "public"
    assert gateway["spec"]["gatewayClassName"] == "public"


def test_cli_reads_the_cluster(tmp_path: Path) -> None:
    """`kgov convert --cluster` over real HTTP against the Kubernetes API emulator, read only."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    with running_emulator() as cluster:
        cluster.put("networking.k8s.io/v1/ingresses", ingress(tls=TLS))
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        env.update(KUBECONFIG=str(kubeconfig), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        proc = subprocess.run(
            [sys.executable, "-m", "kgov", "convert", "--cluster"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert {request.method for request in cluster.requests()} == {"GET"}
    assert proc.returncode == 0, proc.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(proc.stdout)]
    assert kinds == ["Gateway", "HTTPRoute", "HTTPRoute"]


def test_odd_values_are_reported_not_written() -> None:
    conversion = run(
        ingress(
            annotations={
                "proxy-ssl-secret": "/",
                "backend-protocol": "https",
                "cors-max-age": "-1",
                "enable-cors": "true",
                "cors-allow-origin": "ftp://x",
                "permanent-redirect": "mailto:x@example.com",
            },
            paths=[("/p", "Exact", "s", 443)],
        )
    )
    blockers = notes(conversion, "blocker")
    assert {"proxy-ssl-secret", "cors-max-age", "cors-allow-origin", "permanent-redirect"} <= set(blockers)
    (policy,) = objects(conversion, "BackendTLSPolicy")
    assert policy["spec"]["validation"]["wellKnownCACertificates"] == "System"


def test_shared_listeners_with_passthrough_and_tls() -> None:
    passthrough = ingress("pt", "pt.example.com", annotations={"ssl-passthrough": "true"})
    conversion = run(passthrough, ingress(tls=TLS), listeners="shared")
    listeners = {
        lst["name"]: lst["protocol"] for lst in objects(conversion, "Gateway")[0]["spec"]["listeners"]
    }
    assert listeners == {"http": "HTTP", "https": "HTTPS", "pt-example-com-tls": "TLS"}


def test_allowlist_and_its_alias_are_both_recognised() -> None:
    """The peer converter knows only the alias (its defect B2)."""
    conversion = run(
        ingress(annotations={"allowlist-source-range": "10.0.0.0/8"}),
        ingress("b", "b.example.com", annotations={"whitelist-source-range": "10.0.0.0/8"}),
    )
    classes = {n.key.removeprefix(P): (n.klass, n.level) for n in conversion.notes}
    assert classes == {"allowlist-source-range": ("I", "blocker"), "whitelist-source-range": ("I", "blocker")}
    assert "alias of allowlist-source-range" in notes(conversion)["whitelist-source-range"]


def test_hosts_with_the_same_slug_get_distinct_listeners() -> None:
    conversion = run(ingress("a", "a-b.example.com"), ingress("b", "a.b.example.com"))
    listeners = objects(conversion, "Gateway")[0]["spec"]["listeners"]
    assert [(lst["name"], lst["hostname"]) for lst in listeners] == [
        ("a-b-example-com-http", "a-b.example.com"),
        ("a-b-example-com-http-2", "a.b.example.com"),
    ]
    sections = [
        route(conversion, n)["spec"]["parentRefs"][0]["sectionName"]
        for n in ("a-a-b-example-com", "b-a-b-example-com")
    ]
    assert sections == ["a-b-example-com-http", "a-b-example-com-http-2"]


def test_rewrite_target_equal_to_the_path_is_no_rewrite() -> None:
    paths = [("/app", "Prefix", "app", 80), ("/other", "Prefix", "other", 80)]
    conversion = run(ingress(paths=paths, annotations={"rewrite-target": "/app"}))
    http_route = route(conversion, "web-shop-example-com")
    assert "filters" not in rule_for(http_route, "(?i)/app.*")
    assert (
        rule_for(http_route, "(?i)/other.*")["filters"][0]["urlRewrite"]["path"]["replaceFullPath"] == "/app"
    )


def test_redirect_annotations_answer_plain_http_before_the_https_redirect() -> None:
    redirecting = run(ingress(tls=TLS, annotations={"permanent-redirect": "https://new.example.com"}))
    sections = [p["sectionName"] for p in route(redirecting, "web-shop-example-com")["spec"]["parentRefs"]]
    assert sections == ["shop-example-com-https", "shop-example-com-http"]
    app_root = run(ingress(tls=TLS, annotations={"app-root": "/app"}))
    rules = route(app_root, "web-shop-example-com-ssl-redirect")["spec"]["rules"]
    root = rule_for({"spec": {"rules": rules}}, "/")
    assert root["matches"] == [{"path": {"type": "Exact", "value": "/"}}]
    assert root["filters"][0]["requestRedirect"]["path"]["replaceFullPath"] == "/app"


def test_a_host_of_several_namespaces_lands_on_one_gateway() -> None:
    # ingress-nginx serves a host from one server (one address) whatever the namespaces of its
    # Ingresses: the conversion puts them on one Gateway that admits the other namespaces' routes.
    conversion = run(
        ingress(namespace="b", paths=[("/b", "Prefix", "b", 80)]),
        ingress(namespace="a", paths=[("/a", "Prefix", "a", 80)]),
    )
    (gateway,) = objects(conversion, "Gateway")
    assert gateway["metadata"]["namespace"] == "a"
    allowed = gateway["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["selector"]
    assert allowed["matchExpressions"][0]["values"] == ["a", "b"]
    assert not conversion.blocked


def test_cli_lists_probes_the_output_answers_differently(tmp_path: Path) -> None:
    # Sub-paths of Prefix /api are rewritten to /api by ingress-nginx (the written location /api/
    # differs from the target); the routes cannot say so: the self-check reports the probe.
    doc = ingress(paths=[("/api", "Prefix", "api", 80)], annotations={"rewrite-target": "/api"})
    path = write(tmp_path, "in.yaml", doc)
    result = CliRunner().invoke(main, ["convert", str(path)])
    assert result.exit_code == 1
    assert (
        "blocker: Ingress shop/web: probe http://shop.example.com/api/kgov-probe [spec]: not carried over"
        in result.stderr
    )
    allowed = CliRunner().invoke(main, ["convert", str(path), "--allow-gaps"])
    assert allowed.exit_code == 0
    assert "not carried over" in allowed.stderr and allowed.stdout


def test_more_than_64_listeners_split_into_gateways() -> None:
    # The Gateway CRD allows 64 listeners: 40 TLS hosts need 80, so the hosts are spread over two
    # Gateways (a host's listeners together) and each route names the Gateway of its listener.
    docs = [
        ingress(
            name=f"web{i}",
            host=f"h{i}.example.com",
            tls=[{"hosts": [f"h{i}.example.com"], "secretName": f"t{i}"}],
        )
        for i in range(40)
    ]
    conversion = run(*docs)
    gateways = {g["metadata"]["name"]: g for g in objects(conversion, "Gateway")}
    assert sorted(gateways) == ["nginx", "nginx-2"]
    assert all(len(g["spec"]["listeners"]) <= 64 for g in gateways.values())
    sections = {
        (name, listener["name"]) for name, g in gateways.items() for listener in g["spec"]["listeners"]
    }
    for route_obj in objects(conversion, "HTTPRoute"):
        for ref in route_obj["spec"]["parentRefs"]:
            assert (ref["name"], ref["sectionName"]) in sections
    assert not conversion.blocked


def test_one_rule_for_a_path_given_twice() -> None:
    # ImplementationSpecific is Prefix in ingress-nginx: /api given with both types is one location.
    conversion = run(
        ingress(paths=[("/api", "ImplementationSpecific", "first", 80), ("/api", "Prefix", "second", 80)])
    )
    rules = route(conversion, "web-shop-example-com")["spec"]["rules"]
    assert [r["backendRefs"][0]["name"] for r in rules] == ["first"]
    assert not conversion.blocked
