"""Ingress and Gateway API behaviour beyond single fixtures: folder scoping of "missing", snippet
evidence, catalogue loading."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kgov import catalogue
from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.catalog import default_registry
from kgov.config import Config
from kgov.inventory import Inventory
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


@pytest.mark.parametrize(
    ("service_file", "fires"),
    [
        ("repo/shop/services.yaml", True),  # same folder: shop's Services are known
        ("repo/services.yaml", True),  # a folder above
        ("repo/shop/base/services.yaml", True),  # a folder below
        ("other-project/services.yaml", False),  # an unrelated tree vouches for nothing
    ],
)
def test_missing_service_is_decided_within_the_folder_tree(service_file: str, fires: bool) -> None:
    evaluation = _scan(
        {"repo/shop/route.yaml": ROUTE, service_file: OTHER_SERVICE}, ["gateway.unresolved-refs"]
    )
    assert bool(evaluation.findings) is fires


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


def test_a_malformed_catalogue_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = catalogue._read

    def broken(path: str) -> object:
        data = real(path)
        if path == "controllers.yaml":
            data["controllers"][0]["config_model"] = "telepathy"
        return data

    monkeypatch.setattr(catalogue, "_read", broken)
    catalogue.load_catalogue.cache_clear()
    try:
        with pytest.raises(catalogue.CatalogueError, match=r"controllers\.yaml: controllers/0/config_model"):
            catalogue.load_catalogue()
    finally:
        catalogue.load_catalogue.cache_clear()
