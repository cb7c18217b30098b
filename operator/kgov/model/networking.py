"""Projections of Ingress, IngressClass, PodDisruptionBudget, admission webhooks and ConfigMap
(Service is in `kgov.model.services`).

Ingress is read in every served and legacy version (`networking.k8s.io/v1`, `networking.k8s.io/v1beta1`,
`extensions/v1beta1`); `normalize_ingress` turns the legacy backend shape into the v1 one first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from kgov.model.base import NullableList, Projection, StrMap, SubdomainName

LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


class ServiceBackendPort(Projection):
    number: int | None = None
    name: str | None = None

    def display(self) -> str:
        return str(self.number) if self.number is not None else str(self.name)


class ServiceBackend(Projection):
    name: str
    port: ServiceBackendPort = Field(default_factory=ServiceBackendPort)


class IngressBackend(Projection):
    service: ServiceBackend | None = None
    resource: dict[str, Any] | None = None


class IngressPath(Projection):
    path: str | None = None
    path_type: str | None = None
    backend: IngressBackend = Field(default_factory=IngressBackend)


class HTTPIngressRuleValue(Projection):
    paths: NullableList[IngressPath] = Field(default_factory=list)


class IngressRule(Projection):
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressTLS(Projection):
    hosts: NullableList[str] = Field(default_factory=list)
    secret_name: str | None = None


class IngressSpec(Projection):
    ingress_class_name: SubdomainName | None = None
    default_backend: IngressBackend | None = None
    rules: NullableList[IngressRule] = Field(default_factory=list)
    tls: NullableList[IngressTLS] = Field(default_factory=list)


class Ingress(Projection):
    spec: IngressSpec = Field(default_factory=IngressSpec)

    def backends(self) -> list[IngressBackend]:
        """Every backend the Ingress routes to: the default one, then each path's, in order."""
        found = [self.spec.default_backend] if self.spec.default_backend else []
        for rule in self.spec.rules:
            found += [path.backend for path in (rule.http.paths if rule.http else [])]
        return found


def normalize_ingress(raw: Any) -> Any:
    """Rewrite a legacy (`v1beta1`) Ingress spec into the v1 shape; other data passes through."""
    if not isinstance(raw, dict) or not isinstance(raw.get("spec"), dict):
        return raw
    if raw.get("apiVersion") == "networking.k8s.io/v1":
        return raw
    spec = dict(raw["spec"])
    if "backend" in spec:
        spec["defaultBackend"] = _legacy_backend(spec.pop("backend"))
    rules = spec.get("rules")
    if isinstance(rules, list):
        spec["rules"] = [_legacy_rule(rule) for rule in rules]
    return {**raw, "spec": spec}


def _legacy_rule(rule: Any) -> Any:
    if not isinstance(rule, dict) or not isinstance(rule.get("http"), dict):
        return rule
    paths = rule["http"].get("paths")
    if not isinstance(paths, list):
        return rule
    converted = [
        {**p, "backend": _legacy_backend(p.get("backend"))} if isinstance(p, dict) else p for p in paths
    ]
    return {**rule, "http": {**rule["http"], "paths": converted}}


def _legacy_backend(backend: Any) -> Any:
    if not isinstance(backend, dict) or "serviceName" not in backend:
        return backend
    port = backend.get("servicePort")
    port_ref: dict[str, Any] = {"number": port}
    if isinstance(port, str):
        port_ref = {"number": int(port)} if port.isdigit() else {"name": port}
    return {"service": {"name": backend["serviceName"], "port": port_ref}}


class IngressClassSpec(Projection):
    controller: str | None = None


class IngressClass(Projection):
    spec: IngressClassSpec = Field(default_factory=IngressClassSpec)


class LabelSelectorRequirement(Projection):
    key: str
    operator: str
    values: NullableList[str] = Field(default_factory=list)


class LabelSelector(Projection):
    match_labels: StrMap = Field(default_factory=dict)
    match_expressions: NullableList[LabelSelectorRequirement] = Field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """metav1.LabelSelector semantics: all terms ANDed; an empty selector matches everything."""
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        return all(_requirement_holds(req, labels) for req in self.match_expressions)


def _requirement_holds(req: LabelSelectorRequirement, labels: Mapping[str, str]) -> bool:
    present = req.key in labels
    if req.operator == "In":
        return present and labels[req.key] in req.values
    if req.operator == "NotIn":
        return not present or labels[req.key] not in req.values
    if req.operator == "Exists":
        return present
    if req.operator == "DoesNotExist":
        return not present
    return False  # unknown operator: the API server rejects it, so it selects nothing


class PDBSpec(Projection):
    selector: LabelSelector | None = None


class PodDisruptionBudget(Projection):
    spec: PDBSpec = Field(default_factory=PDBSpec)


class WebhookService(Projection):
    namespace: str | None = None
    name: str | None = None
    path: str | None = None


class WebhookClientConfig(Projection):
    service: WebhookService | None = None
    url: str | None = None


class Webhook(Projection):
    name: str
    client_config: WebhookClientConfig = Field(default_factory=WebhookClientConfig)


class ValidatingWebhookConfiguration(Projection):
    webhooks: NullableList[Webhook] = Field(default_factory=list)


class ConfigMap(Projection):
    data: StrMap = Field(default_factory=dict)
