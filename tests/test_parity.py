"""Route parity, one routing subtlety at a time: for each, a migration that keeps the behaviour (full
parity) and one that changes it (a mismatch naming the probe)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kgov.inventory import Inventory
from kgov.migration.parity import FULL, MISMATCH, NOT_CHECKED, UNDECIDED, Parity, migration_index
from kgov.migration.sample import example
from kgov.sources.files import load_text

HOST = "shop.example.com"
NGINX = "nginx.ingress.kubernetes.io/"


def ingress(
    paths: list[tuple[str, str, str, int | str]] | None = None,
    *,
    name: str = "shop",
    host: str | None = HOST,
    annotations: dict[str, str] | None = None,
    tls: bool = False,
    default: str | None = None,
) -> dict[str, Any]:
    paths = paths if paths is not None else [("/", "Prefix", "web", 80)]
    spec: dict[str, Any] = {"ingressClassName": "nginx"}
    if paths:
        entries = [
            {
                "path": path,
                "pathType": kind,
                "backend": {
                    "service": {
                        "name": svc,
                        "port": {"number": port} if isinstance(port, int) else {"name": port},
                    }
                },
            }
            for path, kind, svc, port in paths
        ]
        spec["rules"] = [{**({"host": host} if host else {}), "http": {"paths": entries}}]
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "shop-tls"}]
    metadata = {
        "name": name,
        "namespace": "shop",
        "annotations": {NGINX + k: v for k, v in (annotations or {}).items()},
    }
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


def gateway(*listeners: dict[str, Any]) -> dict[str, Any]:
    listeners = listeners or (
        {"name": "http", "port": 80, "protocol": "HTTP"},
        {
            "name": "https",
            "port": 443,
            "protocol": "HTTPS",
            "tls": {"certificateRefs": [{"name": "shop-tls"}]},
        },
    )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "public", "namespace": "shop"},
        "spec": {"gatewayClassName": "example", "listeners": list(listeners)},
    }


def rule(
    path: str | None = "/",
    kind: str = "PathPrefix",
    backends: list[tuple[str, int, int]] | None = None,
    *,
    filters: list[dict[str, Any]] | None = None,
    headers: list[dict[str, str]] | None = None,
    method: str | None = None,
    query: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    match: dict[str, Any] = {}
    if path is not None:
        match["path"] = {"type": kind, "value": path}
    if headers:
        match["headers"] = headers
    if method:
        match["method"] = method
    if query:
        match["queryParams"] = query
    found: dict[str, Any] = {"matches": [match]} if match else {}
    if backends is None:
        backends = [("web", 80, 1)]
    if backends:
        found["backendRefs"] = [{"name": n, "port": p, "weight": w} for n, p, w in backends]
    if filters:
        found["filters"] = filters
    return found


def route(
    *rules: dict[str, Any],
    name: str = "shop",
    kind: str = "HTTPRoute",
    hostnames: list[str] | None = None,
    section: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    parent: dict[str, Any] = {"name": "public"}
    if section:
        parent["sectionName"] = section
    metadata: dict[str, Any] = {"name": name, "namespace": "shop"}
    if created:
        metadata["creationTimestamp"] = created
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "spec": {
            "parentRefs": [parent],
            "hostnames": hostnames if hostnames is not None else [HOST],
            "rules": list(rules),
        },
    }


def redirect(**fields: Any) -> dict[str, Any]:
    return {"type": "RequestRedirect", "requestRedirect": fields}


def parity(*docs: dict[str, Any], of: str = "shop") -> Parity:
    loaded = load_text(yaml.safe_dump_all(docs), "test.yaml")
    assert not loaded.errors
    inventory = Inventory(loaded.objects)
    assert not inventory.errors
    view = next(v for v in inventory.network.ingresses if v.obj.name == of)
    return migration_index(inventory).parity(view)


def assert_full(found: Parity) -> None:
    assert found.status == FULL, [m.as_dict() for m in found.mismatches]


def assert_mismatch(found: Parity, probe: str) -> None:
    assert found.status == MISMATCH
    assert probe in [m.probe for m in found.mismatches], [m.as_dict() for m in found.mismatches]


# ---- hosts -----------------------------------------------------------------------------------------


def test_no_route_for_the_hosts_is_not_checked() -> None:
    assert parity(ingress(), gateway(), route(rule(), hostnames=["other.example.com"])).status == NOT_CHECKED


def test_exact_host() -> None:
    assert_full(parity(ingress(), gateway(), route(rule())))
    found = parity(ingress(), gateway(), route(rule(), hostnames=["*.example.com"]))
    assert_mismatch(found, "http://kgov-probe-other.example.com/")  # routed where the Ingress is not


def test_wildcard_host() -> None:
    wild = ingress(host="*.example.com")
    assert_full(parity(wild, gateway(), route(rule(), hostnames=["*.example.com"])))
    assert_mismatch(
        parity(wild, gateway(), route(rule(), hostnames=["a.example.com"])), "http://kgov-probe.example.com/"
    )


def test_rule_without_host_is_the_catch_all() -> None:
    anyhost = ingress(host=None)
    assert_full(parity(anyhost, gateway(), route(rule(), hostnames=[])))
    found = parity(anyhost, gateway(), route(rule("/", "Exact"), hostnames=[]))
    assert_mismatch(found, "http://kgov-probe.invalid/kgov-probe")


def test_listener_hostname_intersection() -> None:
    listeners = ({"name": "api", "port": 80, "protocol": "HTTP", "hostname": "api.example.com"},)
    wide = ({"name": "all", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"},)
    assert_full(parity(ingress(), gateway(*listeners, *wide), route(rule())))
    found = parity(
        ingress(),
        gateway(*listeners, {"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "*.example.com"}),
        route(rule(), hostnames=["*.example.com"]),
    )
    assert_mismatch(found, f"http://{HOST}/")  # no HTTP listener takes the host


# ---- paths -----------------------------------------------------------------------------------------


def test_exact_path() -> None:
    shop = ingress([("/", "Prefix", "web", 80), ("/login", "Exact", "login", 80)])
    assert_full(parity(shop, gateway(), route(rule(), rule("/login", "Exact", [("login", 80, 1)]))))
    found = parity(shop, gateway(), route(rule(), rule("/login", "PathPrefix", [("login", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/login/kgov-probe")


def test_prefix_is_element_wise() -> None:
    shop = ingress([("/foo", "Prefix", "foo", 80)])
    assert_full(parity(shop, gateway(), route(rule("/foo", backends=[("foo", 80, 1)]))))
    found = parity(shop, gateway(), route(rule("/foo.*", "RegularExpression", [("foo", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/foox")


def test_implementation_specific_is_prefix() -> None:
    # internal/k8s/main.go SetDefaultNGINXPathType: ImplementationSpecific is served as Prefix.
    shop = ingress([("/foo", "ImplementationSpecific", "foo", 80)])
    assert_full(parity(shop, gateway(), route(rule("/foo", backends=[("foo", 80, 1)]))))
    found = parity(shop, gateway(), route(rule("/foo.*", "RegularExpression", [("foo", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/foox")


def test_longest_path_wins_whatever_the_rule_order() -> None:
    shop = ingress([("/api", "Prefix", "api", 80), ("/api/v2", "Prefix", "v2", 80)])
    rules = [rule("/api/v2", backends=[("v2", 80, 1)]), rule("/api", backends=[("api", 80, 1)])]
    assert_full(parity(shop, gateway(), route(*reversed(rules))))
    found = parity(shop, gateway(), route(rule("/api/v2", "Exact", [("v2", 80, 1)]), rules[1]))
    assert_mismatch(found, f"http://{HOST}/api/v2/kgov-probe")


def test_trailing_slash_redirect() -> None:
    shop = ingress([("/docs/", "Prefix", "docs", 80)])
    slash = rule(
        "/docs",
        "Exact",
        [],
        filters=[redirect(path={"type": "ReplaceFullPath", "replaceFullPath": "/docs/"}, statusCode=301)],
    )
    assert_full(parity(shop, gateway(), route(slash, rule("/docs/", backends=[("docs", 80, 1)]))))
    found = parity(shop, gateway(), route(rule("/docs/", backends=[("docs", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/docs")
    # A location for /docs itself takes the request: no redirect.
    both = ingress([("/docs/", "ImplementationSpecific", "docs", 80), ("/docs", "Exact", "index", 80)])
    index = rule("/docs", "Exact", [("index", 80, 1)])
    docs = rule("/docs/.*", "RegularExpression", [("docs", 80, 1)])
    assert_full(parity(both, gateway(), route(index, docs)))


def test_named_port_resolved_through_the_service() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"ports": [{"name": "http", "port": 80}]},
    }
    shop = ingress([("/", "Prefix", "web", "http")])
    assert_full(parity(shop, service, gateway(), route(rule())))
    assert_mismatch(
        parity(shop, service, gateway(), route(rule(backends=[("web", 8080, 1)]))), f"http://{HOST}/"
    )


# ---- regular expressions ---------------------------------------------------------------------------


def test_use_regex_is_a_case_insensitive_prefix() -> None:
    shop = ingress([("/api/v[0-9]+", "ImplementationSpecific", "api", 80)], annotations={"use-regex": "true"})
    keep = rule("(?i)/api/v[0-9]+.*", "RegularExpression", [("api", 80, 1)])
    assert_full(parity(shop, gateway(), route(keep)))
    found = parity(shop, gateway(), route(rule("/api/v[0-9]+", "RegularExpression", [("api", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/API/V0")


def test_use_regex_applies_to_every_ingress_of_the_host() -> None:
    regex = ingress(
        [("/x", "ImplementationSpecific", "x", 80)], name="regex", annotations={"use-regex": "true"}
    )
    shop = ingress([("/foo", "Prefix", "foo", 80)])
    x = rule("(?i)/x.*", "RegularExpression", [("x", 80, 1)])
    keep = rule("(?i)/foo.*", "RegularExpression", [("foo", 80, 1)])
    assert_full(parity(regex, shop, gateway(), route(x, keep)))
    found = parity(regex, shop, gateway(), route(x, rule("/foo", backends=[("foo", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/FOO")


def test_rewrite_target_replaces_the_whole_path() -> None:
    shop = ingress([("/app", "Prefix", "app", 80)], annotations={"rewrite-target": "/"})
    full_path = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}},
    }
    keep = rule("(?i)/app.*", "RegularExpression", [("app", 80, 1)], filters=[full_path])
    assert_full(parity(shop, gateway(), route(keep)))
    prefix = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
    }
    found = parity(shop, gateway(), route(rule("/app", backends=[("app", 80, 1)], filters=[prefix])))
    assert_mismatch(found, f"http://{HOST}/app/kgov-probe")


def test_rewrite_target_capture_groups() -> None:
    shop = ingress(
        [("/app(/|$)(.*)", "ImplementationSpecific", "app", 80)], annotations={"rewrite-target": "/$2"}
    )
    found = parity(
        shop, gateway(), route(rule("(?i)/app(/|$)(.*)", "RegularExpression", [("app", 80, 1)]))
    )  # no rewrite at all: the upstream path differs
    assert_mismatch(found, f"http://{HOST}/app/kgov-probe")
    assert any("path rewritten to /kgov-probe" in m.ingress for m in found.mismatches)


def test_sample_strings_match_their_patterns() -> None:
    for pattern in ("/api/v[0-9]+", "/app(/|$)(.*)", r"/x/\d{3}", "^(beta|alpha)$", "/[^/]+/items"):
        sample = example(pattern)
        assert sample is not None and __import__("re").match(pattern, sample), pattern
    assert example("(?<=a)b") is None


# ---- default backends ------------------------------------------------------------------------------


def test_default_backend() -> None:
    shop = ingress([("/api", "Prefix", "api", 80)], default="fallback")
    api = rule("/api", backends=[("api", 80, 1)])
    assert_full(parity(shop, gateway(), route(api, rule("/", backends=[("fallback", 80, 1)]))))
    assert_mismatch(parity(shop, gateway(), route(api)), f"http://{HOST}/")


# ---- canaries --------------------------------------------------------------------------------------


def canary(**annotations: str) -> dict[str, Any]:
    return ingress(
        [("/", "Prefix", "next", 80)], name="shop-canary", annotations={"canary": "true", **annotations}
    )


def test_canary_by_weight() -> None:
    weighted = route(rule(backends=[("web", 80, 80), ("next", 80, 20)]))
    assert_full(parity(ingress(), canary(**{"canary-weight": "20"}), gateway(), weighted))
    half = route(rule(backends=[("web", 80, 1), ("next", 80, 1)]))
    assert_mismatch(parity(ingress(), canary(**{"canary-weight": "20"}), gateway(), half), f"http://{HOST}/")


def test_canary_weight_total_counts_only_above_100() -> None:
    # rootfs/etc/nginx/lua/balancer.lua: weightTotal is 100 unless the annotation is greater.
    notes = {"canary-weight": "5", "canary-weight-total": "10"}
    assert_full(
        parity(
            ingress(), canary(**notes), gateway(), route(rule(backends=[("web", 80, 95), ("next", 80, 5)]))
        )
    )
    halves = route(rule(backends=[("web", 80, 1), ("next", 80, 1)]))
    assert_mismatch(parity(ingress(), canary(**notes), gateway(), halves), f"http://{HOST}/")
    above = {"canary-weight": "5", "canary-weight-total": "1000"}
    assert_full(
        parity(
            ingress(), canary(**above), gateway(), route(rule(backends=[("web", 80, 995), ("next", 80, 5)]))
        )
    )


def test_canary_by_header() -> None:
    notes = {"canary-by-header": "X-Canary"}
    always = rule(backends=[("next", 80, 1)], headers=[{"name": "X-Canary", "value": "always"}])
    assert_full(parity(ingress(), canary(**notes), gateway(), route(always, rule())))
    found = parity(ingress(), canary(**notes), gateway(), route(rule()))
    assert_mismatch(found, f"http://{HOST}/ [x-canary: always]")


def test_canary_by_header_value() -> None:
    notes = {"canary-by-header": "X-Canary", "canary-by-header-value": "yes"}
    yes = rule(backends=[("next", 80, 1)], headers=[{"name": "x-canary", "value": "yes"}])
    assert_full(parity(ingress(), canary(**notes), gateway(), route(yes, rule())))
    always = rule(backends=[("next", 80, 1)], headers=[{"name": "x-canary", "value": "always"}])
    assert_mismatch(
        parity(ingress(), canary(**notes), gateway(), route(always, rule())),
        f"http://{HOST}/ [x-canary: yes]",
    )


def test_canary_by_header_pattern() -> None:
    notes = {"canary-by-header": "X-Canary", "canary-by-header-pattern": "^(beta|alpha)$"}
    regex = rule(
        backends=[("next", 80, 1)],
        headers=[{"name": "X-Canary", "type": "RegularExpression", "value": "beta|alpha"}],
    )
    assert_full(parity(ingress(), canary(**notes), gateway(), route(regex, rule())))
    exact = rule(backends=[("next", 80, 1)], headers=[{"name": "X-Canary", "value": "alpha"}])
    assert_mismatch(
        parity(ingress(), canary(**notes), gateway(), route(exact, rule())),
        f"http://{HOST}/ [x-canary: beta]",
    )


# ---- redirects -------------------------------------------------------------------------------------


def test_ssl_redirect_for_tls_hosts() -> None:
    shop = ingress(tls=True)
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    assert_full(parity(shop, gateway(), upgrade, route(rule(), section="https")))
    found = parity(shop, gateway(), route(rule()))
    assert_mismatch(found, f"http://{HOST}/")
    assert all(m.tls for m in found.mismatches)


def test_ssl_redirect_switched_off() -> None:
    shop = ingress(tls=True, annotations={"ssl-redirect": "false"})
    assert_full(parity(shop, gateway(), route(rule())))
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    assert_mismatch(parity(shop, gateway(), upgrade, route(rule(), section="https")), f"http://{HOST}/")


def test_force_ssl_redirect_without_tls() -> None:
    shop = ingress(annotations={"force-ssl-redirect": "true"})
    assert_full(
        parity(
            shop,
            gateway(),
            route(rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)])),
        )
    )
    found = parity(shop, gateway(), route(rule(None, backends=[], filters=[redirect(scheme="https")])))
    assert_mismatch(found, f"http://{HOST}/")  # RequestRedirect defaults to 302


def test_permanent_redirect() -> None:
    shop = ingress(annotations={"permanent-redirect": "https://new.example.com/"})
    full = {"type": "ReplaceFullPath", "replaceFullPath": "/"}
    keep = redirect(scheme="https", hostname="new.example.com", path=full, statusCode=301)
    assert_full(parity(shop, gateway(), route(rule(backends=[], filters=[keep]))))
    lost = redirect(scheme="https", hostname="new.example.com", statusCode=301)
    assert_mismatch(
        parity(shop, gateway(), route(rule(backends=[], filters=[lost]))), f"http://{HOST}/kgov-probe"
    )


def test_permanent_redirect_comes_before_the_https_redirect() -> None:
    shop = ingress(tls=True, annotations={"permanent-redirect": "https://new.example.com/"})
    full = {"type": "ReplaceFullPath", "replaceFullPath": "/"}
    moved = redirect(scheme="https", hostname="new.example.com", path=full, statusCode=301)
    assert_full(parity(shop, gateway(), route(rule(backends=[], filters=[moved]))))
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    https_only = route(rule(backends=[], filters=[moved]), section="https")
    assert_mismatch(parity(shop, gateway(), upgrade, https_only), f"http://{HOST}/")


def test_temporal_redirect_code() -> None:
    shop = ingress(
        annotations={"temporal-redirect": "https://new.example.com/", "temporal-redirect-code": "307"}
    )
    full = {"type": "ReplaceFullPath", "replaceFullPath": "/"}
    keep = redirect(scheme="https", hostname="new.example.com", path=full, statusCode=307)
    assert_full(parity(shop, gateway(), route(rule(backends=[], filters=[keep]))))
    other = redirect(scheme="https", hostname="new.example.com", path=full, statusCode=302)
    assert_mismatch(parity(shop, gateway(), route(rule(backends=[], filters=[other]))), f"http://{HOST}/")


def test_app_root() -> None:
    shop = ingress(annotations={"app-root": "/app"})
    to_app = {"type": "ReplaceFullPath", "replaceFullPath": "/app"}
    keep = rule("/", "Exact", [], filters=[redirect(path=to_app, statusCode=302)])
    assert_full(parity(shop, gateway(), route(keep, rule())))
    moved = rule("/", "Exact", [], filters=[redirect(path=to_app, statusCode=301)])
    assert_mismatch(parity(shop, gateway(), route(moved, rule())), f"http://{HOST}/")
    # Written at server level: an older Ingress of the host without it does not hide it.
    older = ingress([("/api", "Prefix", "api", 80)], name="api")
    older["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    api = rule("/api", backends=[("api", 80, 1)])
    assert_full(parity(older, shop, gateway(), route(keep, api, rule())))


# ---- Gateway API matching --------------------------------------------------------------------------


def test_precedence_oldest_route_wins_a_tie() -> None:
    older = route(rule(), name="b-old", created="2026-01-01T00:00:00Z")
    newer = route(rule(backends=[("other", 80, 1)]), name="a-new", created="2026-06-01T00:00:00Z")
    assert_full(parity(ingress(), gateway(), older, newer))
    older_wrong = route(rule(backends=[("other", 80, 1)]), name="b-old", created="2026-01-01T00:00:00Z")
    newer_right = route(rule(), name="a-new", created="2026-06-01T00:00:00Z")
    assert_mismatch(parity(ingress(), gateway(), older_wrong, newer_right), f"http://{HOST}/")


def test_more_specific_route_hostname_wins() -> None:
    exact = route(rule(), name="exact")
    wild = route(rule(backends=[("other", 80, 1)]), name="wild", hostnames=["*.example.com"])
    assert_full(
        parity(
            ingress(host="*.example.com", paths=[("/", "Prefix", "other", 80)]),
            ingress(),
            gateway(),
            exact,
            wild,
        )
    )
    assert_mismatch(parity(ingress(), gateway(), wild), f"http://{HOST}/")


@pytest.mark.parametrize(
    "extra",
    [
        {"method": "POST"},
        {"headers": [{"name": "x-beta", "value": "1"}]},
        {"query": [{"name": "debug", "value": "1"}]},
    ],
    ids=["method", "header", "query"],
)
def test_header_query_method_matches_narrow_a_rule(extra: dict[str, Any]) -> None:
    assert_full(parity(ingress(), gateway(), route(rule(method="GET"))))
    assert_mismatch(parity(ingress(), gateway(), route(rule(**extra))), f"http://{HOST}/")


def test_upstream_host_header() -> None:
    shop = ingress(annotations={"upstream-vhost": "internal.example"})
    rewrite = {"type": "URLRewrite", "urlRewrite": {"hostname": "internal.example"}}
    assert_full(parity(shop, gateway(), route(rule(filters=[rewrite]))))
    header = {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"set": [{"name": "Host", "value": "internal.example"}]},
    }
    assert_full(parity(shop, gateway(), route(rule(filters=[header]))))
    assert_mismatch(parity(shop, gateway(), route(rule())), f"http://{HOST}/")


def test_request_mirror_does_not_change_the_answer() -> None:
    mirror = {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow", "port": 80}}}
    assert_full(parity(ingress(), gateway(), route(rule(filters=[mirror]))))
    assert_mismatch(
        parity(ingress(), gateway(), route(rule(backends=[("shadow", 80, 1)]))), f"http://{HOST}/"
    )


def test_grpc_route() -> None:
    shop = ingress(annotations={"backend-protocol": "GRPC"})
    grpc = route({"backendRefs": [{"name": "web", "port": 80}]}, kind="GRPCRoute")
    assert_full(parity(shop, gateway(), grpc))
    narrow = route(
        {"matches": [{"method": {"service": "shop.Cart"}}], "backendRefs": [{"name": "web", "port": 80}]},
        kind="GRPCRoute",
    )
    assert_mismatch(parity(shop, gateway(), narrow), f"http://{HOST}/ (gRPC)")


def test_tls_passthrough() -> None:
    shop = ingress(annotations={"ssl-passthrough": "true"}, tls=True, paths=[("/", "Prefix", "web", 443)])
    listeners = (
        {"name": "http", "port": 80, "protocol": "HTTP"},
        {"name": "tls", "port": 443, "protocol": "TLS", "tls": {"mode": "Passthrough"}},
    )
    tls_route = route({"backendRefs": [{"name": "web", "port": 443}]}, kind="TLSRoute", name="shop-tls")
    upgrade = route(rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up")
    assert_full(parity(shop, gateway(*listeners), tls_route, upgrade))
    terminate = route(rule(backends=[("web", 443, 1)]), name="https", section="https")
    found = parity(shop, gateway(), upgrade, terminate)
    assert_mismatch(found, f"https://{HOST}/")
    assert any(m.probe == f"TLS {HOST}" for m in found.mismatches)


def test_tls_host_needs_a_listener_with_a_certificate() -> None:
    shop = ingress(tls=True)
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    bare = (
        {"name": "http", "port": 80, "protocol": "HTTP"},
        {"name": "https", "port": 443, "protocol": "HTTPS"},
    )
    found = parity(shop, gateway(*bare), upgrade, route(rule(), section="https"))
    assert_mismatch(found, f"TLS {HOST}")
    assert_full(parity(shop, gateway(), upgrade, route(rule(), section="https")))


def test_the_gateway_of_the_ingress_class_answers() -> None:
    internal = ingress([("/", "Prefix", "admin", 80)], name="internal")
    internal["spec"]["ingressClassName"] = "internal"
    own = gateway()
    other = {**gateway(), "metadata": {"name": "internal", "namespace": "shop"}}
    other["spec"] = {**other["spec"], "gatewayClassName": "internal"}
    own["metadata"]["name"] = "nginx"
    mine = route(rule(), name="shop")
    mine["spec"]["parentRefs"] = [{"name": "nginx"}]
    theirs = route(rule(backends=[("admin", 80, 1)]), name="internal")
    theirs["spec"]["parentRefs"] = [{"name": "internal"}]
    assert_full(parity(ingress(), internal, own, other, mine, theirs))
    assert_full(parity(ingress(), internal, own, other, mine, theirs, of="internal"))
    wrong = route(rule(backends=[("admin", 80, 1)]), name="shop")
    wrong["spec"]["parentRefs"] = [{"name": "nginx"}]
    assert_mismatch(parity(ingress(), internal, own, other, wrong, theirs), f"http://{HOST}/")


def test_canary_by_cookie() -> None:
    notes = {"canary-by-cookie": "beta"}
    cookie = rule(
        backends=[("next", 80, 1)],
        headers=[{"name": "Cookie", "type": "RegularExpression", "value": ".*beta=always.*"}],
    )
    assert_full(parity(ingress(), canary(**notes), gateway(), route(cookie, rule())))
    assert_mismatch(
        parity(ingress(), canary(**notes), gateway(), route(rule())), f"http://{HOST}/ [cookie: beta=always]"
    )


SLASH_REDIRECT = {
    "type": "RequestRedirect",
    "requestRedirect": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/app/"}, "statusCode": 301},
}


def test_rewrite_target_equal_to_the_written_path_changes_nothing() -> None:
    # template.go buildProxyPass compares the target with the written location path.
    shop = ingress([("/app/", "Prefix", "app", 80)], annotations={"rewrite-target": "/app/"})
    assert_full(
        parity(
            shop,
            gateway(),
            route(rule("/app/", backends=[("app", 80, 1)])),
            route(rule("/app", "Exact", [], filters=[SLASH_REDIRECT]), name="slash"),
        )
    )
    regex = rule("(?i)/app/.*", "RegularExpression", [("app", 80, 1)])
    assert_mismatch(parity(shop, gateway(), route(regex)), f"http://{HOST}/APP/")


def test_rewrite_target_equal_to_a_prefix_path_rewrites_its_sub_paths() -> None:
    # location.go updateServerLocations writes Prefix /app as /app/ (plus = /app): /app/ differs
    # from the target /app, so sub-paths are rewritten to /app and the host's paths turn regex.
    shop = ingress([("/app", "Prefix", "app", 80)], annotations={"rewrite-target": "/app"})
    found = parity(shop, gateway(), route(rule("/app", backends=[("app", 80, 1)])))
    assert_mismatch(found, f"http://{HOST}/app/kgov-probe")


def test_x_forwarded_prefix_goes_with_a_rewrite() -> None:
    notes = {"rewrite-target": "/", "x-forwarded-prefix": "/app"}
    shop = ingress([("/app", "Prefix", "app", 80)], annotations=notes)
    full_path = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}},
    }
    prefix = {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"set": [{"name": "X-Forwarded-Prefix", "value": "/app"}]},
    }
    keep = rule("(?i)/app.*", "RegularExpression", [("app", 80, 1)], filters=[full_path, prefix])
    assert_full(parity(shop, gateway(), route(keep)))
    lost = rule("(?i)/app.*", "RegularExpression", [("app", 80, 1)], filters=[full_path])
    assert_mismatch(parity(shop, gateway(), route(lost)), f"http://{HOST}/app")
    plain = ingress([("/app", "Prefix", "app", 80)], annotations={"x-forwarded-prefix": "/app"})
    assert_full(parity(plain, gateway(), route(rule("/app", backends=[("app", 80, 1)]))))


def test_https_redirect_drops_a_trailing_slash_which_parity_accepts() -> None:
    from kgov.migration.outcome import Probe

    def answer(notes: dict[str, str]) -> str | None:
        loaded = load_text(yaml.safe_dump(ingress(tls=True, annotations=notes)), "test.yaml")
        inventory = Inventory(loaded.objects)
        view = inventory.network.ingresses[0]
        return migration_index(inventory).model_for(view).route(Probe("http", HOST, "/docs/")).location

    assert answer({}) == f"https://{HOST}/docs"
    assert answer({"preserve-trailing-slash": "true"}) == f"https://{HOST}/docs/"
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    assert_full(parity(ingress(tls=True), gateway(), upgrade, route(rule(), section="https")))


def test_listener_set_listeners_belong_to_their_gateway() -> None:
    parent = gateway({"name": "http", "port": 80, "protocol": "HTTP"})
    parent["spec"]["allowedListeners"] = {"namespaces": {"from": "Same"}}
    listeners = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {
            "parentRef": {"name": "public"},
            "listeners": [
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": HOST,
                    "tls": {"certificateRefs": [{"name": "shop-tls"}]},
                }
            ],
        },
    }
    upgrade = route(
        rule(None, backends=[], filters=[redirect(scheme="https", statusCode=308)]), name="up", section="http"
    )
    secure = route(rule(), name="secure")
    secure["spec"]["parentRefs"] = [{"kind": "ListenerSet", "name": "shop"}]
    assert_full(parity(ingress(tls=True), parent, listeners, upgrade, secure))
    listeners["spec"]["listeners"][0]["tls"] = {"certificateRefs": []}
    assert_mismatch(parity(ingress(tls=True), parent, listeners, upgrade, secure), f"TLS {HOST}")


def test_each_gateway_is_an_address_of_its_own() -> None:
    # Two Gateways serving one host are two addresses: DNS may send a client to either, so each must
    # answer as ingress-nginx does (one serving only /a 404s on /b).
    shop = ingress([("/a", "Prefix", "a", 80), ("/b", "Prefix", "b", 80)])
    second = {**gateway(), "metadata": {"name": "other", "namespace": "shop"}}
    on_other = route(rule("/b", backends=[("b", 80, 1)]), name="b")
    on_other["spec"]["parentRefs"] = [{"name": "other"}]
    both = route(rule("/a", backends=[("a", 80, 1)]), rule("/b", backends=[("b", 80, 1)]), name="a")
    assert_full(parity(shop, gateway(), both))
    found = parity(shop, gateway(), second, route(rule("/a", backends=[("a", 80, 1)]), name="a"), on_other)
    assert_mismatch(found, f"http://{HOST}/a")


def test_section_name_is_honoured_without_the_gateway_in_the_input() -> None:
    # The Gateway is not in the input: the route on the `…-https` listener serves HTTPS only, the
    # redirect route on the `…-http` listener plain HTTP only. Attached to every listener, the redirect
    # route (first by name) would also answer HTTPS.
    shop = ingress([("/", "Prefix", "web", 80)], tls=True)
    upgrade = [rule(backends=[], filters=[redirect(scheme="https", statusCode=308)])]
    main = route(rule(backends=[("web", 80, 1)]), name="main", section="shop-example-com-https")
    by_section = route(*upgrade, name="a-upgrade", section="shop-example-com-http")
    assert_tls_unknown(parity(shop, main, by_section), [])
    by_port = route(*upgrade, name="a-upgrade")
    by_port["spec"]["parentRefs"] = [{"name": "public", "port": 80}]
    assert_tls_unknown(parity(shop, main, by_port), [])
    everywhere = route(*upgrade, name="a-upgrade")
    assert_tls_unknown(parity(shop, main, everywhere), _root_probes("https"))


def _root_probes(scheme: str) -> list[str]:
    return [f"{scheme}://{HOST}{path}" for path in ("/", "/kgov-probe", "/KGOV-PROBE")]


def assert_tls_unknown(found: Parity, probes: list[str]) -> None:
    """TLS undecided: the parent Gateway is not in the input, and with it its listeners (their
    certificates) and the routes beside it (where the HTTP to HTTPS redirect usually lives)."""
    assert found.status == UNDECIDED and found.undecided is None, [m.as_dict() for m in found.mismatches]
    assert found.mismatches == [] and found.tls_mismatches == []
    assert [m.probe for m in found.unknown if not m.probe.startswith("TLS ")] == probes
    assert [m.probe for m in found.unknown if m.probe.startswith("TLS ")] == [f"TLS {HOST}"]


def test_tls_is_undecided_on_a_gateway_not_in_the_input() -> None:
    """The route takes the `https` listener of a Gateway not in the input: who answers plain HTTP (a
    redirect route beside the Gateway, or no HTTP listener at all) is the Gateway's, not known. With
    the Gateway in the input and no redirect route, the redirect is lost."""
    shop = ingress([("/", "Prefix", "web", 80)], tls=True)
    secure = route(rule(backends=[("web", 80, 1)]), section="https")
    assert_tls_unknown(parity(shop, secure), _root_probes("http"))
    found = parity(shop, gateway(), secure)
    assert_mismatch(found, f"http://{HOST}/")
    assert found.unknown == []


def test_a_gateway_in_the_input_is_compared_beside_one_that_is_not() -> None:
    """Routes on two Gateways, one in the input: what the known one answers is compared, what the
    assumed one answers is undecided."""
    shop = ingress([("/", "Prefix", "web", 80)], tls=True)
    known = route(rule(backends=[("web", 80, 1)]), name="a-known")
    elsewhere = route(rule(backends=[("web", 80, 1)]), name="b-elsewhere")
    elsewhere["spec"]["parentRefs"] = [{"name": "edge", "namespace": "infra"}]
    found = parity(shop, gateway(), known, elsewhere)
    assert found.status == MISMATCH and found.tls_mismatches
    assert all("assumed" not in m.routes for m in found.tls_mismatches)
