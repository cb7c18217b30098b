"""Ingress and Gateway API behaviour beyond single fixtures: folder scoping of "missing", snippet
evidence, catalogue loading."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from fnmatch import fnmatchcase, translate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import run_checks
from kgov import catalogue
from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.domain import attachment
from kgov.inventory import Inventory
from kgov.inventory.network import Network, RouteView
from kgov.model import gateway as gw
from kgov.sources.files import load_text

ROUTE = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""
OTHER_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{port: 80}]
"""


def _scan(files: dict[str, str], checks: list[str]) -> Evaluation:
    objects = []
    for name, text in files.items():
        loaded = load_text(text, name)
        assert not loaded.errors
        objects += loaded.objects
    registry, config = default_registry(), Config()
    return evaluate(
        Inventory(objects),
        select_checks(registry, config, checks),
        config,
        resolve_params(registry, config),
        Capabilities(),
        now=datetime(2026, 11, 22, tzinfo=UTC),
    )


SHOP_NAMESPACE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"""


@pytest.mark.parametrize(
    "service_file",
    ["repo/shop/services.yaml", "repo/services.yaml", "repo/shop/base/services.yaml", "other/services.yaml"],
)
def test_missing_service_is_decided_in_one_scope_whatever_the_folders(service_file: str) -> None:
    """Everything named on one command line is one scope: where the files lie does not matter."""
    files = {"repo/shop/route.yaml": ROUTE, service_file: OTHER_SERVICE, "ns.yaml": SHOP_NAMESPACE}
    evaluation = _scan(files, ["gateway.unresolved-refs"])
    assert [f.evidence["backends"][0]["problem"] for f in evaluation.findings] == [
        "Service shop/web does not exist"
    ]


def test_missing_service_is_unknown_without_a_closed_namespace() -> None:
    # Without the Namespace object the input may be a part of what runs in shop: nothing is decided,
    # and the run says what it could not decide.
    evaluation = _scan({"route.yaml": ROUTE, "services.yaml": OTHER_SERVICE}, ["gateway.unresolved-refs"])
    assert not evaluation.findings
    assert [(s.reason, s.undecided) for s in evaluation.skipped] == [
        ("1 backendRef to a Service not in the input", 1)
    ]


def test_snippet_value_never_reaches_the_report() -> None:
    secret = "proxy_set_header Authorization 'Bearer s3cr3t-token';"
    ingress = f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "{secret}"
spec:
  rules: [{{host: shop.example.com}}]
"""
    evaluation = _scan({"ingress.yaml": ingress}, ["ingress.snippet-annotation"])
    [finding] = evaluation.findings
    dumped = json.dumps([finding.message, finding.evidence])
    assert "s3cr3t" not in dumped and "Bearer" not in dumped
    assert finding.evidence["keys"][0]["length"] == len(secret)
    assert finding.severity.value == "high"  # no controller ConfigMap in the set


def test_catalogue_loads_and_resolves_controllers() -> None:
    loaded = catalogue.load_catalogue()
    nginx = loaded.for_ingress_class("k8s.io/ingress-nginx")
    assert nginx is not None and nginx.retired
    assert loaded.for_image("registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:abc") is nginx
    assert loaded.for_image("nginx:1.27") is None
    assert loaded.annotations["ingress-nginx"].lookup("whitelist-source-range") is not None
    risks = [a.risk for a in loaded.annotations["ingress-nginx"].annotations.values() if a.risk]
    assert len(risks) == 136 and risks.count("Critical") == 5 and risks.count("High") == 10


def _first_matching(controllers: list[catalogue.Controller], image: str) -> catalogue.Controller | None:
    name = catalogue.image_name(image)
    return next((c for c in controllers if any(fnmatchcase(name, p) for p in c.images)), None)


_CATALOGUED = catalogue.load_catalogue()
_IMAGE_PATTERNS = [p for c in _CATALOGUED.controllers for p in c.images]


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.sampled_from(_IMAGE_PATTERNS).flatmap(
            lambda p: st.from_regex(translate(p), fullmatch=True).filter(lambda n: len(n) < 40)
        ),
        st.text(alphabet="abkong/-:@.*", max_size=30),
    )
)
def test_image_lookup_is_the_first_controller_with_a_matching_pattern(image: str) -> None:
    assert _CATALOGUED.for_image(image) is _first_matching(_CATALOGUED.controllers, image)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.lists(st.text(alphabet="ab/*?[]", max_size=5), max_size=3), min_size=1, max_size=4),
    st.text(alphabet="ab/", max_size=6),
)
def test_image_lookup_with_any_patterns(patterns: list[list[str]], name: str) -> None:
    base = _CATALOGUED.controllers[0]
    controllers = [dataclasses.replace(base, id=str(i), images=tuple(p)) for i, p in enumerate(patterns)]
    assert catalogue.Catalogue(controllers, {}).for_image(name) is _first_matching(controllers, name)


def test_conflicting_paths_live_names_the_served_ingress() -> None:
    def ingress(name: str, service: str, created: str) -> str:
        return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop, creationTimestamp: "{created}"}}
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.com
      http:
        paths:
          - {{path: /api, pathType: ImplementationSpecific, backend: {{service: {{name: {service}, port: {{number: 80}}}}}}}}
"""

    text = "\n---\n".join(
        [
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\n"
            "spec: {controller: k8s.io/ingress-nginx}",
            ingress("old", "web", "2026-01-01T00:00:00Z"),
            ingress("new", "api", "2026-06-01T00:00:00Z"),
        ]
    )
    findings = {f.target.name: f for f in run_checks(text, ["ingress.conflicting-paths"], live=True).findings}
    # One conflict, one finding: on the newer Ingress, whose backend gets no traffic.
    assert list(findings) == ["new"]
    assert findings["new"].evidence["conflicts"][0]["older"] == "other"
    assert "this one's backend gets no traffic" in findings["new"].message
    assert "merged" not in findings["new"].evidence  # the order is known: nothing for the gate to assume


def test_a_routes_attachments_are_worked_out_once_for_every_check_that_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attached: list[str] = []
    attach = attachment._attach

    def counted(route: RouteView, ref: gw.ParentReference, network: Network) -> attachment.Attachment:
        attached.append(f"{route.obj.name} → {ref.name}")
        return attach(route, ref, network)

    monkeypatch.setattr(attachment, "_attach", counted)
    gateway = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: edge
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules: [{host: shop.example.org, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
---"""
    route = ROUTE.replace("spec:", "spec:\n  hostnames: [shop.example.org]", 1)
    checks = ["gateway.parent-not-found", "gateway.listener-not-allowed", "gateway.hostname-mismatch"]
    evaluation = run_checks(gateway + route, [*checks, "migration.route-parity"])
    assert attached == ["web → gw"]
    assert [(f.check, f.target.name) for f in evaluation.findings] == [("gateway.hostname-mismatch", "web")]
