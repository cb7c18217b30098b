"""How a Gateway API implementation routes a request, from Gateways, ListenerSets and routes.

Facts: reference gateway-api-semantics.md §5 (hostnames) and the HTTPRoute API documentation
(precedence). The model:

- a request reaches the listeners of its scheme (HTTP for `http`, HTTPS and TLS passthrough for
  `https`) on the standard port (80/443; any port of that protocol when none is on it), and the most
  specific listener hostname that covers the host takes it;
- routes attach as `kgov.domain.attachment` decides; a route whose Gateway is not in the input is
  assumed to attach to a Gateway with one HTTP, HTTPS and TLS passthrough listener without hostname;
- among the routes of the listener, the most specific matching route hostname wins (characters of a
  non-wildcard name, then of any name), then the rule match: Exact path, then RegularExpression (an
  implementation-specific choice, ranked by pattern length), then the longest PathPrefix, then a
  method match, then the most header matches, then the most query matches; then the oldest route,
  then namespace/name, then rule order;
- PathPrefix is element-wise with the trailing slash ignored; RegularExpression is a full,
  case-sensitive match (as Envoy-based implementations do); header names are case-insensitive;
- filters: RequestRedirect (default 302; scheme, hostname, port, full-path or prefix replacement),
  URLRewrite (hostname becomes the upstream Host, path), RequestHeaderModifier (set and add); a
  RequestMirror does not change the answer; weights are relative, weight 0 takes nothing;
- GRPCRoute matches (service, method) as the path `/service/method`; TLSRoute serves passthrough.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from kgov.domain.attachment import Acceptance, attachments, hostnames_intersect
from kgov.inventory.network import GatewayView, Network, RouteView
from kgov.migration.outcome import (
    ERROR,
    NO_ROUTE,
    PASSTHROUGH,
    REDIRECT,
    Backend,
    Outcome,
    Probe,
    backends_outcome,
)
from kgov.model import gateway as gw
from kgov.model.objects import KubeObject
from kgov.regex import Pattern, compile_bounded

T = TypeVar("T")
STANDARD_PORTS = {"http": 80, "https": 443}
_PROTOCOLS = {"http": ("HTTP",), "https": ("HTTPS", "TLS")}


def each_once(items: Iterable[T]) -> list[T]:
    """The items, each once (by identity), in the order they first come."""
    return list({id(item): item for item in items}.values())


class HostIndex(Generic[T]):
    """Items by the hostnames they list: a host finds the items of its exact name, of wildcards that
    cover it and of no hostname, without a scan of every item."""

    def __init__(self) -> None:
        self.exact: dict[str, list[T]] = {}
        self.wildcard: dict[str, list[T]] = {}
        self.any: list[T] = []

    def add(self, names: list[str], item: T) -> None:
        if not names:
            self.any.append(item)
        for name in dict.fromkeys(n.lower() for n in names):
            (self.wildcard if name.startswith("*.") else self.exact).setdefault(name, []).append(item)

    def candidates(self, host: str | None) -> list[T]:
        """A superset of the items whose hostnames intersect `host` (None: only those without one)."""
        if host is None:
            return list(self.any)
        host = host.lower()
        found = list(self.exact.get(host, ()))
        if host.startswith("*."):
            found += [item for name, items in self.exact.items() if name.endswith(host[1:]) for item in items]
        for pattern, items in self.wildcard.items():
            if hostnames_intersect(pattern, host):
                found += items
        unique = {id(item): item for item in [*found, *self.any]}
        return list(unique.values())


@dataclass(slots=True, eq=False)
class PlaneListener:
    owner: KubeObject | None  # the Gateway or ListenerSet declaring it; None for the assumed one
    listener: gw.Listener
    routes: list[RouteView] = field(default_factory=list)
    _index: HostIndex[RouteView] | None = None

    def index(self) -> HostIndex[RouteView]:
        """The attached routes by hostname (built on first use, after every route attached)."""
        if self._index is None:
            self._index = HostIndex()
            for route in self.routes:
                self._index.add(route.route.spec.hostnames, route)
        return self._index

    @property
    def passthrough(self) -> bool:
        return self.listener.protocol == "TLS" and (
            self.listener.tls is None or self.listener.tls.mode in (None, "Passthrough")
        )

    @property
    def certificates(self) -> list[gw.SecretObjectReference]:
        return self.listener.tls.certificate_refs if self.listener.tls else []


@dataclass(slots=True, eq=False)
class Plane:
    """One data plane: a Gateway with its ListenerSets, or the assumed Gateway of unresolved parents."""

    gateway: GatewayView | None
    listeners: list[PlaneListener] = field(default_factory=list)
    shown: str = field(init=False, repr=False)  # every Ingress's parity names its planes

    def __post_init__(self) -> None:
        self.shown = (
            self.gateway.obj.display() if self.gateway else "an assumed Gateway (parent not in the input)"
        )

    def display(self) -> str:
        return self.shown


class Serving(NamedTuple):
    """What serves one host: the planes with a route for it and those routes, each once, in the order
    they first come."""

    planes: list[Plane]
    routes: list[RouteView]

    @staticmethod
    def of(pairs: Iterable[tuple[Plane, RouteView]]) -> Serving:
        found = list(pairs)
        return Serving(each_once(plane for plane, _ in found), each_once(route for _, route in found))

    def after(self, first: Serving) -> Serving:
        """`first`'s planes and routes, then these."""
        if not first.planes:
            return self
        return Serving(each_once([*first.planes, *self.planes]), each_once([*first.routes, *self.routes]))


@dataclass(frozen=True, slots=True)
class Candidate:
    route: RouteView
    rule: gw.RouteRule
    match: gw.RouteMatch | None
    key: tuple[Any, ...]


def _assumed_listeners() -> list[gw.Listener]:
    return [
        gw.Listener(name="http", port=80, protocol="HTTP"),
        gw.Listener(name="https", port=443, protocol="HTTPS"),
        gw.Listener.model_validate(
            {"name": "tls", "port": 443, "protocol": "TLS", "tls": {"mode": "Passthrough"}}
        ),
    ]


class GatewayModel:
    """Every data plane of the input with the routes attached to each listener."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.planes: list[Plane] = []
        by_owner: dict[int, Plane] = {}
        for view in sorted(network.gateways, key=lambda v: (v.obj.namespace or "", v.obj.name)):
            plane = Plane(view, [PlaneListener(view.obj, listener) for listener in view.listeners])
            self.planes.append(plane)
            by_owner[id(view.obj)] = plane
        for lset in network.listener_sets:
            parent = network.listener_set_parent(lset)
            found = by_owner.get(id(parent.obj)) if parent else None
            if found is not None:
                found.listeners += [PlaneListener(lset.obj, listener) for listener in lset.listeners]
                by_owner[id(lset.obj)] = found
        self.assumed = Plane(None, [PlaneListener(None, listener) for listener in _assumed_listeners()])
        self._merged_listeners: dict[tuple[str, bool], PlaneListener] = {}
        attached: list[RouteView] = [
            route
            for route in network.routes
            if route.obj.kind in ("HTTPRoute", "GRPCRoute", "TLSRoute") and self._attach(route, by_owner)
        ]
        if any(pl.routes for pl in self.assumed.listeners):
            self.planes.append(self.assumed)
        self._named: dict[str, set[int]] = {}
        for plane in self.planes:
            if plane.gateway is not None:
                for name in (plane.gateway.obj.name, plane.gateway.gateway.spec.gateway_class_name):
                    self._named.setdefault(name, set()).add(id(plane))
        self._index: HostIndex[tuple[Plane, PlaneListener, RouteView]] | None = None
        self._everywhere = Serving([], [])  # routes without a hostname on listeners without one
        self._serving: dict[str, Serving] = {}
        self._addressed: dict[tuple[str, str], frozenset[int]] = {}
        self._listeners: dict[tuple[int, str], list[PlaneListener]] = {}
        self._routed: dict[tuple[int, Probe], Outcome] = {}  # Ingresses of one domain share probes
        # Routes that serve traffic somewhere, by their hostnames; a route no listener takes serves nothing.
        self.by_hostname: dict[str, list[RouteView]] = {}
        for route in attached:
            for name in dict.fromkeys(h.lower() for h in route.route.spec.hostnames):
                self.by_hostname.setdefault(name, []).append(route)

    def _attach(self, route: RouteView, by_owner: dict[int, Plane]) -> bool:
        """Puts the route on the listeners it attaches to; true when there is at least one."""
        attached = False
        for attachment in attachments(route, self.network):
            if attachment.acceptance == Acceptance.UNKNOWN and attachment.parent is None:
                targets = self._assumed_for(attachment.ref.section_name, attachment.ref.port)
            elif (
                attachment.acceptance in (Acceptance.ACCEPTED, Acceptance.UNKNOWN)
                and attachment.parent is not None
            ):
                plane = by_owner.get(id(attachment.parent))
                ref = attachment.ref
                targets = [
                    pl
                    for pl in (plane.listeners if plane else [])
                    if pl.owner is attachment.parent
                    and (
                        pl.listener.name in attachment.listeners
                        if attachment.listeners
                        else (
                            ref.section_name in (None, pl.listener.name)
                            and ref.port in (None, pl.listener.port)
                        )
                    )
                ]
            else:
                continue
            for pl in targets:
                if _kind_fits(pl, route.obj.kind):
                    attached = True
                    # Routes attach one at a time, so an earlier attachment of this one is the last.
                    if not pl.routes or pl.routes[-1] is not route:
                        pl.routes.append(route)
        return attached

    def _merged(self, plane: Plane, probe: Probe) -> PlaneListener:
        """The assumed Gateway's listeners are of unknown hostnames: a request reaches the routes of
        all its listeners of the request's protocol (TLS passthrough when a TLSRoute takes the host)."""
        protocols = _PROTOCOLS.get(probe.scheme, ())
        taking = [pl for pl in plane.listeners if pl.listener.protocol in protocols]
        passthrough = [
            pl
            for pl in taking
            if pl.passthrough
            and any(_host_score(None, r.route.spec.hostnames, probe.host) is not None for r in pl.routes)
        ]
        chosen = passthrough or [pl for pl in taking if not pl.passthrough]
        key = (probe.scheme, bool(passthrough))
        merged = self._merged_listeners.get(key)
        if merged is None:
            routes = list({id(r): r for pl in chosen for r in pl.routes}.values())
            merged = self._merged_listeners[key] = PlaneListener(None, chosen[0].listener, routes)
        return merged

    def _assumed_for(self, section: str | None, port: int | None) -> list[PlaneListener]:
        """The assumed Gateway's listeners a parentRef reaches: all of them without sectionName and
        port; else one listener of that name and port, whose protocol follows from the port (80, 443)
        or the name (`…https`, `…tls`, `…http`, as `kgov convert` names them); a name that tells
        nothing reaches every protocol."""
        if section is None and port is None:
            return [pl for pl in self.assumed.listeners if pl.listener.name in ("http", "https", "tls")]
        protocols = _guess_protocols(section, port)
        found = []
        for protocol in protocols:
            name = f"{section or 'port'}:{port or ''}:{protocol}"
            existing = next((pl for pl in self.assumed.listeners if pl.listener.name == name), None)
            if existing is None:
                spec: dict[str, Any] = {
                    "name": name,
                    "port": port or STANDARD_PORT[protocol],
                    "protocol": protocol,
                }
                if protocol == "TLS":
                    spec["tls"] = {"mode": "Passthrough"}
                existing = PlaneListener(None, gw.Listener.model_validate(spec))
                self.assumed.listeners.append(existing)
            found.append(existing)
        return found

    def serving(self, host: str | None) -> Serving:
        """The routes (with their plane) whose hostnames on some listener cover the host; `None` or
        "" stands for any host (an Ingress rule without a host)."""
        if self._index is None:
            self._index, self._everywhere = self._host_index()
        found = self._serving.get(host or "")
        if found is None:
            named: dict[tuple[int, int], tuple[Plane, RouteView]] = {}
            for plane, pl, route in self._index.candidates(host or None):
                if _serves(pl.listener.hostname, route.route.spec.hostnames, host or None):
                    named.setdefault((id(plane), id(route)), (plane, route))
            found = self._serving[host or ""] = self._everywhere.after(Serving.of(named.values()))
        return found

    def _host_index(self) -> tuple[HostIndex[tuple[Plane, PlaneListener, RouteView]], Serving]:
        """The routes on each listener by the hostnames they serve; those without a hostname on a
        listener without one serve every host, and are kept apart."""
        index: HostIndex[tuple[Plane, PlaneListener, RouteView]] = HostIndex()
        everywhere: list[tuple[Plane, RouteView]] = []
        for plane in self.planes:
            for pl in plane.listeners:
                for route in pl.routes:
                    names = route.route.spec.hostnames or (
                        [pl.listener.hostname] if pl.listener.hostname else []
                    )
                    if names:
                        index.add(names, (plane, pl, route))
                    else:
                        everywhere.append((plane, route))
        return index, Serving.of(everywhere)

    def named(self, name: str) -> set[int]:
        """The ids of the planes of the Gateways of that name or of a GatewayClass of that name."""
        return self._named.get(name, set())

    def addressed(self, probe: Probe) -> frozenset[int]:
        """The ids of the planes with a route for the probe's host on a listener that takes the probe."""
        key = (probe.scheme, probe.host)
        found = self._addressed.get(key)
        if found is None:
            planes = self.serving(probe.host).planes
            found = self._addressed[key] = frozenset(id(p) for p in planes if self.takes(p, probe))
        return found

    # ---- routing -------------------------------------------------------------------------------

    def takes(self, plane: Plane, probe: Probe) -> bool:
        """Whether a listener of the plane takes the probe's scheme and host."""
        return self.listener(plane, probe) is not None

    def listener(self, plane: Plane, probe: Probe) -> PlaneListener | None:
        """The plane's listener that takes the probe's scheme and host: the first of its listeners for
        the scheme, most specific hostname first, whose hostname covers the host."""
        key = (id(plane), probe.scheme)
        listeners = self._listeners.get(key)
        if listeners is None:
            listeners = self._listeners[key] = _for_scheme(plane, probe.scheme)
        host = probe.host
        return next(
            (pl for pl in listeners if pl.listener.hostname is None or _covers(pl.listener.hostname, host)),
            None,
        )

    def route(self, plane: Plane, probe: Probe) -> Outcome:
        """How the plane answers the probe."""
        key = (id(plane), probe)
        found = self._routed.get(key)
        if found is None:
            found = self._routed[key] = self._route(plane, probe)
        return found

    def _route(self, plane: Plane, probe: Probe) -> Outcome:
        listener = self.listener(plane, probe)
        if plane.gateway is None and listener is not None:
            listener = self._merged(plane, probe)
        if listener is None:
            return Outcome(
                NO_ROUTE, detail=f"no {probe.scheme.upper()} listener of {plane.display()} takes the host"
            )
        if listener.passthrough:
            return _passthrough(listener, probe)
        best: Candidate | None = None
        for route in listener.index().candidates(probe.host):
            if route.obj.kind == "TLSRoute" or (route.obj.kind == "GRPCRoute" and not probe.grpc):
                continue
            score = _host_score(listener.listener.hostname, route.route.spec.hostnames, probe.host)
            if score is None:
                continue
            for candidate in _candidates(route, score, probe):
                if best is None or candidate.key < best.key:
                    best = candidate
        if best is None:
            return Outcome(NO_ROUTE, detail=f"no rule matches on {plane.display()}")
        return _apply(best, probe, listener)


STANDARD_PORT = {"HTTP": 80, "HTTPS": 443, "TLS": 443}


def _guess_protocols(section: str | None, port: int | None) -> list[str]:
    if port == 80:
        return ["HTTP"]
    if port == 443:
        return ["HTTPS", "TLS"]
    name = (section or "").lower()
    for suffix, protocols in (("https", ["HTTPS"]), ("tls", ["TLS"]), ("http", ["HTTP"])):
        if name.endswith(suffix):
            return protocols
    return ["HTTP", "HTTPS", "TLS"]


def _kind_fits(pl: PlaneListener, kind: str) -> bool:
    if pl.passthrough:
        return kind == "TLSRoute"
    return kind in ("HTTPRoute", "GRPCRoute") and pl.listener.protocol in ("HTTP", "HTTPS")


def _serves(listener_host: str | None, route_hosts: list[str], host: str | None) -> bool:
    if host is None:
        return not route_hosts and listener_host is None
    if listener_host is not None and not hostnames_intersect(listener_host, host):
        return False
    return not route_hosts or any(hostnames_intersect(h, host) for h in route_hosts)


def _covers(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower(), host.lower()
    return host.endswith(pattern[1:]) if pattern.startswith("*.") else host == pattern


def _specificity(pattern: str | None) -> tuple[int, int]:
    if pattern is None:
        return (0, 0)
    return (0, len(pattern)) if pattern.startswith("*.") else (len(pattern), len(pattern))


def _for_scheme(plane: Plane, scheme: str) -> list[PlaneListener]:
    """The plane's listeners of the scheme's protocols, on its standard port when some are, the most
    specific hostname first (in declaration order among equals)."""
    protocols = _PROTOCOLS.get(scheme, ())
    usable = [pl for pl in plane.listeners if pl.listener.protocol in protocols]
    standard = [pl for pl in usable if pl.listener.port == STANDARD_PORTS.get(scheme)]
    return sorted(standard or usable, key=lambda pl: _specificity(pl.listener.hostname), reverse=True)


def _host_score(listener_host: str | None, route_hosts: list[str], host: str) -> tuple[int, int] | None:
    if not route_hosts:
        return _specificity(listener_host)
    matching = [
        h
        for h in route_hosts
        if _covers(h, host) and (listener_host is None or hostnames_intersect(h, listener_host))
    ]
    return max((_specificity(h) for h in matching), default=None)


def _age(obj: KubeObject) -> str:
    metadata = obj.raw.get("metadata")
    created = metadata.get("creationTimestamp") if isinstance(metadata, dict) else None
    return str(created or "")


def _candidates(route: RouteView, host_score: tuple[int, int], probe: Probe) -> list[Candidate]:
    found = []
    grpc = route.obj.kind == "GRPCRoute"
    for index, rule in enumerate(route.route.spec.rules):
        matches: list[gw.RouteMatch | None] = list(rule.matches) or [None]
        for position, match in enumerate(matches):
            path = _grpc_path(match) if grpc else (match.path if match else None) or gw.PathMatch()
            if not _path_matches(path, probe.path) or not _extra_matches(match, probe, grpc):
                continue
            rank = {"Exact": 0, "RegularExpression": 1}.get(path.type, 2)
            method = 1 if match is not None and match.method is not None and not grpc else 0
            key = (
                0 if grpc else 1,
                -host_score[0],
                -host_score[1],
                rank,
                -len(path.value),
                -method,
                -len(match.headers) if match else 0,
                -len(match.query_params) if match else 0,
                _age(route.obj),
                route.obj.namespace or "",
                route.obj.name,
                index,
                position,
            )
            found.append(Candidate(route, rule, match, key))
    return found


def _grpc_path(match: gw.RouteMatch | None) -> gw.PathMatch:
    method = match.method if match is not None else None
    if not isinstance(method, dict):
        return gw.PathMatch()
    service, name = method.get("service"), method.get("method")
    if method.get("type") == "RegularExpression":
        return gw.PathMatch(type="RegularExpression", value=f"/{service or '[^/]+'}/{name or '[^/]+'}")
    if service and name:
        return gw.PathMatch(type="Exact", value=f"/{service}/{name}")
    if service:
        return gw.PathMatch(type="PathPrefix", value=f"/{service}")
    if name:
        return gw.PathMatch(type="RegularExpression", value=f"/[^/]+/{re.escape(str(name))}")
    return gw.PathMatch()


def _path_matches(path: gw.PathMatch, request: str) -> bool:
    if path.type == "Exact":
        return request == path.value
    if path.type == "RegularExpression":
        compiled = _regex(path.value)
        return compiled is not None and compiled.fullmatch(request) is not None
    base = path.value.rstrip("/")
    return request == base or request.startswith(base + "/") or base == ""


def _extra_matches(match: gw.RouteMatch | None, probe: Probe, grpc: bool) -> bool:
    if match is None:
        return True
    method = match.method
    if not grpc and isinstance(method, str) and method != ("POST" if probe.grpc else "GET"):
        return False
    if match.query_params:
        return False  # probes carry no query string
    for header in match.headers:
        value = probe.header(str(header.get("name", "")))
        if value is None:
            return False
        wanted = str(header.get("value", ""))
        if header.get("type") == "RegularExpression":
            compiled = _regex(wanted)
            if compiled is None or compiled.fullmatch(value) is None:
                return False
        elif value != wanted:
            return False
    return True


def _regex(pattern: str) -> Pattern | None:
    return compile_bounded(pattern)


def _passthrough(listener: PlaneListener, probe: Probe) -> Outcome:
    best: tuple[Any, RouteView] | None = None
    for route in listener.routes:
        score = _host_score(listener.listener.hostname, route.route.spec.hostnames, probe.host)
        if score is None:
            continue
        key = (-score[0], -score[1], _age(route.obj), route.obj.namespace or "", route.obj.name)
        if best is None or key < best[0]:
            best = (key, route)
    if best is None or not best[1].route.spec.rules:
        return Outcome(NO_ROUTE, detail="no TLSRoute takes the host")
    route = best[1]
    return backends_outcome(
        _weighted(route, route.route.spec.rules[0]), kind=PASSTHROUGH, detail=route.obj.display()
    )


def _weighted(route: RouteView, rule: gw.RouteRule) -> list[tuple[Backend, int]]:
    weighted = []
    for ref in rule.backend_refs:
        name = ref.name if ref.is_service else f"{ref.kind}/{ref.name}"
        port = str(ref.port) if ref.port is not None else "?"
        weighted.append(
            (
                Backend(ref.namespace or route.obj.namespace or "", name, port),
                ref.weight if ref.weight is not None else 1,
            )
        )
    return weighted


def _apply(candidate: Candidate, probe: Probe, listener: PlaneListener) -> Outcome:
    route, rule, match = candidate.route, candidate.rule, candidate.match
    detail = f"{route.obj.display()} rule {route.route.spec.rules.index(rule) + 1}"
    prefix = match.path.value if match and match.path and match.path.type == "PathPrefix" else None
    headers: dict[str, str] = {}
    path: str | None = None
    raw_filters = _raw_filters(route, route.route.spec.rules.index(rule))
    for position, flt in enumerate(rule.filters):
        if flt.type == "RequestRedirect":
            return _redirect(flt.request_redirect or {}, probe, prefix, listener, detail)
        if flt.type == "URLRewrite":
            rewrite = flt.url_rewrite or {}
            if rewrite.get("hostname"):
                headers["host"] = str(rewrite["hostname"])
            path = _modified_path(rewrite.get("path"), probe.path, prefix) or path
        elif flt.type == "RequestHeaderModifier":
            raw = raw_filters[position] if position < len(raw_filters) else {}
            modifier = raw.get("requestHeaderModifier")
            if not isinstance(modifier, dict):
                continue
            for entry in [*(modifier.get("set") or []), *(modifier.get("add") or [])]:
                if isinstance(entry, dict) and "name" in entry:
                    headers[str(entry["name"]).lower()] = str(entry.get("value", ""))
    weighted = _weighted(route, rule)
    if not weighted:
        return Outcome(ERROR, detail=f"{detail}: no backendRefs")
    return backends_outcome(weighted, path=path, headers=headers, detail=detail)


def _raw_filters(route: RouteView, index: int) -> list[dict[str, Any]]:
    """A rule's filters as written (the projection keeps only the fields other checks read)."""
    spec = route.obj.raw.get("spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    rule = rules[index] if isinstance(rules, list) and index < len(rules) else None
    filters = rule.get("filters") if isinstance(rule, dict) else None
    return [f if isinstance(f, dict) else {} for f in filters] if isinstance(filters, list) else []


def _modified_path(modifier: Any, request: str, prefix: str | None) -> str | None:
    if not isinstance(modifier, dict):
        return None
    if modifier.get("type") == "ReplaceFullPath":
        return str(modifier.get("replaceFullPath", "/"))
    if modifier.get("type") == "ReplacePrefixMatch" and prefix is not None:
        replacement = str(modifier.get("replacePrefixMatch", "/"))
        rest = request[len(prefix.rstrip("/")) :]
        if not rest:
            return replacement
        return (replacement.rstrip("/") + rest) or "/"
    return None


def _redirect(
    redirect: dict[str, Any], probe: Probe, prefix: str | None, listener: PlaneListener, detail: str
) -> Outcome:
    scheme = str(redirect.get("scheme") or probe.scheme)
    host = str(redirect.get("hostname") or probe.host)
    port = redirect.get("port")
    if (
        port is None
        and not redirect.get("scheme")
        and listener.listener.port not in (None, STANDARD_PORTS.get(scheme))
    ):
        port = listener.listener.port
    shown_port = f":{port}" if port is not None and port != STANDARD_PORTS.get(scheme) else ""
    path = _modified_path(redirect.get("path"), probe.path, prefix) or probe.path
    code = redirect.get("statusCode", 302)
    return Outcome(
        REDIRECT,
        code=code if isinstance(code, int) else 302,
        location=f"{scheme}://{host}{shown_port}{path}",
        detail=detail,
    )
