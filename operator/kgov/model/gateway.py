"""Projections of the Gateway API kinds: GatewayClass, Gateway, ListenerSet, the routes, ReferenceGrant,
BackendTLSPolicy, and the CRDs that tell which bundle version and channel are installed.

All route kinds (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) share one projection: the fields
that differ between them are optional, and every served version (`v1`, `v1beta1`, `v1alpha2`,
`v1alpha3`) has the same shape for what the checks read.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kgov.model.base import NullableList, Projection
from kgov.model.kinds import GATEWAY_GROUP
from kgov.model.kinds import ROUTE_KINDS as ROUTE_KINDS  # declared there; imported from here too
from kgov.model.networking import LabelSelector

GROUP = GATEWAY_GROUP
BUNDLE_VERSION_ANNOTATION = f"{GROUP}/bundle-version"
CHANNEL_ANNOTATION = f"{GROUP}/channel"
DEFAULT_VALIDATION = -1  # the "port" of the default frontend validation in `GatewaySpec.tls_refs`


class Condition(Projection):
    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    observed_generation: int | None = None


Conditions = NullableList[Condition]


def condition(conditions: list[Condition], kind: str) -> Condition | None:
    return next((c for c in conditions if c.type == kind), None)


# ---- GatewayClass ---------------------------------------------------------------------------------


class SupportedFeature(Projection):
    name: str


class GatewayClassStatus(Projection):
    conditions: Conditions = Field(default_factory=list)
    # A list of names up to v1.3, of `{name: …}` objects since v1.4.
    supported_features: NullableList[SupportedFeature | str] = Field(default_factory=list)

    def feature_names(self) -> set[str]:
        return {f if isinstance(f, str) else f.name for f in self.supported_features}


class GatewayClassSpec(Projection):
    controller_name: str = ""


class GatewayClass(Projection):
    spec: GatewayClassSpec = Field(default_factory=GatewayClassSpec)
    status: GatewayClassStatus = Field(default_factory=GatewayClassStatus)


# ---- Gateway and ListenerSet ------------------------------------------------------------------------


class SecretObjectReference(Projection):
    """A listener certificateRef; `group` "" is the core group, `namespace` absent means the Gateway's."""

    group: str = ""
    kind: str = "Secret"
    name: str
    namespace: str | None = None


class RouteGroupKind(Projection):
    group: str = GROUP
    kind: str


class RouteNamespaces(Projection):
    from_: str = Field("Same", alias="from")
    selector: LabelSelector | None = None


class AllowedRoutes(Projection):
    namespaces: RouteNamespaces = Field(default_factory=lambda: RouteNamespaces.model_validate({}))
    kinds: NullableList[RouteGroupKind] = Field(default_factory=list)


class ListenerTLS(Projection):
    mode: str | None = None
    certificate_refs: NullableList[SecretObjectReference] = Field(default_factory=list)


class Listener(Projection):
    name: str
    hostname: str | None = None
    port: int | None = None  # optional on ListenerSet entries in some versions
    protocol: str
    tls: ListenerTLS | None = None
    allowed_routes: AllowedRoutes = Field(default_factory=AllowedRoutes)


class ListenerStatus(Projection):
    name: str
    attached_routes: int | None = None
    conditions: Conditions = Field(default_factory=list)


class GatewayStatus(Projection):
    conditions: Conditions = Field(default_factory=list)
    listeners: NullableList[ListenerStatus] = Field(default_factory=list)


class AllowedListeners(Projection):
    namespaces: RouteNamespaces = Field(
        default_factory=lambda: RouteNamespaces.model_validate({"from": "None"})
    )


class GatewaySpec(Projection):
    gateway_class_name: str = ""
    listeners: NullableList[Listener] = Field(default_factory=list)
    allowed_listeners: AllowedListeners = Field(default_factory=AllowedListeners)
    # Gateway-wide TLS: frontend client-certificate validation and the backend client certificate.
    tls: dict[str, Any] | None = None

    def tls_refs(self) -> list[tuple[SecretObjectReference, int | None]]:
        """References of `spec.tls` with the port they apply to: CA ConfigMaps of frontend client-
        certificate validation (`DEFAULT_VALIDATION` for the default, else the perPort port) and the
        backend client certificate Secret (None). Read leniently: malformed entries are the API
        server's to reject."""
        tls = self.tls or {}
        frontend = tls.get("frontend")
        if not isinstance(frontend, dict):
            frontend = {}
        blocks: list[tuple[Any, int | None]] = [(frontend.get("default"), DEFAULT_VALIDATION)]
        per_port = frontend.get("perPort")
        for entry in per_port if isinstance(per_port, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("port"), int):
                blocks.append((entry.get("tls"), entry["port"]))
        raw = [
            (ref, port)
            for block, port in blocks
            if isinstance(block, dict) and isinstance(block.get("validation"), dict)
            for ref in block["validation"].get("caCertificateRefs") or []
        ]
        backend = tls.get("backend")
        if isinstance(backend, dict):
            raw.append((backend.get("clientCertificateRef"), None))
        refs = []
        for ref, port in raw:
            try:
                refs.append((SecretObjectReference.model_validate(ref, by_alias=True), port))
            except ValueError:
                continue
        return refs


class Gateway(Projection):
    spec: GatewaySpec = Field(default_factory=GatewaySpec)
    status: GatewayStatus = Field(default_factory=GatewayStatus)


class ParentGatewayReference(Projection):
    group: str = GROUP
    kind: str = "Gateway"
    name: str
    namespace: str | None = None


class ListenerSetSpec(Projection):
    parent_ref: ParentGatewayReference | None = None
    listeners: NullableList[Listener] = Field(default_factory=list)


class ListenerSet(Projection):
    spec: ListenerSetSpec = Field(default_factory=ListenerSetSpec)
    status: GatewayStatus = Field(default_factory=GatewayStatus)


# ---- routes ----------------------------------------------------------------------------------------


class ParentReference(Projection):
    group: str = GROUP
    kind: str = "Gateway"
    namespace: str | None = None
    name: str
    section_name: str | None = None
    port: int | None = None

    def display(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        section = f" listener {self.section_name}" if self.section_name else ""
        port = f" port {self.port}" if self.port is not None else ""
        return f"{self.kind} {where}{section}{port}"


class BackendRef(Projection):
    """A backendRef, or the backendRef of a RequestMirror filter."""

    group: str = ""
    kind: str = "Service"
    name: str
    namespace: str | None = None
    port: int | None = None
    weight: int | None = None
    filters: NullableList[RouteFilter] = Field(default_factory=list)

    @property
    def is_service(self) -> bool:
        return self.group == "" and self.kind == "Service"


class RequestMirror(Projection):
    backend_ref: BackendRef


class RouteFilter(Projection):
    """One filter; the mirror's backend is typed (it is a reference), other settings stay raw."""

    type: str
    request_mirror: RequestMirror | None = None
    request_redirect: dict[str, Any] | None = None
    url_rewrite: dict[str, Any] | None = Field(None, alias="urlRewrite")
    extension_ref: dict[str, Any] | None = None


class PathMatch(Projection):
    type: str = "PathPrefix"
    value: str = "/"


class RouteMatch(Projection):
    """HTTPRoute and GRPCRoute matches; only the HTTP path is typed, the rest is kept raw."""

    path: PathMatch | None = None
    headers: NullableList[dict[str, Any]] = Field(default_factory=list)
    query_params: NullableList[dict[str, Any]] = Field(default_factory=list)
    method: str | dict[str, Any] | None = None


class Timeouts(Projection):
    request: str | None = None
    backend_request: str | None = None


class RouteRule(Projection):
    name: str | None = None
    matches: NullableList[RouteMatch] = Field(default_factory=list)
    filters: NullableList[RouteFilter] = Field(default_factory=list)
    backend_refs: NullableList[BackendRef] = Field(default_factory=list)
    timeouts: Timeouts | None = None
    retry: dict[str, Any] | None = None
    session_persistence: dict[str, Any] | None = None


class RouteParentStatus(Projection):
    parent_ref: ParentReference
    controller_name: str = ""
    conditions: Conditions = Field(default_factory=list)


class RouteStatus(Projection):
    parents: NullableList[RouteParentStatus] = Field(default_factory=list)


class RouteSpec(Projection):
    parent_refs: NullableList[ParentReference] = Field(default_factory=list)
    hostnames: NullableList[str] = Field(default_factory=list)
    rules: NullableList[RouteRule] = Field(default_factory=list)


class Route(Projection):
    spec: RouteSpec = Field(default_factory=RouteSpec)
    status: RouteStatus = Field(default_factory=RouteStatus)

    def backend_refs(self) -> list[BackendRef]:
        """Rule backendRefs and the backends of RequestMirror filters (rule and backendRef level)."""
        refs: list[BackendRef] = []
        for rule in self.spec.rules:
            refs += rule.backend_refs
            for flt in [*rule.filters, *(f for b in rule.backend_refs for f in b.filters)]:
                if flt.request_mirror is not None:
                    refs.append(flt.request_mirror.backend_ref)
        return refs


# ---- ReferenceGrant, BackendTLSPolicy, CRDs ---------------------------------------------------------


class GrantFrom(Projection):
    group: str
    kind: str
    namespace: str


class GrantTo(Projection):
    group: str
    kind: str
    name: str | None = None


class ReferenceGrantSpec(Projection):
    from_: NullableList[GrantFrom] = Field(default_factory=list, alias="from")
    to: NullableList[GrantTo] = Field(default_factory=list)


class ReferenceGrant(Projection):
    spec: ReferenceGrantSpec = Field(default_factory=ReferenceGrantSpec)

    def allows(
        self, from_group: str, from_kind: str, from_namespace: str, to: BackendRef | SecretObjectReference
    ) -> bool:
        came = any(
            f.group == from_group and f.kind == from_kind and f.namespace == from_namespace
            for f in self.spec.from_
        )
        return came and any(
            t.group == to.group and t.kind == to.kind and t.name in (None, "", to.name) for t in self.spec.to
        )


class CRDNames(Projection):
    kind: str = ""


class CRDSpec(Projection):
    group: str = ""
    names: CRDNames = Field(default_factory=CRDNames)


class CustomResourceDefinition(Projection):
    spec: CRDSpec = Field(default_factory=CRDSpec)


BackendRef.model_rebuild()
