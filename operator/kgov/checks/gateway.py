"""Gateway API checks (`category: gateway`). Static rules run on files so CI fails before `kubectl
apply`; live rules read the conditions controllers write. Facts: reference gateway-api-semantics.md."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from datetime import timedelta
from functools import cache
from typing import Any, Final

from kgov.checks import fields, gateway_cel, gateway_schema
from kgov.checks.gateway_rules import Conflict, listener_problems, merge_conflicts, route_problems
from kgov.checks.params import GraceParams, NoParams, RouteCountParams
from kgov.checks.registry import CheckContext, CheckFunction, Issue, Undecided
from kgov.data import data_yaml
from kgov.domain.attachment import (
    Acceptance,
    Attachment,
    attachments,
    listener_set_admission,
    route_kind_problem,
)
from kgov.findings.model import Severity
from kgov.inventory.network import (
    ControllerView,
    GatewayClassView,
    GatewayView,
    ListenerSetView,
    Network,
    Objects,
    RouteView,
)
from kgov.inventory.scope import Knowledge
from kgov.model import gateway as gw
from kgov.model.evidence import EvidenceSource

RouteCheck = Callable[[RouteView, CheckContext[NoParams]], Iterator[Issue | Undecided]]


def _parents(route: RouteView) -> list[gw.RouteParentStatus]:
    return route.route.status.parents


def _failing(route: RouteView, kind: str, status: str = "False") -> list[dict[str, Any]]:
    found = []
    for parent in _parents(route):
        cond = gw.condition(parent.conditions, kind)
        if cond is not None and cond.status == status:
            found.append(
                {
                    "parentRef": parent.parent_ref.display(),
                    "controller": parent.controller_name,
                    "reason": cond.reason,
                    "message": cond.message,
                }
            )
    return found


# ---- gateway.route-not-accepted (live) ---------------------------------------------------------


def route_not_accepted(route: RouteView, context: CheckContext[GraceParams]) -> Iterator[Issue]:
    params: GraceParams = context.params
    refused = _failing(route, "Accepted")
    if refused:
        first = refused[0]
        yield Issue(
            f"{route.obj.display()} is not accepted by {first['parentRef']} ({first['reason']}): "
            "traffic for it is not routed there",
            {"parents": refused, "source": EvidenceSource.STATUS},
            path=("spec", "parentRefs"),
        )
        return
    created = route.obj.created
    if not _parents(route) and created and context.now - created > timedelta(minutes=params.grace_minutes):
        yield Issue(
            f"{route.obj.display()} has no status from any controller after {params.grace_minutes} "
            "minutes: it is attached to nothing (no controller serves its parents)",
            {
                "parentRefs": [r.display() for r in route.route.spec.parent_refs],
                "source": EvidenceSource.STATUS,
            },
            path=("spec", "parentRefs"),
        )


# ---- gateway.unresolved-refs -------------------------------------------------------------------


_UNKNOWN_SERVICE = Undecided(
    "backendRef to a Service not in the input", "backendRefs to Services not in the input"
)
_UNKNOWN_KIND = Undecided(
    "reference to a kind no CustomResourceDefinition in the input defines",
    "references to kinds no CustomResourceDefinition in the input defines",
)
# The core kinds each reference may name: the core group is closed, so another core kind is invalid
# (InvalidKind, InvalidCertificateRef, InvalidCACertificateKind); other groups need their CRD.
_BACKEND_KINDS = frozenset({"Service"})
_CERTIFICATE_KINDS = frozenset({"Secret"})
_CA_KINDS = frozenset({"ConfigMap", "Secret"})


def unresolved_refs(
    subject: RouteView | GatewayView | ListenerSetView, context: CheckContext[NoParams]
) -> Iterator[Issue | Undecided]:
    if not isinstance(subject, RouteView):
        yield from _invalid_listener_refs(subject, context)
        return
    missing, undecided = _missing_backends(subject, context.inventory.network)
    yield from undecided
    unresolved = _failing(subject, "ResolvedRefs") if context.inventory.live else []
    if not missing and not unresolved:
        return
    what = missing[0]["problem"] if missing else f"ResolvedRefs=False ({unresolved[0]['reason']})"
    yield Issue(
        f"{subject.obj.display()} has backend references that do not resolve ({what}): requests for "
        "those backends get HTTP 500",
        {
            "backends": missing,
            "parents": unresolved,
            "source": EvidenceSource.STATUS if unresolved else EvidenceSource.SPEC,
        },
        path=("spec", "rules"),
    )


def _kind_problem(inventory: Objects, group: str, kind: str, core: frozenset[str]) -> str | Undecided | None:
    """Why a reference's group and kind name nothing it may point at, if they do not."""
    if group == "":
        return None if kind in core else f"kind {kind} cannot be referenced here"
    known = inventory.kind_knowledge(group, kind)
    if known is Knowledge.UNKNOWN:
        return _UNKNOWN_KIND
    return None if known is Knowledge.PRESENT else f"no kind {kind} in API group {group}"


def _invalid_listener_refs(
    subject: GatewayView | ListenerSetView, context: CheckContext[Any]
) -> Iterator[Issue | Undecided]:
    inventory = context.inventory
    problems = [
        {"listener": listener.name, "problem": problem}
        for listener in subject.listeners
        for kind in listener.allowed_routes.kinds
        if (problem := route_kind_problem(listener, kind.group, kind.kind))
    ]
    refs: list[tuple[str, gw.SecretObjectReference, frozenset[str]]] = [
        (listener.name, ref, _CERTIFICATE_KINDS)
        for listener in subject.listeners
        if listener.tls
        for ref in listener.tls.certificate_refs
    ]
    if isinstance(subject, GatewayView):
        refs += [
            (
                ", ".join(names) or "(backend client certificate)",
                ref,
                _CERTIFICATE_KINDS if port is None else _CA_KINDS,
            )
            for (ref, port), (_, names) in zip(
                subject.gateway.spec.tls_refs(), _tls_refs_by_listener(subject), strict=True
            )
        ]
    for where, ref, core in refs:
        verdict = _kind_problem(inventory, ref.group, ref.kind, core)
        if isinstance(verdict, Undecided):
            yield verdict
        elif verdict is not None:
            problems.append({"listener": where, "problem": f"{verdict} ({ref.name})"})
    if inventory.live:
        problems += [
            {"listener": name, "problem": f"ResolvedRefs=False ({reason})"}
            for name, reason in _listener_conditions(subject, "ResolvedRefs", "False")
        ]
    if problems:
        first = problems[0]
        yield Issue(
            f"{subject.obj.display()}: listener {first['listener']} has references that do not resolve "
            f"({first['problem']})",
            {"listeners": problems, "source": EvidenceSource.SPEC},
            path=fields.named_item(subject.obj.raw.get("spec") or {}, "listeners", first["listener"]),
        )


def _missing_backends(route: RouteView, network: Network) -> tuple[list[dict[str, Any]], list[Undecided]]:
    problems: list[dict[str, Any]] = []
    undecided: list[Undecided] = []
    inventory = network.inventory
    for ref in route.route.backend_refs():
        namespace = ref.namespace or route.obj.namespace
        where = f"{namespace}/{ref.name}" if namespace else ref.name
        if not ref.is_service:
            problem = _kind_problem(inventory, ref.group, ref.kind, _BACKEND_KINDS)
            if isinstance(problem, Undecided):
                undecided.append(problem)
            elif problem is not None:
                problems.append({"backendRef": where, "problem": problem})
            continue
        service = network.service(namespace, ref.name, route.obj)
        if service is None:
            if inventory.complete("Service", namespace):
                problems.append({"backendRef": where, "problem": f"Service {where} does not exist"})
            else:
                undecided.append(_UNKNOWN_SERVICE)
        elif ref.port is not None and service.service.port(number=ref.port) is None:
            ports = [p.port for p in service.service.spec.ports]
            problems.append(
                {"backendRef": where, "problem": f"Service {where} has no port {ref.port}", "ports": ports}
            )
    return problems, undecided


def _listener_conditions(
    subject: GatewayView | ListenerSetView, kind: str, status: str
) -> list[tuple[str, str | None]]:
    """(listener, reason) for each listener whose live condition `kind` has this status."""
    holder = subject.gateway.status if isinstance(subject, GatewayView) else subject.listener_set.status
    found = []
    for entry in holder.listeners:
        cond = gw.condition(entry.conditions, kind)
        if cond is not None and cond.status == status:
            found.append((entry.name, cond.reason))
    return found


# ---- gateway.partially-invalid (live) ----------------------------------------------------------


def partially_invalid(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    found = _failing(route, "PartiallyInvalid", status="True")
    if found:
        yield Issue(
            f"{route.obj.display()} is partially invalid on {found[0]['parentRef']}: the controller "
            "dropped some of its rules",
            {"parents": found, "source": EvidenceSource.STATUS},
            path=("spec", "rules"),
        )


# ---- gateway.parent-not-found, listener-not-allowed, hostname-mismatch (static) ----------------


_UNKNOWN_PARENT = Undecided(
    "parentRef to a Gateway or ListenerSet not in the input",
    "parentRefs to Gateways or ListenerSets not in the input",
)
_UNKNOWN_ADMISSION = Undecided(
    "attachment that depends on a Namespace not in the input (its labels, or where the route is applied)",
    "attachments that depend on Namespaces not in the input (their labels, or where routes are applied)",
)


def _attachment_issue(
    route: RouteView, network: Network, refusals: AbstractSet[Acceptance], what: str
) -> Iterator[Issue | Undecided]:
    found = attachments(route, network)
    failed: list[Attachment] = [a for a in found if a.acceptance in refusals]
    # Each unknown attachment is counted once: by parent-not-found when the parent is unknown, by
    # listener-not-allowed when admission is.
    for attachment in found:
        if attachment.acceptance is Acceptance.UNKNOWN and (attachment.parent is None) == (
            Acceptance.PARENT_NOT_FOUND in refusals
        ):
            yield _UNKNOWN_PARENT if attachment.parent is None else _UNKNOWN_ADMISSION
    if failed:
        yield Issue(
            f"{route.obj.display()} {what} {failed[0].ref.display()}: {failed[0].detail}",
            {"parents": [a.evidence() for a in failed], "source": EvidenceSource.SPEC},
            path=("spec", "parentRefs", found.index(failed[0])),
        )


def attachment_refused(refusals: AbstractSet[Acceptance], what: str) -> RouteCheck:
    """The check of routes refused by a parent for one of `refusals`, `what` saying how."""

    def check(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
        yield from _attachment_issue(route, context.inventory.network, refusals, what)

    return check


def listener_not_allowed(
    subject: RouteView | ListenerSetView, context: CheckContext[NoParams]
) -> Iterator[Issue | Undecided]:
    network = context.inventory.network
    if isinstance(subject, RouteView):
        yield from _attachment_issue(subject, network, {Acceptance.NOT_ALLOWED}, "is refused by")
    elif listener_set_admission(subject, network) is Acceptance.NOT_ALLOWED:
        parent = network.listener_set_parent(subject)
        yield Issue(
            f"{subject.obj.display()} is not admitted by {parent.obj.display() if parent else 'its parent'}: "
            "its allowedListeners (default: none) do not include this namespace, so none of its "
            "listeners is served",
            {"parent": parent.obj.display() if parent else None, "source": EvidenceSource.SPEC},
            path=("spec", "parentRef"),
        )


# ---- gateway.missing-reference-grant -----------------------------------------------------------


_UNKNOWN_GRANTS = Undecided(
    "cross-namespace reference to a namespace whose ReferenceGrants are not in the input",
    "cross-namespace references to namespaces whose ReferenceGrants are not in the input",
)


def missing_reference_grant(
    subject: RouteView | GatewayView | ListenerSetView, context: CheckContext[NoParams]
) -> Iterator[Issue | Undecided]:
    network = context.inventory.network
    namespace = subject.obj.namespace
    if namespace is None:
        return  # the referrer's namespace is wherever it is applied: cross-namespace is unknowable
    refs: list[tuple[gw.BackendRef | gw.SecretObjectReference, list[str]]]
    if isinstance(subject, RouteView):
        refs = [(ref, []) for ref in subject.route.backend_refs()]
    else:
        refs = [
            (ref, [listener.name])
            for listener in subject.listeners
            if listener.tls
            for ref in listener.tls.certificate_refs
        ]
        if isinstance(subject, GatewayView):
            refs += _tls_refs_by_listener(subject)
    ungranted = []
    for ref, listeners in refs:
        target = ref.namespace
        if target is None or target == namespace:
            continue
        if network.grant_allows(subject.obj.kind, namespace, target, ref):
            continue
        if not context.inventory.complete("ReferenceGrant", target):
            yield _UNKNOWN_GRANTS
        else:
            ungranted.append(
                {"ref": f"{ref.kind} {target}/{ref.name}", "namespace": target, "listeners": listeners}
            )
    if ungranted:
        yield Issue(
            f"{subject.obj.display()} references {ungranted[0]['ref']} in another namespace, and no "
            f"ReferenceGrant in {ungranted[0]['namespace']} allows it: the reference is refused "
            "(RefNotPermitted)",
            {"refs": ungranted, "source": EvidenceSource.SPEC},
            path=("spec",),
        )


def _tls_refs_by_listener(view: GatewayView) -> list[tuple[gw.SecretObjectReference, list[str]]]:
    """`spec.tls` references with the listeners they serve: a perPort entry serves the listeners on
    its port, the default the listeners on other ports, the backend client certificate none."""
    by_port: dict[int | None, list[str]] = {}
    for listener in view.listeners:
        by_port.setdefault(listener.port, []).append(listener.name)
    per_port = {port for _, port in view.gateway.spec.tls_refs() if port is not None}
    found = []
    for ref, port in view.gateway.spec.tls_refs():
        if port == gw.DEFAULT_VALIDATION:
            names = [n for p, names in by_port.items() if p not in per_port for n in names]
        else:
            names = by_port.get(port, []) if port is not None else []
        found.append((ref, names))
    return found


# ---- gateway.listener-conflict -----------------------------------------------------------------


def listener_conflict(
    subject: GatewayView | ListenerSetView, context: CheckContext[NoParams]
) -> Iterator[Issue]:
    if isinstance(subject, ListenerSetView):
        problems = listener_problems(subject.listeners, pairwise=False)
        problems += _conflicts_with_parent(subject, context.inventory.network)
    else:
        problems = listener_problems(subject.listeners)
    conflicted = []
    if context.inventory.live:
        conflicted = [
            {"listener": name, "reason": reason}
            for name, reason in _listener_conditions(subject, "Conflicted", "True")
        ]
    if problems or conflicted:
        first = problems[0].message if problems else f"listener {conflicted[0]['listener']} is Conflicted"
        out = {name for p in problems for name in p.listeners} | {c["listener"] for c in conflicted}
        yield Issue(
            f"{subject.obj.display()} has conflicting or invalid listeners ({first}): conflicted "
            "listeners are not served",
            {
                "problems": [p.message for p in problems],
                "conflictedListeners": sorted(out),
                "conflicted": conflicted,
                "source": EvidenceSource.STATUS if conflicted else EvidenceSource.SPEC,
            },
            path=("spec", "listeners"),
        )


def _conflicts_with_parent(view: ListenerSetView, network: Network) -> list[Conflict]:
    """A ListenerSet's listeners lose to the parent Gateway's and to ListenerSets that precede it."""
    parent = network.listener_set_parent(view)
    if parent is None:
        return merge_conflicts(view.listeners, [])
    taken = list(parent.listeners)
    for sibling in network.listener_sets_before(view, parent):
        merge_conflicts(sibling.listeners, taken)
    return merge_conflicts(view.listeners, taken)


# ---- gateway.invalid-route ---------------------------------------------------------------------


def invalid_route(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    problems = route_problems(route.obj.kind, route.route)
    if problems:
        yield Issue(
            f"{route.obj.display()} breaks the Gateway API's validation ({problems[0]}): the API server "
            "rejects it",
            {"problems": problems, "source": EvidenceSource.SPEC},
            path=("spec", "rules"),
        )


# ---- gateway.unsupported-feature ---------------------------------------------------------------


@cache
def _feature_table() -> dict[str, list[dict[str, Any]]]:
    table: dict[str, list[dict[str, Any]]] = data_yaml("gateway-features.yaml")
    return table


def _uses(view: RouteView, entry: dict[str, Any]) -> bool:
    """Whether the route uses the field a feature-table entry names. Rule and match fields are read
    from the manifest as written (the projection fills in defaults, which nobody asked for)."""
    if view.obj.kind not in entry["kinds"]:
        return False
    when = entry["when"]
    route = view.route
    if "route" in when:
        return True
    if "parentRef" in when:
        return any(getattr(r, when["parentRef"]) is not None for r in route.spec.parent_refs)
    rules = _dicts((view.obj.raw.get("spec") or {}).get("rules"))
    if "rule" in when:
        return any(_rule_field(rule, when["rule"]) for rule in rules)
    if "match" in when:
        return any(_rule_field(m, when["match"]) for rule in rules for m in _dicts(rule.get("matches")))
    filters = [
        f
        for rule in route.spec.rules
        for f in [*rule.filters, *(x for b in rule.backend_refs for x in b.filters)]
    ]
    return any(_filter_uses(f, when) for f in filters)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _rule_field(data: dict[str, Any], dotted: str) -> bool:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return value not in (None, [], {})


def _filter_uses(flt: gw.RouteFilter, when: dict[str, Any]) -> bool:
    if flt.type != when["filter"]:
        return False
    if "field" not in when:
        return True
    settings: dict[str, Any] = flt.request_redirect or flt.url_rewrite or {}
    if flt.request_mirror is not None:
        settings = flt.request_mirror.model_dump(by_alias=True, exclude_none=True)
    value = settings.get(when["field"])
    return value is not None and ("value" not in when or value == when["value"])


def unsupported_feature(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    network = context.inventory.network
    table = _feature_table()
    kind = route.obj.kind
    used: set[str] | None = None  # read only when a class lists what it supports
    unsupported = []
    for gclass in {id(c): c for c in network.route_classes(route)}.values():
        supported = gclass.spec.status.feature_names()
        if supported:
            if used is None:
                used = {e["feature"] for e in table["features"] if _uses(route, e)}
            missing = sorted(used - supported)
            if missing:
                unsupported.append({"gatewayClass": gclass.obj.name, "features": missing})
    version, channel = network.crd_channels.get(kind, (None, None))
    experimental = (
        [e["field"] for e in table["experimental"] if _uses(route, e)] if channel == "standard" else []
    )
    if unsupported or experimental:
        what = (
            f"GatewayClass {unsupported[0]['gatewayClass']} does not list {', '.join(unsupported[0]['features'])}"
            if unsupported
            else f"{', '.join(experimental)} exist only in the Experimental channel, and the {kind} CRD "
            f"installed is Standard {version or ''}".rstrip()
        )
        yield Issue(
            f"{route.obj.display()} uses features its target cannot serve: {what}",
            {
                "unsupported": unsupported,
                "experimental": experimental,
                "crdChannel": channel,
                "source": EvidenceSource.SPEC,
            },
            path=("spec", "rules"),
        )


# ---- gateway.controller-maturity ---------------------------------------------------------------


def controller_maturity(view: GatewayClassView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    controller = view.controller
    if controller is None or controller.gateway_support not in ("partial", "beta"):
        return
    yield Issue(
        f"{view.obj.display()} is implemented by {controller.name}, whose Gateway API support is "
        f"{controller.gateway_support}: features and conformance may lag the API",
        {
            "controller": controller.id,
            "support": controller.gateway_support,
            "source": EvidenceSource.CATALOGUE,
        },
        path=("spec", "controllerName"),
    )


# ---- gateway.route-count -----------------------------------------------------------------------


def route_count(view: ControllerView, context: CheckContext[RouteCountParams]) -> Iterator[Issue]:
    params: RouteCountParams = context.params
    count = len(view.routes) + len(view.ingresses)
    if count < params.warn:
        return
    network = context.inventory.network
    fragile = [
        w.obj.display()
        for w in view.workloads
        if w.container.readiness_probe is None or not network.pdbs_selecting(w.workload)
    ]
    severity = Severity.MEDIUM if count >= params.high else Severity.LOW
    if fragile:
        severity = Severity.HIGH if severity is Severity.MEDIUM else Severity.MEDIUM
    yield Issue(
        f"{view.controller.name} serves {count} route objects: a restart reconciles all of them before "
        "traffic is right again" + (f", and {fragile[0]} has no readiness probe or PDB" if fragile else ""),
        {
            "controller": view.controller.id,
            "routes": len(view.routes),
            "ingresses": len(view.ingresses),
            "threshold": params.warn,
            "withoutProbeOrPDB": fragile,
            "source": EvidenceSource.SPEC,
        },
        severity=severity,
    )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "gateway.route-not-accepted": route_not_accepted,
    "gateway.unresolved-refs": unresolved_refs,
    "gateway.partially-invalid": partially_invalid,
    "gateway.parent-not-found": attachment_refused(
        {Acceptance.PARENT_NOT_FOUND, Acceptance.NO_MATCHING_LISTENER}, "cannot attach to"
    ),
    "gateway.missing-reference-grant": missing_reference_grant,
    "gateway.listener-not-allowed": listener_not_allowed,
    "gateway.hostname-mismatch": attachment_refused(
        {Acceptance.HOSTNAME_MISMATCH}, "matches no listener hostname of"
    ),
    "gateway.listener-conflict": listener_conflict,
    "gateway.invalid-route": invalid_route,
    "gateway.unsupported-feature": unsupported_feature,
    "gateway.controller-maturity": controller_maturity,
    "gateway.route-count": route_count,
    **gateway_schema.FUNCTIONS,
    **gateway_cel.FUNCTIONS,
}
