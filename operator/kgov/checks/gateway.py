"""Gateway API checks (`category: gateway`). Static rules run on files so CI fails before `kubectl
apply`; live rules read the conditions controllers write. Facts: reference gateway-api-semantics.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from typing import Any

from pydantic import Field

from kgov.checks import fields, gateway_cel, gateway_schema
from kgov.checks.gateway_rules import Conflict, listener_problems, merge_conflicts, route_problems
from kgov.checks.registry import Check, CheckContext, Issue, Need, NoParams, Params, SubjectKind, Undecided
from kgov.data import data_yaml
from kgov.domain.attachment import (
    Acceptance,
    Attachment,
    attachments,
    listener_set_admission,
    route_kind_problem,
)
from kgov.findings.model import Category, Severity
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


class GraceParams(Params):
    grace_minutes: int = Field(5, ge=0, description="how long a new route may have no status")


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
    route: RouteView, network: Network, refusals: set[Acceptance], what: str
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


def parent_not_found(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    yield from _attachment_issue(
        route,
        context.inventory.network,
        {Acceptance.PARENT_NOT_FOUND, Acceptance.NO_MATCHING_LISTENER},
        "cannot attach to",
    )


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


def hostname_mismatch(route: RouteView, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    yield from _attachment_issue(
        route, context.inventory.network, {Acceptance.HOSTNAME_MISMATCH}, "matches no listener hostname of"
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
    used = {e["feature"] for e in table["features"] if _uses(route, e)}
    unsupported = []
    for gclass in {id(c): c for c in network.route_classes(route)}.values():
        supported = gclass.spec.status.feature_names()
        if supported:
            missing = sorted(used - supported)
            if missing:
                unsupported.append({"gatewayClass": gclass.obj.name, "features": missing})
    experimental = [e["field"] for e in table["experimental"] if _uses(route, e)]
    version, channel = network.crd_channels.get(kind, (None, None))
    if channel != "standard":
        experimental = []
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


class RouteCountParams(Params):
    warn: int = Field(100, gt=0, description="routes served by one controller for low")
    high: int = Field(500, gt=0, description="routes for medium")


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


CHECKS = (
    Check(
        id="gateway.route-not-accepted",
        title="Route not accepted",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.ROUTE,
        condition="Live status: `Accepted=False` on some parent (the reason is in the evidence), or no "
        "`status.parents` at all for a route older than `grace_minutes`.",
        remediation="Read the condition's reason: fix the parentRef, the listener's allowedRoutes or the "
        "hostnames, or install a controller for the GatewayClass.",
        fn=route_not_accepted,
        params=GraceParams,
        needs=frozenset({Need.LIVE}),
    ),
    Check(
        id="gateway.unresolved-refs",
        title="Route backend references do not resolve",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.REFERRER,
        condition="Live `ResolvedRefs=False`, or statically a backendRef to a Service that does not "
        "exist or lacks the port (absent only in a complete scope, docs/configuration.md#scope-and-"
        "completeness; otherwise undecided), or a reference of a kind that cannot serve (a core kind "
        "other than Service/Secret/ConfigMap as the role needs, or a kind no CRD defines); on "
        "Gateways and ListenerSets, a listener whose `allowedRoutes.kinds` names a kind that is no route "
        "kind or that its protocol cannot serve (InvalidRouteKinds).",
        remediation="Point the backendRef at an existing Service and one of its ports.",
        fn=unresolved_refs,
        params=NoParams,
    ),
    Check(
        id="gateway.partially-invalid",
        title="Route partially invalid",
        category=Category.GATEWAY,
        severity=Severity.MEDIUM,
        subject=SubjectKind.ROUTE,
        condition="Live status: a `PartiallyInvalid` condition on some parent (rules were dropped).",
        remediation="Read the condition message for the dropped rules and fix or remove them.",
        fn=partially_invalid,
        params=NoParams,
        needs=frozenset({Need.LIVE}),
    ),
    Check(
        id="gateway.parent-not-found",
        title="Route parent not found",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.ROUTE,
        condition="A parentRef names a Gateway or ListenerSet that does not exist (decided when that "
        "namespace's Gateways are complete in the scope; otherwise undecided), or a sectionName/port no "
        "listener has.",
        remediation="Fix the parentRef's name, namespace, sectionName or port.",
        fn=parent_not_found,
        params=NoParams,
    ),
    Check(
        id="gateway.missing-reference-grant",
        title="Cross-namespace reference without a ReferenceGrant",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.REFERRER,
        condition="A route backendRef, a listener certificateRef (Gateway or ListenerSet), or a Gateway "
        "`spec.tls` reference (client-certificate CA, backend client certificate) to another namespace, "
        "and no ReferenceGrant (v1 or v1beta1) there allows it (decided when the scope is complete for "
        "the target namespace's ReferenceGrants; otherwise undecided).",
        remediation="Add a ReferenceGrant in the target namespace whose `from` names the referring kind "
        "and namespace and whose `to` names the referenced kind (and name).",
        fn=missing_reference_grant,
        params=NoParams,
    ),
    Check(
        id="gateway.listener-not-allowed",
        title="No listener admits the route",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.ATTACHER,
        condition="No listener the parentRef selects admits the route's namespace (`allowedRoutes."
        "namespaces`: Same, All, Selector over the Namespace's labels) together with its kind; or a "
        "ListenerSet's parent Gateway does not admit it (`allowedListeners`, default none).",
        remediation="Widen the listener's allowedRoutes (a namespace selector or `from: All`), label the "
        "route's namespace, or attach to a listener meant for it.",
        fn=listener_not_allowed,
        params=NoParams,
    ),
    Check(
        id="gateway.hostname-mismatch",
        title="Route hostnames match no listener",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.ROUTE,
        condition="No route hostname intersects the hostname of any listener that admits the route "
        "(a wildcard `*.example.com` covers names below it, never `example.com`).",
        remediation="Add the listener's hostname (or a matching one) to the route's hostnames, or attach "
        "the route to a listener for its hostnames.",
        fn=hostname_mismatch,
        params=NoParams,
    ),
    Check(
        id="gateway.listener-conflict",
        title="Conflicting Gateway listeners",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.LISTENERS,
        condition="Two listeners on one port that are not distinct (same hostname in the HTTP or "
        "HTTPS/TLS family; TCP beside HTTP/HTTPS/TLS; HTTP beside HTTPS/TLS), a listener rule of the "
        "API (unique names, tls only for HTTPS/TLS, TLS needs a mode, no hostname on TCP/UDP, at most 64 "
        "listeners), or live "
        "`Conflicted=True`.",
        remediation="Give each listener on a port its own hostname, or move it to its own port.",
        fn=listener_conflict,
        params=NoParams,
    ),
    Check(
        id="gateway.invalid-route",
        title="Route breaks the API's validation",
        category=Category.GATEWAY,
        severity=Severity.HIGH,
        subject=SubjectKind.ROUTE,
        condition="A rule breaks a validation rule of the CRDs: a repeated filter, RequestRedirect with "
        "backendRefs or with URLRewrite, ReplacePrefixMatch without exactly one PathPrefix match, a bad "
        "path value, a Service backendRef without port, backendRequest timeout above the request "
        "timeout, 128 or more matches, duplicate rule names or parentRefs.",
        remediation="Fix the rule as the message says; `kubectl apply` would reject it.",
        fn=invalid_route,
        params=NoParams,
    ),
    Check(
        id="gateway.unsupported-feature",
        title="Route uses a feature its target lacks",
        category=Category.GATEWAY,
        severity=Severity.MEDIUM,
        subject=SubjectKind.ROUTE,
        condition="The route uses a field whose feature the parent's GatewayClass does not list in "
        "`status.supportedFeatures`, or an Experimental-channel field (retry, sessionPersistence, "
        "ExternalAuth) where the installed CRD is Standard (from its bundle annotations).",
        remediation="Use only features the GatewayClass supports, or install the Experimental channel "
        "where that is acceptable.",
        fn=unsupported_feature,
        params=NoParams,
    ),
    Check(
        id="gateway.controller-maturity",
        title="GatewayClass controller with partial support",
        category=Category.GATEWAY,
        severity=Severity.LOW,
        subject=SubjectKind.GATEWAY_CLASS,
        condition="The class's controller has Partial or Beta Gateway API support in the controller "
        "catalogue.",
        remediation="Check the implementation's conformance report for the features you need before "
        "moving production traffic.",
        fn=controller_maturity,
        params=NoParams,
    ),
    Check(
        id="gateway.route-count",
        title="Many routes on one controller",
        category=Category.GATEWAY,
        severity=Severity.LOW,
        subject=SubjectKind.CONTROLLER,
        condition="Route objects (routes and Ingresses) served by one controller at or above `warn` "
        "(low) or `high` (medium); one level higher when a controller workload lacks a readiness probe "
        "or a PodDisruptionBudget.",
        remediation="Run the controller with several replicas, a PDB and a readiness probe, or split "
        "routes across controllers or Gateways.",
        fn=route_count,
        params=RouteCountParams,
    ),
    *gateway_schema.CHECKS,
    *gateway_cel.CHECKS,
)
