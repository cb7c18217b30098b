"""What a run knows besides the objects reaches the checks as one `Facts` value: the gate's baseline."""

from __future__ import annotations

from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.inventory import Inventory
from kgov.model.facts import Baseline, Facts
from kgov.sources.files import load_text

INGRESSES = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web}
spec:
  ingressClassName: nginx
  rules: [{host: shop.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: blog}
spec:
  ingressClassName: nginx
  rules: [{host: blog.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: blog, port: {number: 80}}}}]}}]
"""
NEW_INGRESS = "migration.new-ingress"


def new_ingresses(facts: Facts) -> tuple[list[str], list[str]]:
    """The Ingresses `migration.new-ingress` reports, and why it was skipped, if it was."""
    loaded = load_text(INGRESSES, "ingresses.yaml")
    registry = default_registry()
    config = Config.model_validate({"migration": {"forbid_new_ingress": True}})
    checks = select_checks(registry, config, [NEW_INGRESS])
    params = resolve_params(registry, config)
    result = evaluate(Inventory(loaded.objects), checks, config, params, Capabilities(), facts=facts)
    return [f.target.name for f in result.findings], [s.reason for s in result.skipped]


def test_without_a_baseline_the_check_is_skipped_with_the_reason() -> None:
    found, skipped = new_ingresses(Facts())
    assert found == []
    assert skipped == ["needs a baseline: run `kgov gate migration --base GIT_REF|FOLDER`"]


def test_an_ingress_missing_from_the_baseline_is_new() -> None:
    base = load_text(INGRESSES.split("---")[1], "base.yaml").objects
    found, skipped = new_ingresses(Facts(baseline=Baseline.of(base)))
    assert (found, skipped) == (["shop"], [])


def test_a_namespace_left_empty_is_the_same_ingress() -> None:
    assert Baseline.of(load_text(INGRESSES, "base.yaml").objects).has_ingress("", "blog")
    assert new_ingresses(Facts(baseline=Baseline(frozenset({("web", "shop"), (None, "blog")})))) == ([], [])
