"""The Ingresses being converted and what the converter must know about every host before writing any
route: certificates, regex hosts, hosts whose `/` is served, hosts mixing gRPC and HTTP, TLS not written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from kgov.inventory.network import IngressView
from kgov.migration.convert_annotations import Intent
from kgov.migration.convert_gateway import Certificate, GatewayPlan
from kgov.migration.convert_model import Level
from kgov.model import networking as net

HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
HostKey = tuple[str | None, str, str | None]  # gateway namespace, gateway name, host
PathKey = tuple[str | None, str | None, str, str]  # namespace, host, path, pathType


@dataclass(slots=True)
class Source:
    view: IngressView
    intent: Intent
    gateway: GatewayPlan

    @property
    def namespace(self) -> str | None:
        return self.view.obj.namespace

    @property
    def name(self) -> str:
        return self.view.obj.name

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def paths(self, host: str | None) -> list[net.IngressPath]:
        return [
            path
            for rule in self.view.ingress.spec.rules
            if (rule.host or None) == host and rule.http is not None
            for path in rule.http.paths
        ]

    def hosts(self) -> list[str | None]:
        hosts = list(dict.fromkeys(rule.host or None for rule in self.view.ingress.spec.rules))
        if self.view.ingress.spec.default_backend is not None and not hosts:
            hosts.append(None)  # ingress-nginx uses it for unmatched hosts only when the Ingress has no rules
        return hosts


NoteFn = Callable[[Source, str, Level, str], None]


@dataclass(slots=True)
class HostFacts:
    certificates: dict[tuple[str | None, str], dict[str, Certificate]] = field(default_factory=dict)
    regex_hosts: set[str | None] = field(default_factory=set)  # the model's regex servers
    rule_hosts: set[str | None] = field(default_factory=set)
    root_hosts: set[HostKey] = field(default_factory=set)  # some Ingress serves the host's `/` prefix
    unwritten_tls: dict[HostKey, str] = field(default_factory=dict)  # TLS not written → its Ingress
    mixed_hosts: set[HostKey] = field(default_factory=set)  # gRPC and HTTP Ingresses share the host

    def collect(self, primaries: list[Source], note: NoteFn, regex_hosts: set[str | None]) -> None:
        """`regex_hosts`: the hosts whose locations ingress-nginx writes as regular expressions."""
        self.regex_hosts = regex_hosts
        for source in primaries:
            self._certificates(source, note)
            self.rule_hosts.update(source.hosts())
        self._find_mixed_hosts(primaries)
        for source in primaries:
            plan = source.gateway
            for host in source.hosts():
                paths = source.paths(host)
                if host in self.regex_hosts or any(
                    (p.path or "/") == "/" and p.path_type != "Exact" for p in paths
                ):
                    self.root_hosts.add((plan.namespace, plan.name, host))

    def _find_mixed_hosts(self, primaries: list[Source]) -> None:
        kinds: dict[HostKey, set[bool]] = {}
        for source in primaries:
            if not source.intent.passthrough:
                for host in source.hosts():
                    key = (source.gateway.namespace, source.gateway.name, host)
                    kinds.setdefault(key, set()).add(source.intent.protocol in ("GRPC", "GRPCS"))
        self.mixed_hosts = {key for key, found in kinds.items() if len(found) > 1}

    def _certificates(self, source: Source, note: NoteFn) -> None:
        plan = source.gateway
        known = self.certificates.setdefault((plan.namespace, plan.name), {})
        for index, tls in enumerate(source.view.ingress.spec.tls):
            where = f"spec.tls[{index}]"
            if not tls.secret_name or not tls.hosts:
                tls_hosts: list[str | None] = [*tls.hosts] or [None]
                for host in tls_hosts:
                    self.unwritten_tls.setdefault((plan.namespace, plan.name, host), source.key)
            if not tls.secret_name:
                note(
                    source,
                    where,
                    "blocker",
                    "no secretName: the controller's default certificate has no Gateway API equivalent",
                )
                continue
            if not tls.hosts:
                note(source, where, "blocker", "no hosts: the certificate cannot be tied to a listener")
                continue
            for host in tls.hosts:
                if host in known and known[host].secret != tls.secret_name:
                    note(
                        source,
                        where,
                        "gap",
                        f"{host} already has Secret {known[host].secret}; that one is used",
                    )
                    continue
                known.setdefault(host, Certificate(source.namespace, tls.secret_name, source.key))

    def certificate(self, plan: GatewayPlan, host: str | None) -> Certificate | None:
        if host is None:
            return None
        known = self.certificates.get((plan.namespace, plan.name), {})
        if host in known:
            return known[host]
        return next(
            (
                c
                for h, c in known.items()
                if h.startswith("*.") and fnmatchcase(host, h) and host.count(".") == h.count(".")
            ),
            None,
        )
