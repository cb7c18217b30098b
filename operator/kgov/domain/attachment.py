"""Route → parent attachment as a Gateway API implementation decides it, from manifests alone.

For each parentRef: does the parent exist, does some listener match its sectionName and port, does a
matching listener admit the route's namespace and kind (`allowedRoutes`), and do the hostnames
intersect. Each step answers yes, no, or unknown (the data to decide is not in the scope); only a
definite no becomes a finding. Facts: reference gateway-api-semantics.md §3, §5, §6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kgov.inventory.network import GatewayView, ListenerSetView, Network, RouteView
from kgov.model import gateway as gw
from kgov.model.kinds import GATEWAY_GROUP, ROUTE_KINDS
from kgov.model.objects import KubeObject

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every Namespace

# Route kinds a listener admits when `allowedRoutes.kinds` is empty, by protocol.
_IMPLIED_KINDS = {
    "HTTP": {"HTTPRoute", "GRPCRoute"},
    "HTTPS": {"HTTPRoute", "GRPCRoute"},
    "TLS": {"TLSRoute"},
    "TCP": {"TCPRoute"},
    "UDP": {"UDPRoute"},
}
HOSTNAME_KINDS = {"HTTPRoute", "GRPCRoute", "TLSRoute"}


class Acceptance(StrEnum):
    """Whether a parent accepts a route or ListenerSet, and the reason when it does not (the `Accepted`
    condition of Gateway API status)."""

    ACCEPTED = "accepted"
    PARENT_NOT_FOUND = "parent-not-found"
    NO_MATCHING_LISTENER = "no-matching-listener"  # NoMatchingParent: sectionName/port match nothing
    NOT_ALLOWED = "not-allowed"  # NotAllowedByListeners
    HOSTNAME_MISMATCH = "hostname-mismatch"  # NoMatchingListenerHostname
    UNKNOWN = "unknown"
    OTHER_PARENT = "other-parent"  # a parent kind this tool does not resolve (mesh Service, …)


@dataclass(frozen=True, slots=True)
class Attachment:
    ref: gw.ParentReference
    acceptance: Acceptance
    parent: KubeObject | None = None
    detail: str = ""
    listeners: tuple[str, ...] = field(default=())

    def evidence(self) -> dict[str, object]:
        return {"parentRef": self.ref.display(), "reason": self.detail, "listeners": list(self.listeners)}


def hostnames_intersect(a: str, b: str) -> bool:
    """Gateway API hostname intersection: `*.example.com` covers any name ending in `.example.com`
    (several labels deep), never `example.com` itself."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if a.startswith("*.") and b.startswith("*."):
        return a[1:].endswith(b[1:]) or b[1:].endswith(a[1:])
    if a.startswith("*."):
        return b.endswith(a[1:])
    if b.startswith("*."):
        return a.endswith(b[1:])
    return False


def attachments(route: RouteView, network: Network) -> tuple[Attachment, ...]:
    """How each parentRef's parent takes the route, in parentRef order: worked out once per route in a
    scan (three checks and the routing model ask)."""
    return network.inventory.derived(
        "attachments",
        route,
        lambda: tuple(_attach(route, ref, network) for ref in route.route.spec.parent_refs),
    )


def _attach(route: RouteView, ref: gw.ParentReference, network: Network) -> Attachment:
    if ref.group != GATEWAY_GROUP or ref.kind not in ("Gateway", "ListenerSet"):
        return Attachment(ref, Acceptance.OTHER_PARENT)
    namespace = ref.namespace or route.obj.namespace
    ref = ref.model_copy(update={"namespace": namespace})  # shown resolved in messages
    parent: GatewayView | ListenerSetView | None = (
        network.gateway(namespace, ref.name, route.obj)
        if ref.kind == "Gateway"
        else network.listener_set(namespace, ref.name, route.obj)
    )
    if parent is None:
        if network.inventory.complete(ref.kind, namespace):
            return Attachment(
                ref, Acceptance.PARENT_NOT_FOUND, detail=f"no {ref.kind} {ref.name} in the complete scope"
            )
        return Attachment(ref, Acceptance.UNKNOWN)
    listeners = [
        listener
        for listener in parent.listeners
        if (ref.section_name is None or listener.name == ref.section_name)
        and (ref.port is None or listener.port == ref.port)
    ]
    if not listeners:
        wanted = " and ".join(
            part
            for part in (
                f"name {ref.section_name}" if ref.section_name else "",
                f"port {ref.port}" if ref.port is not None else "",
            )
            if part
        )
        return Attachment(ref, Acceptance.NO_MATCHING_LISTENER, parent.obj, f"no listener with {wanted}")
    return _admission(route, ref, parent, listeners, network)


def _admission(
    route: RouteView,
    ref: gw.ParentReference,
    parent: GatewayView | ListenerSetView,
    listeners: list[gw.Listener],
    network: Network,
) -> Attachment:
    verdicts = [
        (
            listener,
            admits_namespace(listener.allowed_routes.namespaces, parent.obj, route.obj, network),
            _admits_kind(listener, route.obj.kind),
        )
        for listener in listeners
    ]
    allowed = [listener for listener, by_ns, by_kind in verdicts if by_ns and by_kind]
    names = tuple(listener.name for listener in listeners)
    if not allowed:
        if any(by_ns is None or by_kind is None for _, by_ns, by_kind in verdicts):
            return Attachment(ref, Acceptance.UNKNOWN, parent.obj)
        return Attachment(ref, Acceptance.NOT_ALLOWED, parent.obj, _refusal(route.obj, verdicts), names)
    hosts = route.route.spec.hostnames
    if route.obj.kind in HOSTNAME_KINDS and hosts:
        listener_hosts = [listener.hostname for listener in allowed]
        if all(h is not None for h in listener_hosts) and not any(
            hostnames_intersect(host, lh) for host in hosts for lh in listener_hosts if lh
        ):
            why = f"route hostnames {', '.join(hosts)} do not intersect listener hostnames {', '.join(h for h in listener_hosts if h)}"
            return Attachment(ref, Acceptance.HOSTNAME_MISMATCH, parent.obj, why, names)
    return Attachment(
        ref, Acceptance.ACCEPTED, parent.obj, listeners=tuple(listener.name for listener in allowed)
    )


def _refusal(route: KubeObject, verdicts: list[tuple[gw.Listener, bool | None, bool | None]]) -> str:
    listed = ", ".join(listener.name for listener, _, _ in verdicts)
    if not any(by_kind for _, _, by_kind in verdicts):
        return f"listener(s) {listed} do not admit kind {route.kind} (allowedRoutes.kinds or protocol)"
    if not any(by_ns for _, by_ns, _ in verdicts):
        return f"listener(s) {listed} do not admit routes from namespace {route.namespace} (allowedRoutes.namespaces)"
    return f"no listener among {listed} admits both namespace {route.namespace} and kind {route.kind}"


def admits_namespace(
    namespaces: gw.RouteNamespaces, parent: KubeObject, route: KubeObject, network: Network
) -> bool | None:
    """`from: Same | All | Selector | None` for an attaching object (a route, a ListenerSet)."""
    if namespaces.from_ == "All":
        return True
    if namespaces.from_ == "Same":
        if (route.namespace is None) != (parent.namespace is None):
            return None  # one side is applied wherever kubectl points: cannot tell
        return route.namespace == parent.namespace
    if namespaces.from_ == "Selector":
        if namespaces.selector is None:
            return False
        found = network.inventory.namespace(route.namespace, near=route)
        if found is None:
            return None
        labels = {**found.labels, NAMESPACE_NAME_LABEL: found.name}
        return namespaces.selector.matches(labels)
    if namespaces.from_ == "None":
        return False
    return None


def listener_set_admission(view: ListenerSetView, network: Network) -> Acceptance:
    """Whether the parent Gateway's `allowedListeners` admits a ListenerSet (default: none)."""
    parent = network.listener_set_parent(view)
    if parent is None:
        ref = view.listener_set.spec.parent_ref
        namespace = (ref.namespace if ref else None) or view.obj.namespace
        return (
            Acceptance.PARENT_NOT_FOUND
            if ref and network.inventory.complete("Gateway", namespace)
            else Acceptance.UNKNOWN
        )
    allowed = admits_namespace(
        parent.gateway.spec.allowed_listeners.namespaces, parent.obj, view.obj, network
    )
    if allowed is None:
        return Acceptance.UNKNOWN
    return Acceptance.ACCEPTED if allowed else Acceptance.NOT_ALLOWED


def route_kind_problem(listener: gw.Listener, group: str, kind: str) -> str | None:
    """Why a kind in `allowedRoutes.kinds` is invalid for the listener (InvalidRouteKinds), if it is."""
    if group != GATEWAY_GROUP or kind not in ROUTE_KINDS:
        return f"{kind} is not a Gateway API route kind"
    implied = _implied_kinds(listener)
    if implied is None or kind in implied:
        return None
    return f"a {listener.protocol} listener cannot serve {kind}"


def _admits_kind(listener: gw.Listener, kind: str) -> bool | None:
    kinds = listener.allowed_routes.kinds
    if kinds:
        return any(k.group == GATEWAY_GROUP and k.kind == kind for k in kinds)
    implied = _implied_kinds(listener)
    return None if implied is None else kind in implied


def _implied_kinds(listener: gw.Listener) -> set[str] | None:
    """The route kinds a listener's protocol serves; None for an implementation-specific protocol."""
    implied = _IMPLIED_KINDS.get(listener.protocol)
    if (
        implied is not None
        and listener.protocol == "TLS"
        and listener.tls
        and listener.tls.mode == "Terminate"
    ):
        return implied | {"TCPRoute"}
    return implied
