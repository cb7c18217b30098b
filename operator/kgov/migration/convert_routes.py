"""Route rules from Ingress paths: matches, backendRefs with canary weights and header rules, filters,
grouped into rules and split to stay within the Gateway API limits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kgov.migration.convert_annotations import Intent, valid_path
from kgov.migration.values import CanaryRule
from kgov.model import networking as net

MAX_RULES, MAX_MATCHES_PER_RULE, MAX_MATCHES_PER_ROUTE = 16, 64, 127
_GRPC_SERVICE = re.compile(r"^\.?[a-zA-Z_][a-zA-Z_0-9]*(\.[a-zA-Z_][a-zA-Z_0-9]*)*$")
_GRPC_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


@dataclass(slots=True)
class Entry:
    """One match and what it leads to; entries with the same outcome share a rule."""

    match: dict[str, Any]
    backends: list[dict[str, Any]]
    filters: list[dict[str, Any]]
    timeouts: dict[str, str] | None = None

    def outcome(self) -> str:
        return json.dumps([self.backends, self.filters, self.timeouts], sort_keys=True)


def http_path_match(path: str | None, path_type: str | None, regex: bool) -> dict[str, Any] | None:
    """The HTTPRoute path match for an Ingress path, or None when Gateway API cannot express it."""
    value = path or "/"
    if regex:  # every location of a regex host, Exact ones too, is `~* "^path"` (buildLocation)
        pattern = value if value.endswith("$") else f"{value}.*"
        return {"type": "RegularExpression", "value": f"(?i){pattern}"}
    if path_type == "Exact":
        return {"type": "Exact", "value": value} if valid_path(value) else None
    return {"type": "PathPrefix", "value": value} if valid_path(value) else None


def grpc_method_match(path: str | None) -> dict[str, Any] | None:
    """`/` → every method; `/pkg.Service` → that service; `/pkg.Service/Method` → that method."""
    parts = [p for p in (path or "/").split("/") if p]
    if not parts:
        return {}
    if len(parts) > 2 or not _GRPC_SERVICE.match(parts[0]):
        return None
    method: dict[str, Any] = {"type": "Exact", "service": parts[0]}
    if len(parts) == 2:
        if not _GRPC_METHOD.match(parts[1]):
            return None
        method["method"] = parts[1]
    return {"method": method}


def http_filters(intent: Intent, path: str | None = None) -> list[dict[str, Any]]:
    """The filters of one path's rule; ingress-nginx skips a rewrite-target equal to the path."""
    filters: list[dict[str, Any]] = []
    if intent.request_headers:
        filters.append(
            _header_filter("RequestHeaderModifier", "requestHeaderModifier", intent.request_headers)
        )
    if intent.response_headers:
        filters.append(
            _header_filter("ResponseHeaderModifier", "responseHeaderModifier", intent.response_headers)
        )
    rewrite: dict[str, Any] = {}
    if intent.rewrite_host:
        rewrite["hostname"] = intent.rewrite_host
    if intent.rewrite_path and intent.rewrite_path != path:
        rewrite["path"] = {"type": "ReplaceFullPath", "replaceFullPath": intent.rewrite_path}
    if rewrite:
        filters.append({"type": "URLRewrite", "urlRewrite": rewrite})
    if intent.cors:
        filters.append({"type": "CORS", "cors": intent.cors})
    return filters


def grpc_filters(intent: Intent) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    headers = dict(intent.request_headers)
    if intent.rewrite_host:
        headers["Host"] = intent.rewrite_host
    if headers:
        filters.append(_header_filter("RequestHeaderModifier", "requestHeaderModifier", headers))
    if intent.response_headers:
        filters.append(
            _header_filter("ResponseHeaderModifier", "responseHeaderModifier", intent.response_headers)
        )
    return filters


def _header_filter(kind: str, field_name: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"type": kind, field_name: {"set": [{"name": k, "value": v} for k, v in headers.items()]}}


def redirect_filter(redirect: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "RequestRedirect", "requestRedirect": redirect}]


def with_canary(
    match: dict[str, Any],
    primary: dict[str, Any],
    canary: tuple[dict[str, Any], CanaryRule] | None,
    filters: list[dict[str, Any]],
    timeouts: dict[str, str] | None,
) -> list[Entry]:
    """Entries for one path: header and cookie canary rules first, then the weighted split."""
    if canary is None:
        return [Entry(match, [primary], filters, timeouts)]
    backend, spec = canary
    entries = []

    def add(header: dict[str, Any], target: dict[str, Any]) -> None:
        entries.append(Entry({**match, "headers": [header]}, [target], filters, timeouts))

    if spec.header:
        if spec.header_value:
            add({"type": "Exact", "name": spec.header, "value": spec.header_value}, backend)
        elif spec.header_pattern:
            add({"type": "RegularExpression", "name": spec.header, "value": spec.header_pattern}, backend)
        else:
            add({"type": "Exact", "name": spec.header, "value": "always"}, backend)
            add({"type": "Exact", "name": spec.header, "value": "never"}, primary)
    if spec.cookie:
        cookie = re.escape(spec.cookie)
        add(
            {"type": "RegularExpression", "name": "Cookie", "value": f"(^|.*;\\s*){cookie}=always(;.*|$)"},
            backend,
        )
        add(
            {"type": "RegularExpression", "name": "Cookie", "value": f"(^|.*;\\s*){cookie}=never(;.*|$)"},
            primary,
        )
    weight = min(spec.weight, spec.total)
    if weight <= 0:
        split = [primary]
    elif weight >= spec.total:
        split = [backend]
    else:
        split = [{**primary, "weight": spec.total - weight}, {**backend, "weight": weight}]
    entries.append(Entry(match, split, filters, timeouts))
    return entries


def group_rules(entries: list[Entry]) -> list[list[dict[str, Any]]]:
    """Rules for one route's entries, split into as many routes as the limits need."""
    grouped: dict[str, tuple[Entry, list[dict[str, Any]]]] = {}
    for entry in entries:
        _, matches = grouped.setdefault(entry.outcome(), (entry, []))
        if entry.match not in matches:
            matches.append(entry.match)
    rules = []
    for entry, matches in grouped.values():
        for start in range(0, len(matches), MAX_MATCHES_PER_RULE):
            rules.append(_rule(entry, matches[start : start + MAX_MATCHES_PER_RULE]))
    routes: list[list[dict[str, Any]]] = [[]]
    count = 0
    for rule in rules:
        size = len(rule.get("matches", [])) or 1
        if len(routes[-1]) == MAX_RULES or count + size > MAX_MATCHES_PER_ROUTE:
            routes.append([])
            count = 0
        routes[-1].append(rule)
        count += size
    return [r for r in routes if r]


def _rule(entry: Entry, matches: list[dict[str, Any]]) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    kept = [m for m in matches if m]
    if kept:
        rule["matches"] = kept
    if entry.filters:
        rule["filters"] = entry.filters
    if entry.backends:
        rule["backendRefs"] = entry.backends
    if entry.timeouts:
        rule["timeouts"] = entry.timeouts
    return rule


def as_http_match(match: dict[str, Any]) -> dict[str, Any]:
    """The path part of a route match; gRPC methods become the HTTP/2 paths they are sent on."""
    if "path" in match:
        return {"path": match["path"]}
    method = match.get("method")
    if not method:
        return {"path": {"type": "PathPrefix", "value": "/"}}
    if "method" in method:
        return {"path": {"type": "Exact", "value": f"/{method['service']}/{method['method']}"}}
    return {"path": {"type": "PathPrefix", "value": f"/{method['service']}"}}


def trailing_slash_redirects(paths: list[net.IngressPath], regex: bool) -> list[Entry]:
    """NGINX answers `/a` with a 301 to `/a/` when only the prefix `/a/` is defined."""
    if regex:
        return []
    defined = {p.path or "/" for p in paths}
    entries = []
    for path in paths:
        value = path.path or "/"
        bare = value.rstrip("/")
        if path.path_type == "Exact" or value == bare or not bare or bare in defined or not valid_path(bare):
            continue
        to_slash = {"path": {"type": "ReplaceFullPath", "replaceFullPath": value}, "statusCode": 301}
        entries.append(Entry({"path": {"type": "Exact", "value": bare}}, [], redirect_filter(to_slash)))
    return entries
