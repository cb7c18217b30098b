"""How ingress-nginx routes a request, from the Ingresses of one class.

The controller renders one NGINX `server` per host from every Ingress of its class, and one `location`
per path. What this model reproduces (facts: reference ingress-nginx-annotations.md §5 and the
"Before you migrate" behaviours it cites):

- hosts: exact names first, then the longest matching wildcard (`*.example.com` covers any depth of
  labels, as NGINX `server_name` does), then the catch-all server of rules without a host;
- paths: `Exact` is `location = p`; `Prefix` is element-wise (`/foo` covers `/foo` and `/foo/…`, not
  `/foobar`); `ImplementationSpecific` is a plain NGINX string prefix (`/foo` covers `/foobar`); the
  longest prefix wins; a prefix location ending in `/` answers the same path without the slash with a
  301 to the slashed path (NGINX's implicit redirect);
- `use-regex` or a `rewrite-target` (other than the path itself) on any Ingress of a host turns
  every path of that host, of every Ingress and every path type, into a case-insensitive regular
  expression anchored at the start only (a prefix match), tried longest path first;
  `rewrite-target` replaces the whole upstream path;
- the host's root location serves the `defaultBackend` of the oldest Ingress of the host, else the
  controller's default backend (404); an Ingress with a default backend and no rules is the catch-all;
- canaries (`canary-by-header` with `always`/`never` or `-value` or `-pattern`, `canary-by-cookie`,
  `canary-weight` out of `canary-weight-total`) join the location with the same host and path;
- `app-root` (server level, before any location) answers `/` with 302;
  `permanent-redirect`/`temporal-redirect` (with their codes) answer with the literal URL; then
  `ssl-redirect` (on by default for TLS hosts) and `force-ssl-redirect` answer plain HTTP with 308,
  dropping one trailing slash unless `preserve-trailing-slash`; `ssl-passthrough` hands HTTPS for the
  host to the backend at layer 4.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kgov.catalogue import INGRESS_NGINX, NGINX_PREFIX
from kgov.inventory.network import IngressView, Network, rule_hosts
from kgov.migration.conflicts import path_subject
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
from kgov.migration.values import (
    AnnotationValues,
    CanaryRule,
    Invalid,
    canary_rule,
    nginx_value_types,
    redirect_code,
)
from kgov.model import networking as net
from kgov.regex import Pattern, compile_bounded

CATCH_ALL = ""
SSL_REDIRECT_CODE = 308  # the controller ConfigMap's `http-redirect-code` default
_CAPTURE = re.compile(r"\$(\d+)")


@dataclass(slots=True)
class Canary:
    """A canary Ingress merged into a primary location: its backend and its rule."""

    ingress: IngressView
    backend: Backend | None
    rule: CanaryRule


@dataclass(slots=True)
class Location:
    path: str
    path_type: str  # Exact | Prefix | ImplementationSpecific
    ingress: IngressView
    backend: Backend | None


@dataclass(slots=True)
class Server:
    host: str
    locations: list[Location] = field(default_factory=list)
    default: tuple[IngressView, Backend | None] | None = None
    regex: bool = False
    tls: bool = False
    first: IngressView | None = None  # the oldest Ingress of the host: server-level settings
    passthrough: tuple[IngressView, Backend | None] | None = None


def created(view: IngressView) -> str | None:
    metadata = view.obj.raw.get("metadata")
    value = metadata.get("creationTimestamp") if isinstance(metadata, dict) else None
    return str(value) if value else None


def nginx_primary(view: IngressView, prefix: str) -> bool:
    """An ingress-nginx Ingress that routes on its own (a canary one, by the `canary` annotation under the
    controller's `prefix`, joins the primary's upstream): the Ingresses whose paths
    `ingress.conflicting-paths` compares."""
    return (
        view.controller is not None
        and view.controller.id == INGRESS_NGINX
        and not AnnotationValues(view.obj.annotations, prefix).flag("canary")
    )


def ordered_ingresses(views: Iterable[IngressView]) -> list[IngressView]:
    """The controller's order (`store.sortIngressSlice`): oldest first; equal creation times (and
    none, which files never carry: Go's zero time, older than any) by `namespace/name` descending."""
    by_name = sorted(views, key=lambda v: f"{v.obj.namespace or ''}/{v.obj.name}", reverse=True)
    return sorted(by_name, key=lambda v: created(v) or "")


def order_known(a: IngressView, b: IngressView) -> bool:
    """Whether the controller's order of two Ingresses follows from the input: both carry a creation
    time (equal times fall back to the names); without one, the live order is not known."""
    return created(a) is not None and created(b) is not None


def service_backend(
    view: IngressView, backend: net.IngressBackend | None, network: Network
) -> Backend | None:
    """The Service port an Ingress backend names; a port name is resolved through the Service when the
    input holds it. Resource backends are not Services: None."""
    if backend is None or backend.service is None:
        return None
    namespace = view.obj.namespace or ""
    port = backend.service.port
    if port.number is not None:
        return Backend(namespace, backend.service.name, str(port.number))
    service = network.service(view.obj.namespace, backend.service.name, view.obj)
    found = service.service.port(name=port.name) if service else None
    return Backend(namespace, backend.service.name, str(found.port) if found else str(port.name))


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two Ingresses of one host whose order decides what the controller serves, where the input does
    not tell the order (no creation time): `kept` is the one the model assumes keeps it."""

    host: str
    subject: str
    kept: IngressView
    other: IngressView


@dataclass(frozen=True, slots=True)
class Rendered:
    """One NGINX `location` as the controller writes it: modifier `=`, `` (prefix) or `~*`."""

    modifier: str
    path: str
    location: Location


def path_type(value: str | None) -> str:
    """The controller turns ImplementationSpecific (and a missing type) into Prefix
    (`internal/k8s/main.go` SetDefaultNGINXPathType, applied in `store.syncIngress`)."""
    return "Exact" if value == "Exact" else "Prefix"


class NginxModel:
    """The servers of one ingress class. Built from all its Ingresses at once, or kept up to date one
    Ingress at a time (`replace`, the operator): the servers of the hosts the Ingress names are built
    again from the Ingresses of those hosts, in the controller's order, and the result is the model a
    build from every Ingress gives."""

    def __init__(
        self, ingresses: Iterable[IngressView], network: Network, prefix: str = NGINX_PREFIX
    ) -> None:
        self.prefix = prefix
        self.network = network
        self.servers: dict[str, Server] = {}
        self.conflicts: list[Conflict] = []
        self._notes: dict[int, AnnotationValues] = {}
        self._rendered: dict[str, list[Rendered]] = {}
        self.canaries: dict[Backend, Canary] = {}  # by the primary upstream they shape
        self.types = nginx_value_types(network.catalogue)
        self.dropped: list[tuple[IngressView, Invalid]] = []
        # What `replace` rebuilds from: the primary Ingresses by the hosts of their rules (CATCH_ALL
        # for rules without a host), those that give the catch-all server its default backend, the
        # canaries, the backends of every location, and each conflict's host and place in the build.
        self._views: dict[int, IngressView] = {}
        self._hosts: dict[str, dict[int, IngressView]] = {}
        self._catch_alls: dict[int, IngressView] = {}
        self._canaries: dict[int, IngressView] = {}
        self._invalid: dict[int, tuple[IngressView, Invalid]] = {}
        self._backends: Counter[Backend] = Counter()
        self._placed: dict[str, list[tuple[tuple[int, int, int], Conflict]]] = {}
        self._routed: dict[Probe, Outcome] = {}  # Ingresses of one domain share probes (a sibling host)
        primaries = []
        for view in ordered_ingresses(ingresses):
            if self._learn(view):
                primaries.append(view)
        self.dropped = list(self._invalid.values())
        for view in primaries:
            self._catch_all(view)
        for view in primaries:
            self._add(view)
        for server in self.servers.values():
            self.render(server)
            self._backends.update(loc.backend for loc in server.locations if loc.backend)
        self._merge_canaries()
        self._wildcards = self._wildcards_of()

    @property
    def empty(self) -> bool:
        return not self._views

    def _learn(self, view: IngressView) -> bool:
        """Files the Ingress as dropped, canary or primary; true for a primary."""
        self._views[id(view)] = view
        notes = self.annotations(view)
        invalid = notes.dropped(self.types)
        if invalid is not None:
            self._invalid[id(view)] = (view, invalid)
            return False
        if notes.flag("canary"):
            self._canaries[id(view)] = view
            return False
        for host in rule_hosts(view):
            self._hosts.setdefault(host, {})[id(view)] = view
        if _is_catch_all(view):
            self._catch_alls[id(view)] = view
        return True

    def _forget(self, view: IngressView) -> None:
        self._views.pop(id(view), None)
        self._notes.pop(id(view), None)
        self._invalid.pop(id(view), None)
        self._canaries.pop(id(view), None)
        self._catch_alls.pop(id(view), None)
        for host in rule_hosts(view):
            held = self._hosts.get(host)
            if held is not None:
                held.pop(id(view), None)
                if not held:
                    del self._hosts[host]

    # ---- in-place updates (the operator) ---------------------------------------------------------

    def replace(self, old: IngressView | None, new: IngressView | None) -> None:
        """One Ingress of the class changed (`old` → `new`), came (no `old`) or went (no `new`)."""
        self._routed.clear()
        hosts: dict[str, None] = {}
        for view in (old, new):
            if view is not None:
                hosts.update(dict.fromkeys(rule_hosts(view)))
                if _is_catch_all(view):
                    hosts[CATCH_ALL] = None
        if old is not None:
            self._forget(old)
        if new is not None:
            self._learn(new)
        wildcards = False
        for host in hosts:
            wildcards |= host.startswith("*.")
            self._rebuild(host)
        self._merge_canaries()
        if wildcards:
            self._wildcards = self._wildcards_of()
        self.dropped = [self._invalid[id(v)] for v in ordered_ingresses(v for v, _ in self._invalid.values())]
        self.conflicts = self._ordered_conflicts()

    def _rebuild(self, host: str) -> None:
        """The server of one host built again from the primary Ingresses that name it."""
        server = self.servers.pop(host, None)
        if server is not None:
            self._backends.subtract(loc.backend for loc in server.locations if loc.backend)
        self._rendered.pop(host, None)
        self._placed.pop(host, None)
        if host == CATCH_ALL:
            for view in ordered_ingresses(self._catch_alls.values()):
                self._catch_all(view)
        for view in ordered_ingresses(self._hosts.get(host, {}).values()):
            self._add(view, only=host)
        server = self.servers.get(host)
        if server is not None:
            self.render(server)
            self._backends.update(loc.backend for loc in server.locations if loc.backend)

    def _ordered_conflicts(self) -> list[Conflict]:
        """The conflicts in the order a build from every Ingress finds them: the catch-all's default
        backends first, then by the Ingress that meets an earlier one (controller order), its rule and
        its path."""
        placed = [item for items in self._placed.values() for item in items]
        others = ordered_ingresses({id(c.other): c.other for _, c in placed}.values())
        rank = {id(view): index for index, view in enumerate(others)}
        placed.sort(key=lambda item: (item[0][0], rank[id(item[1].other)], item[0][1], item[0][2]))
        return [conflict for _, conflict in placed]

    def _merge_canaries(self) -> None:
        self.canaries = {}
        for view in ordered_ingresses(self._canaries.values()):
            self._add_canary(view)

    def _wildcards_of(self) -> list[str]:
        return sorted((h for h in self.servers if h.startswith("*.")), key=len, reverse=True)

    def annotations(self, view: IngressView) -> AnnotationValues:
        found = self._notes.get(id(view))
        if found is None:
            found = self._notes[id(view)] = AnnotationValues(view.obj.annotations, self.prefix)
        return found

    def own_regex(self, view: IngressView, location_path: str) -> bool:
        """`use-regex`, or a `rewrite-target` other than the location's path (`needsRewrite`)."""
        notes = self.annotations(view)
        return notes.flag("use-regex") or rewrites(notes, location_path) is not None

    # ---- building -----------------------------------------------------------------------------

    def _server(self, host: str, view: IngressView) -> Server:
        server = self.servers.get(host)
        if server is None:
            server = self.servers[host] = Server(host, first=view)
        return server

    def _conflict(
        self,
        host: str,
        subject: str,
        kept: IngressView,
        other: IngressView,
        place: tuple[int, int, int],
    ) -> None:
        """`place`: (0 for the catch-all's default backends, else 1; the rule; the path + 1, 0 for the
        host's default backend) of `other`, the Ingress that met `kept`'s definition."""
        if not order_known(kept, other):
            conflict = Conflict(host, subject, kept, other)
            self.conflicts.append(conflict)
            self._placed.setdefault(host, []).append((place, conflict))

    def _catch_all(self, view: IngressView) -> None:
        """`createServers`, before any location: the oldest Ingress with a backend and no rule gives
        the catch-all server its root location, which no path `/` replaces afterwards."""
        spec = view.ingress.spec
        if spec.default_backend is None or spec.rules:
            return
        default = service_backend(view, spec.default_backend, self.network)
        server = self._server(CATCH_ALL, view)
        if server.default is None:
            server.default = (view, default)
        elif server.default[1] != default:
            self._conflict(CATCH_ALL, "the catch-all default backend", server.default[0], view, (0, 0, 0))

    def _add(self, view: IngressView, only: str | None = None) -> None:
        """The rules of a primary Ingress (those of host `only` when given) into their servers."""
        spec = view.ingress.spec
        notes = self.annotations(view)
        default = service_backend(view, spec.default_backend, self.network) if spec.default_backend else None
        secure = tls_hosts(view)
        for index, rule in enumerate(spec.rules):
            host = (rule.host or CATCH_ALL).lower()
            if only is not None and host != only:
                continue
            new = host not in self.servers
            server = self._server(host, view)
            # The Ingress that creates a server gives its root location its default backend; the
            # server of rules without a host keeps the controller's (`createServers`).
            if new and host != CATCH_ALL and spec.default_backend is not None:
                server.default = (view, default)
            elif not new and host != CATCH_ALL and server.first is not None and server.first is not view:
                theirs = server.default[1] if server.default else None
                if default != theirs and (spec.default_backend is not None or server.default is not None):
                    self._conflict(host, "the host's default backend", server.first, view, (1, index, 0))
            if host in secure:
                server.tls = True
            paths = rule.http.paths if rule.http else []
            if notes.flag("ssl-passthrough") and server.passthrough is None and paths:
                root = next((p for p in paths if (p.path or "/") == "/"), paths[0])
                server.passthrough = (view, service_backend(view, root.backend, self.network))
            for position, path in enumerate(paths, start=1):
                self._add_location(server, view, path, (1, index, position))

    def _add_location(
        self, server: Server, view: IngressView, path: net.IngressPath, place: tuple[int, int, int]
    ) -> None:
        key = (path.path or "/", path_type(path.path_type))
        if server.host == CATCH_ALL and key == ("/", "Prefix") and server.default is not None:
            return  # the root location already serves the catch-all default backend
        backend = service_backend(view, path.backend, self.network)
        existing = next((loc for loc in server.locations if (loc.path, loc.path_type) == key), None)
        if existing is None:
            server.locations.append(Location(key[0], key[1], view, backend))
        elif existing.ingress is not view and (
            existing.backend != backend or existing.ingress.obj.annotations != view.obj.annotations
        ):
            # `getBackendServers`: the location of the older Ingress stays.
            self._conflict(server.host, path_subject(*key), existing.ingress, view, place)

    def _add_canary(self, view: IngressView) -> None:
        """`mergeAlternativeBackends`: the canary joins the *upstream* (Service port) of the main
        location with its host, path and path type, so it shapes every location of any host that
        proxies to that upstream; the first canary of an upstream is the one the Lua balancer uses
        (`alternative_backends[1]`); a canary whose Service is itself a primary backend is not merged."""
        notes = self.annotations(view)
        for rule in view.ingress.spec.rules:
            server = self.servers.get((rule.host or CATCH_ALL).lower())
            for path in rule.http.paths if rule.http and server else []:
                assert server is not None
                key = (path.path or "/", path_type(path.path_type))
                location = next(
                    (loc for loc in server.locations if (loc.path, loc.path_type) == key),
                    None,
                )
                backend = service_backend(view, path.backend, self.network)
                primary = backend is not None and self._backends[backend] > 0
                if location is None or location.backend is None or primary:
                    continue  # no main location (the canary is dropped), or its Service is a primary
                if location.backend in self.canaries:
                    continue
                self.canaries[location.backend] = Canary(view, backend, canary_rule(notes.number, notes.get))

    def canary_for(self, location: Location) -> Canary | None:
        return self.canaries.get(location.backend) if location.backend is not None else None

    # ---- the locations as NGINX sees them --------------------------------------------------------

    def render(self, server: Server) -> list[Rendered]:
        """The server's locations in the controller's order (`getBackendServers`: longest path first,
        equal lengths in reverse lexical order), after `updateServerLocations` (a Prefix path `/p`
        becomes `/p/` plus `= /p` unless an Exact `/p` exists) and `buildLocation` (every location
        `~* "^p"` on a regex host)."""
        cached = self._rendered.get(server.host)
        if cached is not None:
            return cached
        exact = {loc.path for loc in server.locations if loc.path_type == "Exact"}
        pieces: list[tuple[str, bool, Location]] = []
        for loc in _ordered(server.locations):
            if loc.path == "/" or loc.path_type == "Exact" or self.own_regex(loc.ingress, loc.path):
                pieces.append((loc.path, loc.path_type == "Exact", loc))
                continue
            pieces.append((loc.path if loc.path.endswith("/") else loc.path + "/", False, loc))
            if loc.path not in exact:
                pieces.append((loc.path, True, loc))
        # `enforceRegexModifier` reads the written paths: a `rewrite-target` equal to a Prefix path
        # `/p` differs from the written `/p/`, so it rewrites that location and makes the host regex.
        server.regex = any(self.own_regex(loc.ingress, path) for path, _, loc in pieces)
        found = [
            Rendered("~*" if server.regex else "=" if is_exact else "", path, loc)
            for path, is_exact, loc in pieces
        ]
        self._rendered[server.host] = found
        return found

    def duplicates(self, server: Server) -> list[str]:
        """Locations NGINX refuses to load twice (`duplicate location`): the whole configuration
        of the controller is then rejected."""
        seen: set[tuple[str, str]] = set()
        dupes = []
        for item in self.render(server):
            key = (item.modifier, item.path)
            if item.modifier != "~*" and key in seen:
                dupes.append(f"location {item.modifier + ' ' if item.modifier else ''}{item.path}")
            seen.add(key)
        return dupes

    # ---- routing ------------------------------------------------------------------------------

    def server_for(self, host: str) -> Server | None:
        host = host.lower()
        if host in self.servers and host != CATCH_ALL:
            return self.servers[host]
        for wildcard in self._wildcards:
            if host.endswith(wildcard[1:]):
                return self.servers[wildcard]
        return self.servers.get(CATCH_ALL)

    def route(self, probe: Probe) -> Outcome:
        found = self._routed.get(probe)
        if found is None:
            found = self._routed[probe] = self._route(probe)
        return found

    def _route(self, probe: Probe) -> Outcome:
        server = self.server_for(probe.host)
        if server is None:
            return Outcome(NO_ROUTE, detail="no server for the host: controller default backend")
        if probe.scheme == "https" and server.passthrough is not None:
            _, backend = server.passthrough
            if backend is None:
                return Outcome(NO_ROUTE, detail="passthrough without a Service backend")
            return backends_outcome([(backend, 1)], kind=PASSTHROUGH)
        app_root = self._app_root(server) if probe.path == "/" else None
        if app_root:
            return Outcome(REDIRECT, code=302, location=f"{probe.scheme}://{probe.host}{app_root}")
        if not server.regex:
            slash = self._slash_redirect(server, probe)
            if slash is not None:
                return slash
        location = self._location(server, probe.path)
        if location is None:
            return self._default(server, probe)
        return self._serve(server, location, probe)

    def choice(self, server: Server, path: str) -> Rendered | str:
        """What NGINX does with a path on the server: the rendered location it picks, `redirect` (the
        301 to the slashed path) or `default` (the root location the controller always writes)."""
        if not server.regex and self._slash_redirect(server, Probe("http", server.host, path)) is not None:
            return "redirect"
        return self._location(server, path) or "default"

    def app_root(self, server: Server) -> tuple[IngressView, str] | None:
        """`app-root` is written at server level, before every location, once per location that has
        it (locations longest first, the root location last): the first one answers `/`."""
        owners = [loc.ingress for loc in _ordered(server.locations)]
        if server.first is not None:
            owners.append(server.first)
        return next(
            ((view, root) for view in owners if (root := self.annotations(view).get("app-root"))), None
        )

    def _app_root(self, server: Server) -> str | None:
        found = self.app_root(server)
        return found[1] if found else None

    def _location(self, server: Server, path: str) -> Rendered | None:
        """NGINX's choice among the rendered locations: regular expressions in order (every location
        of a regex host is one); else `=` exact, then the longest string prefix."""
        rendered = self.render(server)
        if server.regex:
            return next((r for r in rendered if _regex_matches(r.path, path)), None)
        exact = next((r for r in rendered if r.modifier == "=" and r.path == path), None)
        if exact is not None:
            return exact
        prefixes = [r for r in rendered if r.modifier == "" and path.startswith(r.path)]
        return max(prefixes, key=lambda r: len(r.path), default=None)

    def _slash_redirect(self, server: Server, probe: Probe) -> Outcome | None:
        """NGINX answers `/p` with 301 to `/p/` when a string-prefix location is `/p/` (every location
        proxies) and no location is `/p` itself."""
        path = probe.path
        rendered = self.render(server)
        if path == "/" or any(r.path == path for r in rendered):
            return None
        if any(r.modifier == "" and r.path == path + "/" for r in rendered):
            return Outcome(REDIRECT, code=301, location=f"{probe.scheme}://{probe.host}{path}/")
        return None

    def _default(self, server: Server, probe: Probe) -> Outcome:
        owner = server.default[0] if server.default else server.first
        redirect = self._ssl_redirect(server, owner, probe)
        if redirect is not None:
            return redirect
        if server.default is None:
            return Outcome(NO_ROUTE, detail="no path matches: controller default backend")
        view, backend = server.default
        if backend is None:
            return Outcome(NO_ROUTE, detail=f"default backend of {view.obj.display()} is not a Service")
        return backends_outcome([(backend, 1)], detail=f"default backend of {view.obj.display()}")

    def _ssl_redirect(self, server: Server, owner: IngressView | None, probe: Probe) -> Outcome | None:
        if probe.scheme != "http" or owner is None:
            return None
        notes = self.annotations(owner)
        forced = notes.flag("force-ssl-redirect")
        if forced or (server.tls and notes.flag("ssl-redirect", True)):
            path = probe.path
            if not notes.flag("preserve-trailing-slash") and path.endswith("/"):
                path = path[:-1]  # the controller's Lua redirect drops one trailing slash
            location = f"https://{probe.host}{path}"
            why = "force-ssl-redirect" if forced else "ssl-redirect"
            return Outcome(REDIRECT, code=SSL_REDIRECT_CODE, location=location, detail=why, loose_slash=True)
        return None

    def _serve(self, server: Server, rendered: Rendered, probe: Probe) -> Outcome:
        location = rendered.location
        notes = self.annotations(location.ingress)
        # `return` runs in NGINX's rewrite phase, before the Lua handler of the HTTPS redirect.
        temporal, permanent = notes.get("temporal-redirect"), notes.get("permanent-redirect")
        denied = notes.denied(self.types)
        if denied is not None:
            return Outcome(ERROR, detail=f"503: {denied.message()}")
        if temporal:
            return Outcome(REDIRECT, code=redirect_code(notes, "temporal"), location=temporal)
        if permanent:
            return Outcome(REDIRECT, code=redirect_code(notes, "permanent"), location=permanent)
        redirect = self._ssl_redirect(server, location.ingress, probe)
        if redirect is not None:
            return redirect
        backend = _pick(location, self.canary_for(location), probe)
        detail = f"{location.ingress.obj.display()} path {location.path} ({location.path_type})"
        if backend is None:
            return Outcome(NO_ROUTE, detail=f"{detail}: backend is not a Service")
        # A canary changes the upstream only: rewrites and headers are the main Ingress's.
        weighted = backend
        target = rewrites(notes, rendered.path)
        path = _rewrite(rendered.path, target, probe.path) if target else None
        headers = _upstream_headers(notes, rewriting=path is not None)
        return backends_outcome(weighted, path=path, headers=headers, detail=detail)


def _regex_matches(location_path: str, path: str) -> bool:
    compiled = _compile(f"^{location_path}")
    return compiled is not None and compiled.match(path) is not None


def _ordered(locations: list[Location]) -> list[Location]:
    """The controller's location order: longest path first, equal lengths in reverse lexical order."""
    ordered = sorted(locations, key=lambda loc: loc.path, reverse=True)
    ordered.sort(key=lambda loc: len(loc.path), reverse=True)
    return ordered


def _pick(location: Location, canary: Canary | None, probe: Probe) -> list[tuple[Backend, int]] | None:
    """The weighted backends of a location for this request, after the canary rules: header, then
    cookie, then weight."""
    main = location.backend
    only_main = [(main, 1)] if main is not None else None
    if canary is None or canary.backend is None:
        return only_main
    to_canary, rule = [(canary.backend, 1)], canary.rule
    value = probe.header(rule.header) if rule.header else None
    if value is not None:
        if rule.header_value:
            if value == rule.header_value:
                return to_canary
        elif rule.header_pattern:
            compiled = _compile(rule.header_pattern, ignore_case=False)
            if compiled is not None and compiled.search(value):
                return to_canary
        elif value in ("always", "never"):
            return to_canary if value == "always" else only_main
    cookie = _cookie(probe.header("cookie"), rule.cookie) if rule.cookie else None
    if cookie in ("always", "never"):
        return to_canary if cookie == "always" else only_main
    weight = min(rule.weight, rule.total)
    weighted = [(canary.backend, weight)]
    if main is not None:
        weighted.append((main, rule.total - weight))
    return weighted


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def rewrites(notes: AnnotationValues, location_path: str) -> str | None:
    """The rewrite target of a location: `rewrite-target` unless it equals the path (then the
    controller proxies unchanged and does not switch the host to regex matching)."""
    target = notes.get("rewrite-target")
    return target if target and target != location_path else None


def _rewrite(location_path: str, target: str, request_path: str) -> str | None:
    """`rewrite "(?i)<path>" <target> break;`: the whole URI becomes the target, with `$n` captures."""
    compiled = _compile(f"(?i){location_path}")
    match = compiled.search(request_path) if compiled else None
    if match is None:
        return None
    groups = match.groups()

    def group(found: re.Match[str]) -> str:
        index = int(found.group(1))
        return (groups[index - 1] or "") if 0 < index <= len(groups) else ""

    return _CAPTURE.sub(group, target)


def _upstream_headers(notes: AnnotationValues, rewriting: bool) -> dict[str, str]:
    """Request headers the location sets; `x-forwarded-prefix` only goes with a rewrite."""
    headers = {}
    for key, header in (
        ("upstream-vhost", "host"),
        ("x-forwarded-prefix", "x-forwarded-prefix"),
        ("connection-proxy-header", "connection"),
    ):
        value = notes.get(key)
        if value and (rewriting or key != "x-forwarded-prefix"):
            headers[header] = value
    return headers


def _is_catch_all(view: IngressView) -> bool:
    spec = view.ingress.spec
    return spec.default_backend is not None and not spec.rules


def tls_hosts(view: IngressView) -> set[str]:
    """Hosts the Ingress serves with a certificate; a `tls` entry without hosts covers its rule hosts."""
    hosts: set[str] = set()
    rule_hosts = {(r.host or CATCH_ALL).lower() for r in view.ingress.spec.rules}
    for entry in view.ingress.spec.tls:
        hosts |= {h.lower() for h in entry.hosts} if entry.hosts else rule_hosts
    return hosts


def _compile(pattern: str, ignore_case: bool = True) -> Pattern | None:
    """PCRE read on RE2 (bounded time); `Undecided` for what only a backtracking engine reads."""
    return compile_bounded(pattern, ignore_case)
