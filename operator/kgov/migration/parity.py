"""Route and TLS parity between an Ingress and the Gateway API objects serving its hosts.

Parity is decided on probe requests generated from each rule of the Ingress (the path itself, the
path with and without a trailing slash, a sub-path, the element boundary `/foo` → `/foox`, an
upper-case variant, canary headers and cookies, plain HTTP and, for TLS hosts, HTTPS) and from its
neighbourhood (a sibling host, the apex and a deeper name under a wildcard). Each probe is answered by
the ingress-nginx model of the Ingress's class and by the Gateway API model; a difference is a
mismatch naming the probe and both answers. The structural part compares TLS hosts with HTTPS
listeners that carry a certificateRef (or TLS passthrough listeners for `ssl-passthrough`).

Parity is `not-checked` when no route of the input serves any host of the Ingress, and `undecided`
when a regular expression on either side cannot be evaluated within kgov's bounds (see `kgov.regex`),
or when TLS is answered only by a Gateway not in the input: its listeners (their certificates) and the
routes beside it (where the HTTP→HTTPS redirect usually lives) are unknown, so each TLS question put
to it is `unknown`, neither a mismatch nor a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from kgov.catalogue import NGINX_PREFIX
from kgov.inventory import Inventory
from kgov.inventory.network import IngressView, RouteView
from kgov.migration.gatewayapi import GatewayModel, Plane, PlaneListener, each_once
from kgov.migration.nginx import CATCH_ALL, NginxModel, Server, tls_hosts
from kgov.migration.outcome import NO_ROUTE, PASSTHROUGH, REDIRECT, Outcome, Probe, same_outcome
from kgov.migration.sample import example
from kgov.model.gateway import ROUTE_KINDS
from kgov.model.objects import KubeObject
from kgov.regex import Undecided

T = TypeVar("T")
FULL, MISMATCH, NOT_CHECKED, UNDECIDED = "full", "mismatch", "not-checked", "undecided"
ASSUMED_GATEWAY = "TLS and the HTTPS redirect are decided by a Gateway not in the input"
PROBE_HOST = "kgov-probe.invalid"  # a host no rule names: what the catch-all server answers
SUB_PATH = "kgov-probe"
_REGEX_META = re.compile(r"[.^$*+?()\[\]{}|\\]")


@dataclass(frozen=True, slots=True)
class Mismatch:
    probe: str
    ingress: str
    routes: str
    tls: bool = False  # about TLS or the HTTP→HTTPS redirect
    assumed: bool = False  # the Gateway API answer is an assumed Gateway's (its parent not in the input)

    def as_dict(self) -> dict[str, str]:
        return {"probe": self.probe, "ingress": self.ingress, "routes": self.routes}


@dataclass(slots=True)
class Parity:
    status: str
    mismatches: list[Mismatch] = field(default_factory=list)
    probes: int = 0
    planes: list[str] = field(default_factory=list)
    routes: list[RouteView] = field(default_factory=list)
    undecided: Undecided | None = None  # why parity could not be decided (a regex beyond the bounds)
    unknown: list[Mismatch] = field(default_factory=list)  # TLS put to a Gateway not in the input

    @property
    def reason(self) -> str | None:
        """Why parity is undecided; None when it is decided, or not checked."""
        if self.undecided is not None:
            return self.undecided.reason
        return ASSUMED_GATEWAY if self.status == UNDECIDED else None

    @property
    def route_mismatches(self) -> list[Mismatch]:
        return [m for m in self.mismatches if not m.tls]

    @property
    def tls_mismatches(self) -> list[Mismatch]:
        return [m for m in self.mismatches if m.tls]


class MigrationIndex:
    """The routing models of one inventory, built once and shared by every Ingress's checks. The
    operator's engine keeps it from one evaluation to the next (`update`)."""

    def __init__(self, inventory: Inventory, prefix: str = NGINX_PREFIX) -> None:
        network = inventory.network
        self.network = network
        self.prefix = prefix
        self.gateways = GatewayModel(network)
        groups: dict[str, list[IngressView]] = {}
        for view in network.ingresses:
            groups.setdefault(class_key(view), []).append(view)
        self.nginx = {key: NginxModel(views, network, prefix) for key, views in groups.items()}
        self._views = {view.obj.key: view for view in network.ingresses}
        self._parity: dict[int, Parity] = {}

    def update(self, changes: Iterable[tuple[KubeObject | None, KubeObject | None]]) -> bool:
        """Objects changed in place in the network the index models (the same `Network`, its views
        already replaced): an Ingress rebuilds the servers of its hosts, a route the Gateway API
        model. False when a change reaches what the models read otherwise: build the index again."""
        self._parity.clear()
        ingresses, routes = [], False
        for old, new in changes:
            kind = (new or old).kind  # type: ignore[union-attr]
            if kind == "Ingress":
                ingresses.append((old, new))
            elif kind in ROUTE_KINDS:
                routes = True
            elif kind in _MODELLED:
                return False
        if routes:
            self.gateways = GatewayModel(self.network)
        return all(self._replace(old, new) for old, new in ingresses)

    def _replace(self, old_obj: KubeObject | None, new_obj: KubeObject | None) -> bool:
        old = self._views.pop(old_obj.key, None) if old_obj is not None else None
        new = self.network.ingress_view(new_obj) if new_obj is not None else None
        if (old_obj is not None and old is None) or (new_obj is not None and new is None):
            return False
        if new is not None:
            self._views[new.obj.key] = new
        if old is not None and new is not None and class_key(old) == class_key(new):
            self.nginx[class_key(old)].replace(old, new)
            return True
        if old is not None:
            model = self.nginx[class_key(old)]
            model.replace(old, None)
            if model.empty:
                del self.nginx[class_key(old)]
        if new is not None:
            key = class_key(new)
            if key not in self.nginx:
                self.nginx[key] = NginxModel([], self.network, self.prefix)
            self.nginx[key].replace(None, new)
        return True

    def model_for(self, view: IngressView) -> NginxModel:
        return self.nginx[class_key(view)]

    def parity(self, view: IngressView) -> Parity:
        found = self._parity.get(id(view))
        if found is None:
            found = self._parity[id(view)] = self._compute(view)
        return found

    def _compute(self, view: IngressView) -> Parity:
        serving = [self.gateways.serving(host or None) for host in ingress_hosts(view)]
        if not any(found.planes for found in serving):
            return Parity(NOT_CHECKED)
        planes = self._for_class(
            each_once(plane for found in serving for plane in found.planes), class_key(view)
        )
        routes = each_once(route for found in serving for route in found.routes)
        model = self.model_for(view)
        try:
            probes = probes_for(view, model)
            found = self._comparisons(model, planes, probes)
            found += tls_mismatches(view, model, planes)
        except Undecided as exc:
            return Parity(UNDECIDED, planes=[p.display() for p in planes], routes=routes, undecided=exc)
        unknown = [m for m in found if m.tls and m.assumed]
        mismatches = [m for m in found if not (m.tls and m.assumed)]
        status = MISMATCH if mismatches else UNDECIDED if unknown else FULL
        return Parity(status, mismatches, len(probes), [p.display() for p in planes], routes, unknown=unknown)

    def _for_class(self, planes: list[Plane], klass: str) -> list[Plane]:
        """Gateways named after the Ingress's class, or of a GatewayClass of that name, are the data
        plane that replaces it; when none serves the host, every Gateway that does is compared."""
        named = self.gateways.named(klass)
        mine = [plane for plane in planes if id(plane) in named] if named else []
        return mine or planes

    def _comparisons(self, model: NginxModel, planes: list[Plane], probes: list[Probe]) -> list[Mismatch]:
        found = []
        for probe in probes:
            mismatch = self._compare(model, planes, probe, self.addresses(planes, probe))
            if mismatch is not None:
                found.append(mismatch)
        return found

    def _compare(
        self, model: NginxModel, planes: list[Plane], probe: Probe, addresses: list[Plane]
    ) -> Mismatch | None:
        """Every Gateway serving the probe's host is an address of its own (DNS may send a client to
        any of them): each must answer as ingress-nginx does."""
        ingress = model.route(probe)
        # Routed one address at a time: the first that answers differently decides.
        answers: Iterable[tuple[Plane | None, Outcome]] = (
            ((plane, self.gateways.route(plane, probe)) for plane in addresses)
            if addresses
            else [self._first_routing(planes, probe)]
        )
        for plane, routes in answers:
            if same_outcome(ingress, routes, probe.path):
                continue
            shown = routes.display()
            if len(addresses) > 1 and plane is not None:
                shown += f" (one of {len(addresses)} Gateways serving {probe.host}: {plane.display()})"
            assumed = plane is not None and plane.gateway is None
            return Mismatch(
                probe.display(), ingress.display(), shown, _about_tls(probe, ingress, routes), assumed
            )
        return None

    def addresses(self, planes: list[Plane], probe: Probe) -> list[Plane]:
        """The planes with a route for the probe's host on a listener that takes the probe."""
        addressed = self.gateways.addressed(probe)
        return [p for p in planes if id(p) in addressed]

    def route(self, planes: list[Plane], probe: Probe) -> Outcome:
        """The first data plane that routes the probe decides (planes in namespace/name order)."""
        return self._first_routing(planes, probe)[1]

    def _first_routing(self, planes: list[Plane], probe: Probe) -> tuple[Plane | None, Outcome]:
        """The plane that decides the probe, with its answer: the first that routes it, else the first
        (the assumed Gateway, when there is one, comes last)."""
        first: tuple[Plane | None, Outcome] | None = None
        for plane in planes:
            outcome = self.gateways.route(plane, probe)
            if outcome.kind != NO_ROUTE:
                return plane, outcome
            first = first or (plane, outcome)
        return first or (None, Outcome(NO_ROUTE))


def _about_tls(probe: Probe, ingress: Outcome, routes: Outcome) -> bool:
    """A difference in the HTTP→HTTPS redirect or in TLS passthrough, or HTTPS no listener takes."""
    upgrade = f"https://{probe.host}{probe.path}".rstrip("/")
    redirects = any(
        o.kind == REDIRECT and (o.location or "").rstrip("/") == upgrade for o in (ingress, routes)
    )
    passthrough = PASSTHROUGH in (ingress.kind, routes.kind)
    return (
        redirects
        or passthrough
        or (probe.scheme == "https" and routes.detail.startswith("no HTTPS listener"))
    )


# What the models read beside Ingresses and routes: a change of one of these builds the index again.
_MODELLED = frozenset({"IngressClass", "Service", "Gateway", "ListenerSet", "Namespace"})


def migration_index(inventory: Inventory, prefix: str = NGINX_PREFIX) -> MigrationIndex:
    """The index of an inventory's network view, built once for all its Ingresses' checks (a new view,
    or any in-place change to the inventory, builds it again unless the engine kept it: `LiveInventory.keep_index`)."""
    return inventory.derived(index_memo(prefix), inventory.network, lambda: MigrationIndex(inventory, prefix))


def built_index(inventory: Inventory, prefix: str) -> MigrationIndex | None:
    """The index the checks built for the inventory's network view, if they did."""
    found = inventory.memo(index_memo(prefix), inventory.network)
    return found if isinstance(found, MigrationIndex) else None


def index_memo(prefix: str) -> str:
    """The name the index of an annotation prefix is memoised under in its inventory."""
    return f"migration-index:{prefix}"


def class_key(view: IngressView) -> str:
    if view.ingress_class is not None:
        return view.ingress_class.obj.name
    return view.class_name or ""


def ingress_hosts(view: IngressView) -> list[str]:
    """The hosts an Ingress serves, lower-case; "" for rules without a host or a catch-all backend."""
    hosts = [(rule.host or CATCH_ALL).lower() for rule in view.ingress.spec.rules]
    if not view.ingress.spec.rules and view.ingress.spec.default_backend is not None:
        hosts.append(CATCH_ALL)
    return list(dict.fromkeys(hosts))


# ---- probes --------------------------------------------------------------------------------------


def probe_host(host: str) -> str:
    if host == CATCH_ALL:
        return PROBE_HOST
    return f"{SUB_PATH}.{host[2:]}" if host.startswith("*.") else host


def neighbour_hosts(host: str) -> list[str]:
    """Names next to a host that it does not cover (and, for a wildcard, one it covers deeper)."""
    if host == CATCH_ALL:
        return []
    if host.startswith("*."):
        return [host[2:], f"a.{SUB_PATH}.{host[2:]}"]
    parent = host.split(".", 1)[1] if "." in host else host
    return [f"{SUB_PATH}-other.{parent}"]


def literal_prefix(path: str) -> str:
    """The plain text a regular-expression path starts with (`/foo(/|$)(.*)` → `/foo`)."""
    found = _REGEX_META.search(path)
    return path[: found.start()] if found else path


def path_variants(path: str) -> list[str]:
    base = path.rstrip("/")
    variants = [path or "/"]
    if base:
        variants += [base, base + "/", f"{base}/{SUB_PATH}", base + "x"]
        upper = path.upper()
        if upper != path:
            variants.append(upper)
    else:
        variants += [f"/{SUB_PATH}", f"/{SUB_PATH.upper()}"]
    return list(dict.fromkeys(v if v.startswith("/") else "/" + v for v in variants))


def probes_for(view: IngressView, model: NginxModel) -> list[Probe]:
    probes: list[Probe] = []
    secure = tls_hosts(view)
    for host in ingress_hosts(view):
        server = model.servers.get(host)
        paths = _paths_of(view, host, server, model)
        # A passthrough host still answers plain HTTP (its locations, or the HTTPS redirect).
        schemes = ["http", "https"] if host in secure or _passthrough(server) else ["http"]
        target = probe_host(host)
        headers = _canary_headers(view, model, server)
        grpc = _grpc(view, model)
        for scheme in schemes:
            for path in paths:
                probes.append(Probe(scheme, target, path, grpc=grpc))
                probes += [Probe(scheme, target, path, (h,), grpc=grpc) for h in headers]
            for other in neighbour_hosts(host):
                probes.append(Probe(scheme, other, paths[0] if paths else "/", grpc=grpc))
    return list(dict.fromkeys(probes))


def _paths_of(view: IngressView, host: str, server: Server | None, model: NginxModel) -> list[str]:
    regex = server is not None and server.regex
    paths: list[str] = []
    for rule in view.ingress.spec.rules:
        if (rule.host or CATCH_ALL).lower() != host:
            continue
        for entry in rule.http.paths if rule.http else []:
            path = entry.path or "/"
            if not regex:
                paths += path_variants(path)
                continue
            paths += path_variants(literal_prefix(path))
            sample = example(path)
            if sample and sample.startswith("/"):
                paths += path_variants(sample)
    if not paths or view.ingress.spec.default_backend is not None:
        paths += path_variants("/")  # what the default backend answers
    if server is not None and model.app_root(server) is not None:
        paths.append("/")  # a server-level `app-root` answers / for every Ingress of the host
    return list(dict.fromkeys(paths))


def _canary_headers(view: IngressView, model: NginxModel, server: Server | None) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for location in server.locations if server else []:
        canary = model.canary_for(location)
        if canary is None or view not in (location.ingress, canary.ingress):
            continue
        rule = canary.rule
        if rule.header:
            name = rule.header.lower()
            values = [rule.header_value] if rule.header_value else ["always", "never"]
            if rule.header_pattern:
                values = [example(rule.header_pattern) or "always"]
            headers += [(name, v) for v in values if v]
        if rule.cookie:
            headers += [("cookie", f"{rule.cookie}={v}") for v in ("always", "never")]
    return list(dict.fromkeys(headers))


def _grpc(view: IngressView, model: NginxModel) -> bool:
    protocol = model.annotations(view).get("backend-protocol") or ""
    return protocol.upper() in ("GRPC", "GRPCS")


def _passthrough(server: Server | None) -> bool:
    return server is not None and server.passthrough is not None


# ---- TLS structure -------------------------------------------------------------------------------


def tls_mismatches(view: IngressView, model: NginxModel, planes: list[Plane]) -> list[Mismatch]:
    """The TLS hosts of the Ingress that no listener of the Gateways terminates (or passes through) as
    the Ingress does; when every Gateway is an assumed one (not in the input), each TLS host, marked
    assumed: its listeners are not known."""
    known = [plane for plane in planes if plane.gateway is not None]
    found = []
    served = [h for h in ingress_hosts(view) if h]
    for entry in view.ingress.spec.tls:
        # A TLS host no rule serves gets no server of its own: nothing to carry over.
        hosts = [h.lower() for h in entry.hosts if h.lower() in served] if entry.hosts else served
        for host in hosts:
            server = model.servers.get(host)
            passthrough = _passthrough(server)
            if any(_terminates(pl, host, passthrough) for plane in known for pl in plane.listeners):
                continue
            secret = f" with Secret {entry.secret_name}" if entry.secret_name else ""
            ingress = (
                f"passes TLS through for {host}" if passthrough else f"terminates TLS for {host}{secret}"
            )
            wanted = (
                "TLS passthrough listener with a TLSRoute"
                if passthrough
                else "HTTPS listener with a certificateRef"
            )
            routes = (
                f"no {wanted} covers {host} on {', '.join(p.display() for p in known)}"
                if known
                else f"the listeners of {', '.join(p.display() for p in planes)} are not known"
            )
            found.append(Mismatch(f"TLS {host}", ingress, routes, tls=True, assumed=not known))
    return found


def _terminates(pl: PlaneListener, host: str, passthrough: bool) -> bool:
    hostname = pl.listener.hostname
    if hostname is not None and not (
        hostname.lower() == host or (hostname.startswith("*.") and host.endswith(hostname[1:].lower()))
    ):
        return False
    if passthrough:
        return pl.passthrough and bool(pl.routes)
    return pl.listener.protocol == "HTTPS" and bool(pl.certificates)
