"""Ingress (networking.k8s.io) → Gateway API: Gateway, HTTPRoute, GRPCRoute, TLSRoute, BackendTLSPolicy
and ReferenceGrant, with the Standard-channel equivalent of every ingress-nginx annotation that has one.

Everything not carried over exactly is a `Note` on the Ingress it comes from (see `convert_model`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kgov import escape
from kgov.inventory import Inventory
from kgov.inventory.network import IngressView, Network
from kgov.migration.convert_annotations import (
    SSL_REDIRECT_CODE,
    WWW_REDIRECT_CODE,
    read_intent,
)
from kgov.migration.convert_gateway import Certificate, GatewayPlan, dns_name, slug
from kgov.migration.convert_model import GATEWAY_API, Conversion, ConvertOptions, Generated, Level, Note
from kgov.migration.convert_routes import (
    Entry,
    as_http_match,
    group_rules,
    grpc_filters,
    grpc_method_match,
    http_filters,
    http_path_match,
    redirect_filter,
    trailing_slash_redirects,
    with_canary,
)
from kgov.migration.convert_source import HOSTNAME, HostFacts, PathKey, Source
from kgov.migration.nginx import CATCH_ALL, NginxModel, path_type
from kgov.migration.parity import class_key
from kgov.migration.values import CanaryRule
from kgov.migration.verify import verify
from kgov.model import networking as net

DEFAULT_CLASS = "nginx"
CERT_MANAGER_PREFIX = "cert-manager.io/"
NGINX_CONTROLLER = "ingress-nginx"  # the controller id in the catalogue


Taken = dict[PathKey, tuple[dict[str, Any], Source]]


@dataclass(slots=True)
class Converter:
    network: Network
    options: ConvertOptions
    result: Conversion = field(default_factory=Conversion)
    gateways: dict[tuple[str | None, str], GatewayPlan] = field(default_factory=dict)
    facts: HostFacts = field(default_factory=HostFacts)
    names: set[tuple[str, str | None, str]] = field(default_factory=set)
    routes: list[Generated] = field(default_factory=list)
    policies: dict[tuple[str | None, str], Generated] = field(default_factory=dict)
    canary_keys: list[str] = field(default_factory=list)  # canary Ingresses behind the host being written
    catch_all: dict[tuple[str | None, str], str] = field(default_factory=dict)  # gateway → its Ingress
    models: dict[str, NginxModel] = field(default_factory=dict)  # ingress class → how ingress-nginx serves it
    homes: dict[tuple[str, str | None], str | None] = field(default_factory=dict)  # see `_homes`
    canary_sources: dict[int, Source] = field(default_factory=dict)  # canary Ingresses by view

    def _app_root(self, source: Source, host: str | None) -> IngressView | None:
        """The Ingress whose `app-root` answers `/` on the host, if any."""
        server = self.models[class_key(source.view)].servers.get((host or CATCH_ALL).lower())
        found = self.models[class_key(source.view)].app_root(server) if server else None
        return found[0] if found else None

    def _owner(self, source: Source, host: str | None, path: net.IngressPath) -> IngressView | None:
        """The Ingress whose location ingress-nginx serves for the host and path (the oldest)."""
        server = self.models[class_key(source.view)].servers.get((host or CATCH_ALL).lower())
        key = (path.path or "/", path_type(path.path_type))
        found = (
            next((loc for loc in server.locations if (loc.path, loc.path_type) == key), None)
            if server
            else None
        )
        return found.ingress if found else None

    def run(self) -> Conversion:
        groups: dict[str, list[IngressView]] = {}
        for view in self.network.ingresses:
            groups.setdefault(class_key(view), []).append(view)
        self.models = {key: NginxModel(views, self.network) for key, views in groups.items()}
        dropped = {id(view) for model in self.models.values() for view, _ in model.dropped}
        if self.options.gateway_namespace is None:
            self.homes = self._homes([v for v in self.network.ingresses if id(v) not in dropped])
        sources = [self._source(view) for view in self.network.ingresses if id(view) not in dropped]
        self.result.ingresses = len(sources)
        primaries = [s for s in sources if s.intent.canary is None]
        canaries = [s for s in sources if s.intent.canary is not None]
        self.canary_sources = {id(s.view): s for s in canaries}
        for source in sources:
            self.result.notes.extend(source.intent.notes)
        regex_hosts = {
            host or None
            for model in self.models.values()
            for host, server in model.servers.items()
            if server.regex
        }
        self.facts.collect(primaries, self._note, regex_hosts)
        taken = self._canary_paths(primaries, canaries)
        for source in primaries:
            for host in source.hosts():
                self._host(source, host, taken)
            self._tls_only_hosts(source)
        objects = [g for plan in self.gateways.values() for g in plan.build()]
        gateways = [g for g in objects if g.kind == "Gateway"]
        grants = [g for g in objects if g.kind == "ReferenceGrant"]
        order = {"HTTPRoute": 0, "GRPCRoute": 1, "TLSRoute": 2}
        routes = sorted(self.routes, key=lambda g: order[g.kind])
        self.result.objects = [*gateways, *routes, *self.policies.values(), *grants]
        return self.result

    # ---- per Ingress ------------------------------------------------------------------------------

    def _tls_only_hosts(self, source: Source) -> None:
        """ingress-nginx terminates TLS for every TLS host, with or without a rule for it."""
        if source.intent.passthrough:
            return
        for tls in source.view.ingress.spec.tls:
            for host in tls.hosts:
                cert = self.facts.certificate(source.gateway, host)
                if cert is not None and HOSTNAME.match(host):
                    source.gateway.https(host, cert)

    def _source(self, view: IngressView) -> Source:
        obj = view.obj

        def config_map(namespace: str | None, name: str) -> Mapping[str, str] | None:
            found = self.network.config_map(namespace, name, obj)
            return found.data if found is not None else None

        intent = read_intent(
            obj.namespace, obj.name, obj.annotations, self.network.catalogue, view.controller, config_map
        )
        name = self._gateway_name(view)
        namespace = self.options.gateway_namespace or self.homes.get((name, obj.namespace), obj.namespace)
        class_name = view.class_name or (view.ingress_class.obj.name if view.ingress_class else None)
        key = (namespace, name)
        if key not in self.gateways:
            gateway_class = self.options.gateway_class or dns_name(class_name or DEFAULT_CLASS)
            self.gateways[key] = GatewayPlan(namespace, name, gateway_class, self.options.listeners)
        plan = self.gateways[key]
        source = Source(view, intent, plan)
        if view.controller is not None and view.controller.id != NGINX_CONTROLLER:
            message = (
                f"served by {view.controller.name}: converted with ingress-nginx's path and HTTPS-redirect "
                "semantics, which that controller may not share"
            )
            intent.notes.append(
                Note(obj.namespace, obj.name, "spec.ingressClassName", "spec", "gap", message)
            )
        # cert-manager's gateway-shim reads the same annotations on a Gateway.
        for name, value in sorted(obj.annotations.items()):
            kept = plan.annotations.setdefault(name, value) if name.startswith(CERT_MANAGER_PREFIX) else value
            if kept != value:
                message = f"Gateway {plan.name} already has {name}: {kept}"
                intent.notes.append(Note(obj.namespace, obj.name, name, "spec", "gap", message))
        return source

    def _gateway_name(self, view: IngressView) -> str:
        class_name = view.class_name or (view.ingress_class.obj.name if view.ingress_class else None)
        return self.options.gateway or dns_name(class_name or DEFAULT_CLASS)

    def _homes(self, views: list[IngressView]) -> dict[tuple[str, str | None], str | None]:
        """(Gateway name, namespace) → the namespace of the Gateway its Ingresses go on: namespaces
        whose Ingresses share a host share one Gateway (one address for the host), in the first of
        them by name; the others are let in through `allowedRoutes`."""
        parent: dict[tuple[str, str | None], tuple[str, str | None]] = {}

        def find(key: tuple[str, str | None]) -> tuple[str, str | None]:
            while parent.setdefault(key, key) != key:
                key = parent[key]
            return key

        by_host: dict[tuple[str, str], tuple[str, str | None]] = {}
        for view in views:
            key = (self._gateway_name(view), view.obj.namespace)
            find(key)
            for rule in view.ingress.spec.rules:
                host = (rule.host or "").lower()
                first = by_host.setdefault((key[0], host), key)
                a, b = find(first), find(key)
                if a != b:
                    parent[max(a, b, key=_order)] = min(a, b, key=_order)
        return {key: find(key)[1] for key in parent}

    def _note(self, source: Source, key: str, level: Level, reason: str, klass: str = "spec") -> None:
        self.result.notes.append(Note(source.namespace, source.name, key, klass, level, reason))

    def _canary_paths(
        self, primaries: list[Source], canaries: list[Source]
    ) -> dict[PathKey, tuple[dict[str, Any], Source]]:
        """(namespace, host, path, pathType) → the canary backend serving it."""
        served = {
            (p.namespace, host, path.path or "/", path_type(path.path_type))
            for p in primaries
            for host in p.hosts()
            for path in p.paths(host)
        }
        taken: dict[PathKey, tuple[dict[str, Any], Source]] = {}
        for canary in canaries:
            for host in canary.hosts():
                for path in canary.paths(host):
                    key = (canary.namespace, host, path.path or "/", path_type(path.path_type))
                    backend = self._backend(canary, path.backend, f"canary path {path.path or '/'}")
                    if backend is None:
                        continue
                    if key not in served:
                        self._note(
                            canary,
                            "nginx.ingress.kubernetes.io/canary",
                            "info",
                            f"no primary Ingress serves {host or '*'}{path.path or '/'}: ingress-nginx drops "
                            "the canary, and nothing is written for it",
                            "N",
                        )
                    elif key in taken:
                        self._note(
                            canary,
                            "nginx.ingress.kubernetes.io/canary",
                            "blocker",
                            f"another canary already serves {host or '*'}{path.path or '/'}",
                            "N",
                        )
                    else:
                        taken[key] = (backend, canary)
                        canary.gateway.attach(canary.key, canary.namespace)
        return taken

    def _canary(
        self, taken: Taken, source: Source, host: str | None, path: net.IngressPath
    ) -> tuple[dict[str, Any], CanaryRule] | None:
        """The canary ingress-nginx applies to the path: the one merged into the upstream (Service
        port) the path proxies to, whichever host and path it was declared for."""
        model = self.models[class_key(source.view)]
        server = model.servers.get((host or CATCH_ALL).lower())
        key = (path.path or "/", path_type(path.path_type))
        location = (
            next((loc for loc in server.locations if (loc.path, loc.path_type) == key), None)
            if server
            else None
        )
        canary = model.canary_for(location) if location is not None else None
        owner = self.canary_sources.get(id(canary.ingress)) if canary is not None else None
        if canary is None or canary.backend is None or owner is None or owner.intent.canary is None:
            return None
        if canary.backend.namespace != (source.namespace or "") or canary.backend.named_port:
            return None  # a Service of another namespace, or a port by name: not written, the check says so
        if owner.key not in self.canary_keys:
            self.canary_keys.append(owner.key)
        return {"name": canary.backend.name, "port": int(canary.backend.port)}, owner.intent.canary

    def _backend(self, source: Source, backend: net.IngressBackend, where: str) -> dict[str, Any] | None:
        service = backend.service
        if service is None:
            self._note(
                source,
                where,
                "blocker",
                "not a Service backend (resource backends have no Gateway API equivalent)",
            )
            return None
        port = service.port.number
        if port is None and service.port.name:
            found = self.network.service(source.namespace, service.name, source.view.obj)
            resolved = found.service.port(name=service.port.name) if found else None
            port = resolved.port if resolved else None
            if port is None:
                self._note(
                    source,
                    where,
                    "blocker",
                    f"named port {service.port.name!r} of Service {service.name} cannot be resolved without the Service in the input",
                )
                return None
        if port is None:
            self._note(source, where, "blocker", f"Service {service.name} has no port")
            return None
        return {"name": service.name, "port": port}

    # ---- per host --------------------------------------------------------------------------------

    def _host(self, source: Source, host: str | None, taken: Taken) -> None:
        intent, plan = source.intent, source.gateway
        self.canary_keys = []
        bad = [h for h in (host, *intent.aliases) if h is not None and not HOSTNAME.match(h)]
        if bad:
            self._note(
                source,
                f"host {bad[0]}",
                "blocker",
                "not a valid Gateway API hostname; nothing is written for it",
            )
            return
        plan.attach(source.key, source.namespace)
        if host is None and not source.view.ingress.spec.rules:
            first = self.catch_all.setdefault((plan.namespace, plan.name), source.key)
            if first != source.key:
                self._note(
                    source,
                    "spec.defaultBackend",
                    "blocker",
                    f"Ingress {first} already serves unmatched hosts; ingress-nginx uses one",
                )
                return
        if (plan.namespace, plan.name, host) in self.facts.mixed_hosts:
            self._note(
                source,
                f"host {host or '*'}",
                "blocker",
                "gRPC and HTTP Ingresses share the host: ingress-nginx proxies every request on a gRPC path "
                "to the gRPC backend, Gateway API splits GRPCRoute and HTTPRoute by request",
            )
        if intent.passthrough:
            self._passthrough(source, host)
            return
        grpc = intent.protocol in ("GRPC", "GRPCS")
        entries = self._grpc_entries(source, host, taken) if grpc else self._http_entries(source, host, taken)
        if not entries and self.facts.certificate(plan, host) is None:
            return
        hosts: list[str | None] = [host, *intent.aliases] if host is not None else [None]
        cert = self.facts.certificate(plan, host)
        self._check_tls(source, host, cert)
        secure, plain = self._parents(source, hosts, cert)
        # A redirect annotation is a `return`, which NGINX answers before the HTTPS redirect.
        redirect = (
            cert is not None and (intent.ssl_redirect or intent.force_ssl_redirect) and not intent.redirect
        )
        base = dns_name(source.name, slug(host) if host else "")
        parents = secure if redirect else [*secure, *plain]
        self._routes("GRPCRoute" if grpc else "HTTPRoute", source, base, hosts, parents, entries)
        if redirect:
            self._ssl_redirect(source, host, hosts, plain, entries, base)
        elif intent.redirect and cert is not None and (intent.ssl_redirect or intent.force_ssl_redirect):
            # Paths no location takes reach the host's root location, which redirects to HTTPS.
            self._ssl_redirect(source, host, hosts, plain, [], base)
        if intent.www_redirect and host is not None and not host.startswith("*."):
            self._www(source, host)
        if intent.backend_tls is not None:
            self._backend_tls(source, entries)

    def _parents(
        self, source: Source, hosts: list[str | None], cert: Certificate | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """parentRefs of the listeners serving the hosts: (HTTPS or, without TLS, HTTP; plain HTTP with TLS)."""
        plan, main, plain = source.gateway, [], []
        for name in hosts:
            http = plan.parent_ref(plan.http(name), source.namespace)
            if cert is None:
                main.append(http)
            else:
                main.append(plan.parent_ref(plan.https(name, cert), source.namespace))
                plain.append(http)
        return main, plain

    def _check_tls(self, source: Source, host: str | None, cert: Certificate | None) -> None:
        plan = source.gateway
        unwritten = self.facts.unwritten_tls.get((plan.namespace, plan.name, host))
        if cert is None and unwritten is not None:
            reason = f"the host's TLS (from Ingress {unwritten}) is not written, so neither is HTTPS nor its ssl-redirect"
            self._note(source, f"host {host or '*'}", "blocker", reason)
        if cert is None and source.intent.force_ssl_redirect:
            reason = "the host has no TLS on the Gateway: TLS offloaded in front of it cannot be told apart from plain HTTP"
            self._note(source, "nginx.ingress.kubernetes.io/force-ssl-redirect", "blocker", reason, "N")

    def _ssl_redirect(
        self,
        source: Source,
        host: str | None,
        hosts: list[str | None],
        plain: list[dict[str, Any]],
        entries: list[Entry],
        base: str,
    ) -> None:
        """The HTTP listener redirects the Ingress's paths to HTTPS (status 308, ingress-nginx's default)."""
        plan = source.gateway
        matches = list({json.dumps(m): m for m in (as_http_match(e.match) for e in entries)}.values())
        if (plan.namespace, plan.name, host) not in self.facts.root_hosts:
            matches = [
                {"path": {"type": "PathPrefix", "value": "/"}}
            ]  # the host's default location redirects too
        to_https = {"scheme": "https", "statusCode": SSL_REDIRECT_CODE}
        redirects = [Entry(m, [], redirect_filter(to_https)) for m in matches]
        if source.intent.app_root:  # app-root is a server-level `return`, answered before the HTTPS redirect
            root = {"path": {"type": "Exact", "value": "/"}}
            app_root = [e for e in entries if e.match == root and not e.backends]
            redirects = app_root + [r for r in redirects if r.match != root]
        self._routes("HTTPRoute", source, f"{base}-ssl-redirect", hosts, plain, redirects)

    def _http_entries(self, source: Source, host: str | None, taken: Taken) -> list[Entry]:
        intent = source.intent
        regex = host in self.facts.regex_hosts
        filters = http_filters(intent)
        timeouts = {"request": intent.timeout} if intent.timeout else None
        entries: list[Entry] = []
        if intent.app_root and host is not None and self._app_root(source, host) is source.view:
            to_root = {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": intent.app_root},
                "statusCode": 302,
            }
            entries.append(Entry({"path": {"type": "Exact", "value": "/"}}, [], redirect_filter(to_root)))
        paths = source.paths(host)
        prefixes: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        for path in paths:
            where = f"host {host or '*'} path {path.path or '/'}"
            key = (path.path or "/", path_type(path.path_type))
            if key in seen:
                # One location per path and type (ImplementationSpecific is Prefix): the first stays.
                self._note(
                    source, where, "info", "the same path and type again: ingress-nginx keeps the first"
                )
                continue
            seen.add(key)
            owner = self._owner(source, host, path)
            app_root = self._app_root(source, host)
            if (
                (path.path or "/") == "/"
                and path.path_type == "Exact"
                and app_root not in (None, source.view)
            ):
                assert app_root is not None
                reason = (
                    f"ingress-nginx answers / with the app-root redirect of Ingress {app_root.obj.display()}"
                )
                self._note(source, where, "info", reason)
                continue
            if owner is not source.view:
                reason = (
                    f"ingress-nginx serves it from Ingress {owner.obj.display()}, which it orders first"
                    if owner is not None
                    else "ingress-nginx serves the catch-all default backend there instead"
                )
                self._note(source, where, "info", reason)
                continue
            match = self._path_match(source, where, path, regex, prefixes)
            if match is None:
                continue
            if intent.redirect is not None:
                entries.append(Entry({"path": match}, [], redirect_filter(intent.redirect)))
                continue
            primary = self._backend(source, path.backend, where)
            if primary is None:
                continue
            pair = self._canary(taken, source, host, path)
            own = http_filters(intent, path.path or "/")
            entries.extend(with_canary({"path": match}, primary, pair, own, timeouts))
        entries.extend(trailing_slash_redirects(paths, regex))
        self._default_backend(source, host, entries, paths, regex, filters, timeouts)
        return entries

    def _path_match(
        self, source: Source, where: str, path: net.IngressPath, regex: bool, prefixes: dict[str, str]
    ) -> dict[str, Any] | None:
        value = path.path or "/"
        match = http_path_match(value, path.path_type, regex)
        if match is None:
            self._note(
                source, where, "blocker", "not a valid Gateway API Exact/PathPrefix value (use-regex is off)"
            )
            return None
        if match["type"] == "PathPrefix":
            # Gateway API ignores a trailing slash on a prefix: /a and /a/ are one match.
            same = prefixes.setdefault(value.rstrip("/") or "/", value)
            if same != value:
                self._note(
                    source, where, "blocker", f"Gateway API treats prefixes {same} and {value} as one match"
                )
                return None
        return match

    def _default_backend(
        self,
        source: Source,
        host: str | None,
        entries: list[Entry],
        paths: list[net.IngressPath],
        regex: bool,
        filters: list[dict[str, Any]],
        timeouts: dict[str, str] | None,
    ) -> None:
        default = source.view.ingress.spec.default_backend
        has_root = any((p.path or "/") == "/" and p.path_type != "Exact" for p in paths)
        if default is None or has_root or source.intent.redirect is not None:
            return
        server = self.models[class_key(source.view)].servers.get((host or CATCH_ALL).lower())
        if (
            host is not None
            and server is not None
            and (server.default is None or server.default[0] is not source.view)
        ):
            # `createServers`: only the Ingress that creates the host's server gives it its default backend.
            self._note(
                source,
                "spec.defaultBackend",
                "info",
                f"ingress-nginx does not use it for host {host}: another Ingress of the host is older",
            )
            return
        backend = self._backend(source, default, "spec.defaultBackend")
        match = http_path_match("/", "Prefix", regex)
        if backend is not None and match is not None:
            entries.append(Entry({"path": match}, [backend], filters, timeouts))

    def _grpc_entries(self, source: Source, host: str | None, taken: Taken) -> list[Entry]:
        intent = source.intent
        for key, present in (
            ("rewrite-target", intent.rewrite_path),
            ("permanent-redirect", intent.redirect),
            ("app-root", intent.app_root),
            ("enable-cors", intent.cors),
            ("proxy-read-timeout", intent.timeout),
        ):
            if present:
                self._note(
                    source,
                    f"nginx.ingress.kubernetes.io/{key}",
                    "blocker",
                    "GRPCRoute has no such filter or field",
                )
        filters = grpc_filters(intent)
        entries: list[Entry] = []
        paths = source.paths(host)
        for path in paths:
            where = f"host {host or '*'} path {path.path or '/'}"
            match = grpc_method_match(path.path)
            if match is None:
                self._note(
                    source,
                    where,
                    "blocker",
                    "a gRPC path must be /, /package.Service or /package.Service/Method",
                )
                continue
            primary = self._backend(source, path.backend, where)
            if primary is None:
                continue
            pair = self._canary(taken, source, host, path)
            entries.extend(with_canary(match, primary, pair, filters, None))
        default = source.view.ingress.spec.default_backend
        if default is not None and not any(not e.match for e in entries):
            backend = self._backend(source, default, "spec.defaultBackend")
            if backend is not None:
                entries.append(Entry({}, [backend], filters))
        return entries

    def _routes(
        self,
        kind: str,
        source: Source,
        base: str,
        hosts: list[str | None],
        parents: list[dict[str, Any]],
        entries: list[Entry],
    ) -> None:
        chunks = group_rules(entries)
        for index, rules in enumerate(chunks):
            name = self._unique(kind, source.namespace, base if index == 0 else f"{base}-{index + 1}")
            spec: dict[str, Any] = {"parentRefs": parents}
            names = [h for h in hosts if h is not None]
            if names:
                spec["hostnames"] = names
            spec["rules"] = rules
            self.routes.append(
                Generated(_object(kind, name, source.namespace, spec), [source.key, *self.canary_keys])
            )

    def _unique(self, kind: str, namespace: str | None, name: str) -> str:
        candidate, counter = name, 1
        while (kind, namespace, candidate) in self.names:
            counter += 1
            candidate = dns_name(f"{name}-{counter}")
        self.names.add((kind, namespace, candidate))
        return candidate

    def _passthrough(self, source: Source, host: str | None) -> None:
        paths = source.paths(host)
        if host is None:
            self._note(
                source,
                "nginx.ingress.kubernetes.io/ssl-passthrough",
                "blocker",
                "passthrough needs a host (SNI)",
                "N",
            )
            return
        chosen = next((p for p in paths if (p.path or "/") == "/"), paths[0] if paths else None)
        backend_source = chosen.backend if chosen else source.view.ingress.spec.default_backend
        if backend_source is None:
            return
        backend = self._backend(source, backend_source, f"host {host}")
        if backend is None:
            return
        if len(paths) > 1:
            self._note(
                source,
                f"host {host}",
                "info",
                "passthrough sends every connection to the / backend; other paths never applied",
                "spec",
            )
        section = source.gateway.passthrough(host)
        spec = {
            "parentRefs": [source.gateway.parent_ref(section, source.namespace)],
            "hostnames": [host],
            "rules": [{"backendRefs": [backend]}],
        }
        name = self._unique("TLSRoute", source.namespace, dns_name(source.name, slug(host)))
        self.routes.append(Generated(_object("TLSRoute", name, source.namespace, spec), [source.key]))
        # ingress-nginx still answers plain HTTP for the host: the Ingress's paths, or the HTTPS
        # redirect when the host has TLS (ssl-redirect) or force-ssl-redirect is set.
        intent = source.intent
        redirect = (
            self.facts.certificate(source.gateway, host) is not None and intent.ssl_redirect
        ) or intent.force_ssl_redirect
        to_https = redirect_filter({"scheme": "https", "statusCode": SSL_REDIRECT_CODE})
        entries = []
        for path in paths:
            where = f"host {host} path {path.path or '/'}"
            match = self._path_match(source, where, path, host in self.facts.regex_hosts, {})
            target = self._backend(source, path.backend, where) if match else None
            if match is not None and target is not None:
                entries.append(
                    Entry({"path": match}, [] if redirect else [target], to_https if redirect else [])
                )
        if redirect and not any(e.match == {"path": {"type": "PathPrefix", "value": "/"}} for e in entries):
            entries.append(Entry({"path": {"type": "PathPrefix", "value": "/"}}, [], to_https))
        if entries:
            http = [source.gateway.parent_ref(source.gateway.http(host), source.namespace)]
            self._routes(
                "HTTPRoute", source, dns_name(source.name, slug(host), "http"), [host], http, entries
            )

    def _www(self, source: Source, host: str) -> None:
        other = host[4:] if host.startswith("www.") else f"www.{host}"
        if other in self.facts.rule_hosts:
            return  # ingress-nginx skips the redirect when the other name is served itself
        plan = source.gateway
        parents = [plan.parent_ref(plan.http(other), source.namespace)]
        cert = self.facts.certificate(plan, other)
        if cert is not None:
            parents.append(plan.parent_ref(plan.https(other, cert), source.namespace))
        to_host = {"hostname": host, "statusCode": WWW_REDIRECT_CODE}
        entry = Entry({}, [], redirect_filter(to_host))
        self._routes(
            "HTTPRoute", source, dns_name(source.name, slug(other), "www-redirect"), [other], parents, [entry]
        )

    def _backend_tls(self, source: Source, entries: list[Entry]) -> None:
        tls = source.intent.backend_tls
        assert tls is not None
        services = {b["name"] for e in entries for b in e.backends}
        for service in sorted(services):
            key = (source.namespace, service)
            if key in self.policies:
                self.policies[key].sources.append(source.key)
                continue
            validation: dict[str, Any] = {
                "hostname": tls.hostname or f"{service}.{source.namespace or 'default'}.svc"
            }
            if tls.ca_config_map:
                validation["caCertificateRefs"] = [
                    {"group": "", "kind": "ConfigMap", "name": tls.ca_config_map}
                ]
            else:
                validation["wellKnownCACertificates"] = "System"
            spec = {
                "targetRefs": [{"group": "", "kind": "Service", "name": service}],
                "validation": validation,
            }
            name = dns_name(service, "backend-tls")
            self.policies[key] = Generated(
                _object("BackendTLSPolicy", name, source.namespace, spec), [source.key]
            )


def _order(key: tuple[str, str | None]) -> tuple[str, str]:
    return (key[0], key[1] or "")


def _object(kind: str, name: str, namespace: str | None, spec: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": GATEWAY_API, "kind": kind, "metadata": metadata, "spec": spec}


def convert(inventory: Inventory, options: ConvertOptions | None = None) -> Conversion:
    """Convert every Ingress of the inventory; IngressClasses and Services in it are used for lookups.
    The output is checked with the parity model: what it would route differently is noted."""
    conversion = Converter(inventory.network, options or ConvertOptions()).run()
    verify(inventory, conversion)
    return conversion


class _Dumper(yaml.SafeDumper):
    """Writes shared sub-objects out in full: anchors and aliases would puzzle a reader of the output."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_yaml(conversion: Conversion) -> str:
    """A YAML stream; each document starts with a comment naming the Ingresses it comes from."""
    documents = []
    for generated in conversion.objects:
        sources = ", ".join(dict.fromkeys(generated.sources))
        body = yaml.dump(generated.obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        documents.append(f"# Generated by kgov convert from Ingress {escape.line(sources)}\n{body}")
    return "---\n".join(documents)
