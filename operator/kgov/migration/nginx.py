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
from collections.abc import Iterable
from dataclasses import dataclass, field

from kgov.domain.annotations import NGINX_PREFIX
from kgov.inventory.network import IngressView, Network
from kgov.migration.outcome import (
    NO_ROUTE,
    PASSTHROUGH,
    REDIRECT,
    Backend,
    Outcome,
    Probe,
    backends_outcome,
)
from kgov.model import networking as net
from kgov.regex import Pattern, compile_bounded

CATCH_ALL = ""
SSL_REDIRECT_CODE = 308  # the controller ConfigMap's `http-redirect-code` default
_CAPTURE = re.compile(r"\$(\d+)")


@dataclass(slots=True)
class Canary:
    ingress: IngressView
    backend: Backend | None
    weight: int
    total: int
    header: str | None
    header_value: str | None
    header_pattern: str | None
    cookie: str | None


@dataclass(slots=True)
class Location:
    path: str
    path_type: str  # Exact | Prefix | ImplementationSpecific
    ingress: IngressView
    backend: Backend | None
    canary: Canary | None = None

    def matches(self, path: str, regex: bool) -> bool:
        if regex:
            compiled = _compile(f"^{self.path}")
            return compiled is not None and compiled.match(path) is not None
        if self.path_type == "Exact":
            return path == self.path
        if self.path_type == "Prefix":
            base = self.path.rstrip("/")
            return path == base or path.startswith(base + "/") or (base == "" and path.startswith("/"))
        return path.startswith(self.path)


@dataclass(slots=True)
class Server:
    host: str
    locations: list[Location] = field(default_factory=list)
    default: tuple[IngressView, Backend | None] | None = None
    regex: bool = False
    tls: bool = False
    first: IngressView | None = None  # the oldest Ingress of the host: server-level settings
    passthrough: tuple[IngressView, Backend | None] | None = None


class Annotations:
    """The ingress-nginx annotations of one Ingress, under the prefix in use."""

    def __init__(self, view: IngressView, prefix: str) -> None:
        self.values = {
            key[len(prefix) :]: value for key, value in view.obj.annotations.items() if key.startswith(prefix)
        }

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value.strip() if isinstance(value, str) else None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key)
        return default if value is None else value.lower() == "true"

    def number(self, key: str, default: int) -> int:
        value = self.get(key)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default


def ingress_order(view: IngressView) -> tuple[str, str, str]:
    """The controller handles Ingresses oldest first; files carry no creation time, then by name."""
    metadata = view.obj.raw.get("metadata")
    created = metadata.get("creationTimestamp") if isinstance(metadata, dict) else None
    return (str(created or ""), view.obj.namespace or "", view.obj.name)


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


class NginxModel:
    """The servers of one ingress class."""

    def __init__(
        self, ingresses: Iterable[IngressView], network: Network, prefix: str = NGINX_PREFIX
    ) -> None:
        self.prefix = prefix
        self.network = network
        self.servers: dict[str, Server] = {}
        ordered = sorted(ingresses, key=ingress_order)
        canaries = []
        for view in ordered:
            if Annotations(view, prefix).flag("canary"):
                canaries.append(view)
            else:
                self._add(view)
        for view in canaries:
            self._add_canary(view)
        self._wildcards = sorted((h for h in self.servers if h.startswith("*.")), key=len, reverse=True)

    def annotations(self, view: IngressView) -> Annotations:
        return Annotations(view, self.prefix)

    # ---- building -----------------------------------------------------------------------------

    def _server(self, host: str, view: IngressView) -> Server:
        server = self.servers.get(host)
        if server is None:
            server = self.servers[host] = Server(host, first=view)
        return server

    def _add(self, view: IngressView) -> None:
        spec = view.ingress.spec
        notes = self.annotations(view)
        default = service_backend(view, spec.default_backend, self.network) if spec.default_backend else None
        if spec.default_backend is not None and not spec.rules:
            server = self._server(CATCH_ALL, view)
            if server.default is None:
                server.default = (view, default)
        secure = tls_hosts(view)
        for rule in spec.rules:
            host = (rule.host or CATCH_ALL).lower()
            server = self._server(host, view)
            if spec.default_backend is not None and server.default is None:
                server.default = (view, default)
            if host in secure:
                server.tls = True
            paths = rule.http.paths if rule.http else []
            if notes.flag("use-regex") or any(rewrites(notes, p.path or "/") for p in paths):
                server.regex = True
            if notes.flag("ssl-passthrough") and server.passthrough is None and paths:
                root = next((p for p in paths if (p.path or "/") == "/"), paths[0])
                server.passthrough = (view, service_backend(view, root.backend, self.network))
            taken = {(loc.path, loc.path_type) for loc in server.locations}
            for path in paths:
                key = (path.path or "/", path.path_type or "ImplementationSpecific")
                if key in taken:
                    continue  # the older Ingress keeps the location
                taken.add(key)
                backend = service_backend(view, path.backend, self.network)
                server.locations.append(Location(key[0], key[1], view, backend))

    def _add_canary(self, view: IngressView) -> None:
        notes = self.annotations(view)
        for rule in view.ingress.spec.rules:
            server = self.servers.get((rule.host or CATCH_ALL).lower())
            for path in rule.http.paths if rule.http and server else []:
                assert server is not None
                location = next(
                    (
                        loc
                        for loc in server.locations
                        if loc.path == (path.path or "/") and loc.canary is None
                    ),
                    None,
                )
                if location is None:
                    continue  # the controller ignores a canary without a main location
                location.canary = Canary(
                    view,
                    service_backend(view, path.backend, self.network),
                    weight=max(notes.number("canary-weight", 0), 0),
                    total=max(notes.number("canary-weight-total", 100), 1),
                    header=notes.get("canary-by-header"),
                    header_value=notes.get("canary-by-header-value"),
                    header_pattern=notes.get("canary-by-header-pattern"),
                    cookie=notes.get("canary-by-cookie"),
                )

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

    def _app_root(self, server: Server) -> str | None:
        """`app-root` is written at server level, before every location, once per location that has
        it (locations longest first, the root location last): the first one answers `/`."""
        owners = [loc.ingress for loc in _ordered(server.locations)]
        if server.first is not None:
            owners.append(server.first)
        return next((root for view in owners if (root := self.annotations(view).get("app-root"))), None)

    def _location(self, server: Server, path: str) -> Location | None:
        if server.regex:
            return next((loc for loc in _ordered(server.locations) if loc.matches(path, True)), None)
        exact = next((loc for loc in server.locations if loc.path_type == "Exact" and loc.path == path), None)
        if exact is not None:
            return exact
        prefixes = [loc for loc in server.locations if loc.path_type != "Exact" and loc.matches(path, False)]
        return max(prefixes, key=lambda loc: len(loc.path.rstrip("/") or "/"), default=None)

    def _slash_redirect(self, server: Server, probe: Probe) -> Outcome | None:
        """NGINX answers `/foo` with 301 to `/foo/` when a prefix location is `/foo/` and no location
        is `/foo` itself (an Exact one, or a Prefix one, which the controller splits into `= /foo`
        and `/foo/`, or a plain string prefix)."""
        path = probe.path
        if path == "/" or any(loc.path == path for loc in server.locations):
            return None
        if any(loc.path_type != "Exact" and loc.path == path + "/" for loc in server.locations):
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

    def _serve(self, server: Server, location: Location, probe: Probe) -> Outcome:
        notes = self.annotations(location.ingress)
        # `return` runs in NGINX's rewrite phase, before the Lua handler of the HTTPS redirect.
        temporal, permanent = notes.get("temporal-redirect"), notes.get("permanent-redirect")
        if temporal:
            return Outcome(REDIRECT, code=notes.number("temporal-redirect-code", 302), location=temporal)
        if permanent:
            return Outcome(REDIRECT, code=notes.number("permanent-redirect-code", 301), location=permanent)
        redirect = self._ssl_redirect(server, location.ingress, probe)
        if redirect is not None:
            return redirect
        backend = _pick(location, probe)
        detail = f"{location.ingress.obj.display()} path {location.path} ({location.path_type})"
        if backend is None:
            return Outcome(NO_ROUTE, detail=f"{detail}: backend is not a Service")
        # A canary changes the upstream only: rewrites and headers are the main Ingress's.
        weighted = backend
        target = rewrites(notes, location.path)
        path = _rewrite(location.path, target, probe.path) if target else None
        headers = _upstream_headers(notes, rewriting=path is not None)
        return backends_outcome(weighted, path=path, headers=headers, detail=detail)


def _ordered(locations: list[Location]) -> list[Location]:
    """The controller's location order: longest path first, equal lengths in reverse lexical order."""
    ordered = sorted(locations, key=lambda loc: loc.path, reverse=True)
    ordered.sort(key=lambda loc: len(loc.path), reverse=True)
    return ordered


def _pick(location: Location, probe: Probe) -> list[tuple[Backend, int]] | None:
    """The weighted backends of a location for this request, after the canary rules: header, then
    cookie, then weight."""
    main, canary = location.backend, location.canary
    only_main = [(main, 1)] if main is not None else None
    if canary is None or canary.backend is None:
        return only_main
    to_canary = [(canary.backend, 1)]
    value = probe.header(canary.header) if canary.header else None
    if value is not None:
        if canary.header_value:
            if value == canary.header_value:
                return to_canary
        elif canary.header_pattern:
            compiled = _compile(canary.header_pattern, ignore_case=False)
            if compiled is not None and compiled.search(value):
                return to_canary
        elif value in ("always", "never"):
            return to_canary if value == "always" else only_main
    cookie = _cookie(probe.header("cookie"), canary.cookie) if canary.cookie else None
    if cookie in ("always", "never"):
        return to_canary if cookie == "always" else only_main
    weight = min(canary.weight, canary.total)
    weighted = [(canary.backend, weight)]
    if main is not None:
        weighted.append((main, canary.total - weight))
    return weighted


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def rewrites(notes: Annotations, location_path: str) -> str | None:
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


def _upstream_headers(notes: Annotations, rewriting: bool) -> dict[str, str]:
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
