"""The Gateway API's own validation rules (the CRDs' CEL rules, v1.6.1), replicated so CI fails before
`kubectl apply` does. Each function returns a list of problems, one sentence each, with the field path.
Facts: reference gateway-api-semantics.md §8; the CRDs in config/crd/standard."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from kgov.model import gateway as gw

MAX_MATCHES = 128
_ONCE_PER_RULE = {
    "HTTPRoute": ("CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"),
    "GRPCRoute": ("RequestHeaderModifier", "ResponseHeaderModifier"),
}
_DURATION = re.compile(r"^(?:[0-9]{1,5}(?:h|m|s|ms)){1,4}$")
_DURATION_PART = re.compile(r"([0-9]{1,5})(h|ms|m|s)")
_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str) -> timedelta | None:
    """A Gateway API Duration (GEP-2257: `1h`, `10s`, `500ms`, `1m30s`); None when malformed."""
    if not _DURATION.match(value):
        return None
    return timedelta(seconds=sum(int(n) * _UNIT[u] for n, u in _DURATION_PART.findall(value)))


def route_problems(kind: str, route: gw.Route) -> list[str]:
    problems = _parent_ref_problems(route.spec.parent_refs)
    total = sum(len(rule.matches) for rule in route.spec.rules)
    if total >= MAX_MATCHES:
        problems.append(f"spec.rules: {total} matches in all; the API allows fewer than {MAX_MATCHES}")
    names = Counter(rule.name for rule in route.spec.rules if rule.name)
    problems += [f"spec.rules: rule name {name} is used {n} times" for name, n in names.items() if n > 1]
    for i, rule in enumerate(route.spec.rules):
        problems += [f"spec.rules[{i}]{p}" for p in _rule_problems(kind, rule)]
    return problems


def _parent_ref_problems(refs: list[gw.ParentReference]) -> list[str]:
    groups: dict[tuple[str, str, str | None, str], list[str | None]] = {}
    for ref in refs:
        groups.setdefault((ref.group, ref.kind, ref.namespace or None, ref.name), []).append(
            ref.section_name or None
        )
    problems = []
    for (_, kind, _, name), sections in groups.items():
        if len(sections) < 2:
            continue
        if None in sections and any(s is not None for s in sections):
            problems.append(f"spec.parentRefs: {kind} {name} is referenced with and without sectionName")
        elif len(set(sections)) < len(sections):
            problems.append(f"spec.parentRefs: {kind} {name} is referenced twice with the same sectionName")
    return problems


def _rule_problems(kind: str, rule: gw.RouteRule) -> list[str]:
    problems = [f".filters: {p}" for p in _filter_list_problems(kind, rule.filters)]
    for j, backend in enumerate(rule.backend_refs):
        if backend.is_service and backend.port is None:
            problems.append(f".backendRefs[{j}]: a Service backendRef must set port")
        problems += [f".backendRefs[{j}].filters: {p}" for p in _filter_list_problems(kind, backend.filters)]
    if kind != "HTTPRoute":
        return problems
    types = {f.type for f in rule.filters}
    if "RequestRedirect" in types and rule.backend_refs:
        problems.append(": a RequestRedirect filter cannot be combined with backendRefs")
    all_filters = [*rule.filters, *(f for b in rule.backend_refs for f in b.filters)]
    if any(_replaces_prefix(f) for f in all_filters) and not _one_prefix_match(rule):
        problems.append(": ReplacePrefixMatch needs exactly one match, of type PathPrefix")
    for k, match in enumerate(rule.matches):
        problems += [f".matches[{k}].path: {p}" for p in _path_problems(match.path)]
    problems += _timeout_problems(rule.timeouts)
    return problems


def _filter_list_problems(kind: str, filters: list[gw.RouteFilter]) -> list[str]:
    counts = Counter(f.type for f in filters)
    problems = [
        f"{t} appears {counts[t]} times; at most once" for t in _ONCE_PER_RULE.get(kind, ()) if counts[t] > 1
    ]
    if kind == "HTTPRoute" and counts["RequestRedirect"] and counts["URLRewrite"]:
        problems.append("RequestRedirect and URLRewrite cannot be combined")
    return problems


def _replaces_prefix(flt: gw.RouteFilter) -> bool:
    for block in (flt.request_redirect, flt.url_rewrite):
        path = block.get("path") if isinstance(block, dict) else None
        if isinstance(path, dict) and path.get("type") == "ReplacePrefixMatch":
            return True
    return False


def _one_prefix_match(rule: gw.RouteRule) -> bool:
    if len(rule.matches) != 1:
        # No matches at all defaults to one PathPrefix "/" match.
        return not rule.matches
    path = rule.matches[0].path
    return path is None or path.type == "PathPrefix"


def _path_problems(path: gw.PathMatch | None) -> list[str]:
    if path is None or path.type not in ("Exact", "PathPrefix"):
        return []
    value = path.value
    if not value.startswith("/"):
        return [f"{path.type} value {value!r} must start with '/'"]
    bad = [part for part in ("//", "/./", "/../", "%2f", "%2F", "#") if part in value]
    problems = [f"{path.type} value {value!r} must not contain {part!r}" for part in bad]
    if value.endswith(("/..", "/.")):
        problems.append(f"{path.type} value {value!r} must not end with '/.' or '/..'")
    if not _PATH_CHARS.match(value):
        problems.append(f"{path.type} value {value!r} has characters a path may not hold")
    return problems


def _timeout_problems(timeouts: gw.Timeouts | None) -> list[str]:
    if timeouts is None:
        return []
    parsed = {}
    problems = []
    for name, value in (("request", timeouts.request), ("backendRequest", timeouts.backend_request)):
        if value is None:
            continue
        parsed[name] = parse_duration(value)
        if parsed[name] is None:
            problems.append(f".timeouts.{name}: {value!r} is not a duration like 10s, 500ms or 1m30s")
    request, backend = parsed.get("request"), parsed.get("backendRequest")
    if request and backend and backend > request:
        problems.append(
            f".timeouts: backendRequest {timeouts.backend_request} is longer than request {timeouts.request}"
        )
    return problems


# ---- Gateway listeners --------------------------------------------------------------------------

MAX_LISTENERS = 64  # Gateway and ListenerSet spec.listeners maxItems (Gateway API v1.6.1 CRDs)


def listener_problems(listeners: list[gw.Listener], *, pairwise: bool = True) -> list[Conflict]:
    """CEL rules on `spec.listeners`, and with `pairwise` the distinctness rules behind `Conflicted`
    (within a Gateway every listener of an indistinct pair is conflicted)."""
    problems = []
    if len(listeners) > MAX_LISTENERS:
        over = tuple(listener.name for listener in listeners[MAX_LISTENERS:])
        message = (
            f"{len(listeners)} listeners: the CRD allows at most {MAX_LISTENERS} (spec.listeners maxItems)"
        )
        problems.append(Conflict(message, over))
    names = Counter(listener.name for listener in listeners)
    problems += [Conflict(f"listener name {n} is used {c} times", (n,)) for n, c in names.items() if c > 1]
    for listener in listeners:
        problems += [Conflict(p, (listener.name,)) for p in _listener_shape(listener)]
    return problems + (conflicts_between(listeners, listeners) if pairwise else [])


def merge_conflicts(listeners: list[gw.Listener], taken: list[gw.Listener]) -> list[Conflict]:
    """A ListenerSet's listeners merged after those that take precedence (the parent Gateway's, then
    earlier ListenerSets' accepted ones, in `taken`): each one that conflicts with a listener already in
    is left out; the others are appended to `taken`."""
    problems = []
    for listener in listeners:
        found = conflicts_between([listener], taken)
        if found:
            problems.append(found[0])
        else:
            taken.append(listener)
    return problems


@dataclass(frozen=True, slots=True)
class Conflict:
    """A listener problem and the listeners it takes out of service."""

    message: str
    listeners: tuple[str, ...]


def conflicts_between(listeners: list[gw.Listener], earlier: list[gw.Listener]) -> list[Conflict]:
    """Conflicts of each listener with the listeners before it (in `earlier`, which may be the same
    list: then each pair is reported once). Listeners on one port must be distinct: within HTTP, or
    within HTTPS/TLS, by hostname; HTTP never beside HTTPS/TLS; TCP never beside HTTP, HTTPS or TLS;
    TCP or UDP alone for its transport. A Gateway has at most 64 listeners, so pairs stay few."""
    same = listeners is earlier
    by_port: dict[int, list[gw.Listener]] = {}
    for listener in earlier:
        if listener.port is not None:
            by_port.setdefault(listener.port, []).append(listener)
    position = {id(listener): i for i, listener in enumerate(listeners)}
    problems = []
    for i, listener in enumerate(listeners):
        rivals = by_port.get(listener.port, []) if listener.port is not None else []
        for rival in rivals:
            if rival is listener or (same and position[id(rival)] > i):
                continue
            reason = _conflict(listener, rival)
            if reason:
                # Within one object both listeners are conflicted; against an earlier object (the parent
                # Gateway, a ListenerSet that precedes) only the later one is.
                out = (rival.name, listener.name) if same else (listener.name,)
                problems.append(
                    Conflict(
                        f"port {listener.port}: listeners {rival.name} and {listener.name} {reason}", out
                    )
                )
    return problems


def _listener_shape(listener: gw.Listener) -> list[str]:
    name, protocol, tls = listener.name, listener.protocol, listener.tls
    if protocol in ("HTTP", "TCP", "UDP") and tls is not None:
        return [f"listener {name}: tls must not be set for protocol {protocol}"]
    if protocol == "HTTPS" and tls is not None and tls.mode not in (None, "", "Terminate"):
        return [f"listener {name}: tls mode must be Terminate for HTTPS"]
    if protocol == "TLS" and (tls is None or not tls.mode):
        return [f"listener {name}: a TLS listener must set tls.mode"]
    if protocol in ("TCP", "UDP") and listener.hostname:
        return [f"listener {name}: hostname must not be set for protocol {protocol}"]
    return []


_FAMILY = {"HTTP": "http", "HTTPS": "tls", "TLS": "tls", "TCP": "tcp", "UDP": "udp"}


def _conflict(a: gw.Listener, b: gw.Listener) -> str | None:
    fa, fb = _FAMILY.get(a.protocol), _FAMILY.get(b.protocol)
    if fa is None or fb is None:
        return None  # implementation-specific protocols: the implementation decides
    if {fa, fb} == {"http", "tls"} or ("tcp" in (fa, fb) and {fa, fb} & {"http", "tls"}):
        return f"mix {b.protocol} and {a.protocol} on one port (ProtocolConflict)"
    if fa != fb:
        return None
    if fa in ("tcp", "udp"):
        return f"are both {a.protocol} on one port (ProtocolConflict)"
    if (a.hostname or "") == (b.hostname or ""):
        return f"serve the same hostname {a.hostname or '(any)'} (HostnameConflict)"
    return None
