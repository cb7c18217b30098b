"""Gateways, listeners and the ReferenceGrants their certificate references need, collected while routes
are written, then emitted once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kgov.migration.convert_model import GATEWAY_API, Generated, ListenerLayout

NAMESPACE_LABEL = "kubernetes.io/metadata.name"


_NOT_IN_NAME = re.compile(r"[^a-z0-9-]+")


def slug(host: str | None) -> str:
    if host is None:
        return "default"
    return host.lower().replace("*", "wildcard").replace(".", "-").strip("-")[:200]


def dns_name(*parts: str) -> str:
    """A DNS-1123 subdomain made of `parts`: what a Kubernetes name may not hold becomes `-`."""
    labels = "-".join(p for p in parts if p).lower().split(".")
    name = ".".join(label for label in (_NOT_IN_NAME.sub("-", x).strip("-") for x in labels) if label)
    return name[:253].rstrip("-.") or "route"


@dataclass(slots=True)
class Certificate:
    namespace: str | None
    secret: str
    source: str


@dataclass(slots=True)
class GatewayPlan:
    namespace: str | None
    name: str
    class_name: str
    layout: ListenerLayout
    listeners: dict[str, dict[str, Any]] = field(default_factory=dict)
    route_namespaces: set[str | None] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    listener_names: dict[tuple[str, str | None], str] = field(default_factory=dict)
    refs: list[dict[str, Any]] = field(default_factory=list)  # parentRefs written, renamed on a split

    def parent_ref(self, section: str, route_namespace: str | None) -> dict[str, Any]:
        ref: dict[str, Any] = {"name": self.name}
        if self.namespace != route_namespace and self.namespace is not None:
            ref["namespace"] = self.namespace
        ref["sectionName"] = section
        self.refs.append(ref)
        return ref

    def attach(self, source: str, route_namespace: str | None) -> None:
        if source not in self.sources:
            self.sources.append(source)
        self.route_namespaces.add(route_namespace)

    def http(self, host: str | None) -> str:
        base = "http" if self.layout == "shared" or host is None else f"{slug(host)}-http"
        return str(self._listener(base, host, 80, "HTTP")["name"])

    def https(self, host: str | None, cert: Certificate) -> str:
        base = "https" if self.layout == "shared" or host is None else f"{slug(host)}-https"
        listener = self._listener(base, host, 443, "HTTPS")
        refs = listener.setdefault("tls", {"mode": "Terminate", "certificateRefs": []})["certificateRefs"]
        ref: dict[str, Any] = {"group": "", "kind": "Secret", "name": cert.secret}
        if cert.namespace != self.namespace and cert.namespace is not None:
            ref["namespace"] = cert.namespace
        if ref not in refs and len(refs) < 64:
            refs.append(ref)
        return str(listener["name"])

    def passthrough(self, host: str) -> str:
        listener = self._listener(f"{slug(host)}-tls", host, 443, "TLS", per_host=True)
        listener["tls"] = {"mode": "Passthrough"}
        return str(listener["name"])

    def _listener(
        self, base: str, host: str | None, port: int, protocol: str, per_host: bool = False
    ) -> dict[str, Any]:
        """The listener for (protocol, hostname); names that collide (`a-b.com`, `a.b-com`) get a suffix."""
        hostname = host if host is not None and (self.layout == "per-host" or per_host) else None
        name = self.listener_names.get((protocol, hostname))
        if name is None:
            name, counter = base, 1
            while name in self.listeners:
                counter += 1
                name = f"{base}-{counter}"
            self.listener_names[(protocol, hostname)] = name
            listener: dict[str, Any] = {"name": name}
            if hostname is not None:
                listener["hostname"] = hostname
            listener.update(port=port, protocol=protocol)
            self.listeners[name] = listener
        return self.listeners[name]

    def certificate_refs(self) -> list[dict[str, Any]]:
        return [
            ref
            for listener in self.listeners.values()
            for ref in listener.get("tls", {}).get("certificateRefs", [])
            if "namespace" in ref
        ]

    def build(self) -> list[Generated]:
        """The Gateway, split into `name`, `name-2`, … when its listeners exceed the CRD's 64 (the
        listeners of one hostname stay together, and the routes' parentRefs follow them)."""
        chunks = _chunks(list(self.listeners.values()))
        found: list[Generated] = []
        for index, listeners in enumerate(chunks):
            name = self.name if index == 0 else dns_name(self.name, str(index + 1))
            sections = {listener["name"] for listener in listeners}
            for ref in self.refs:
                if ref.get("sectionName") in sections:
                    ref["name"] = name
            found.append(self._gateway(name, listeners))
        return [*found, *self._grants()] if found else []

    def _gateway(self, name: str, listeners: list[dict[str, Any]]) -> Generated:
        foreign = sorted(n for n in self.route_namespaces if n is not None and n != self.namespace)
        if foreign:
            allowed = {
                "namespaces": {
                    "from": "Selector",
                    "selector": {
                        "matchExpressions": [
                            {
                                "key": NAMESPACE_LABEL,
                                "operator": "In",
                                "values": sorted({*foreign, *([self.namespace] if self.namespace else [])}),
                            }
                        ]
                    },
                }
            }
            listeners = [{**listener, "allowedRoutes": allowed} for listener in listeners]
        metadata: dict[str, Any] = {"name": name}
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        gateway = {
            "apiVersion": GATEWAY_API,
            "kind": "Gateway",
            "metadata": metadata,
            "spec": {"gatewayClassName": self.class_name, "listeners": listeners},
        }
        return Generated(gateway, list(self.sources))

    def _grants(self) -> list[Generated]:
        """ReferenceGrants from this plan's Gateways (all of the split ones: `from` names a namespace)."""
        by_namespace: dict[str, list[str]] = {}
        for ref in self.certificate_refs():
            names = by_namespace.setdefault(ref["namespace"], [])
            if ref["name"] not in names:
                names.append(ref["name"])
        grants = []
        for namespace, names in sorted(by_namespace.items()):
            for start in range(0, len(names), 16):
                chunk = names[start : start + 16]
                suffix = f"-{start // 16 + 1}" if len(names) > 16 else ""
                grants.append(
                    Generated(
                        {
                            "apiVersion": GATEWAY_API,
                            "kind": "ReferenceGrant",
                            "metadata": {
                                "name": dns_name(f"{self.namespace}-{self.name}-certificates{suffix}"),
                                "namespace": namespace,
                            },
                            "spec": {
                                "from": [
                                    {
                                        "group": "gateway.networking.k8s.io",
                                        "kind": "Gateway",
                                        "namespace": self.namespace,
                                    }
                                ],
                                "to": [{"group": "", "kind": "Secret", "name": n} for n in chunk],
                            },
                        },
                        list(self.sources),
                    )
                )
        return grants


MAX_LISTENERS = 64  # Gateway spec.listeners maxItems


def _chunks(listeners: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for listener in listeners:
        groups.setdefault(listener.get("hostname"), []).append(listener)
    chunks: list[list[dict[str, Any]]] = []
    for group in groups.values():
        if not chunks or len(chunks[-1]) + len(group) > MAX_LISTENERS:
            chunks.append([])
        chunks[-1].extend(group)
    return [c for c in chunks if c]
