"""Every Kubernetes kind kube-governor knows, declared once.

The operator's watches (`kgov.operator.kinds`), the cluster source's lists (`kgov.sources.cluster`),
which documents the model analyses (`kgov.model.objects`), what a watch event re-evaluates in the
engine (`kgov.engine.engine`) and the chart's ClusterRole (checked by tests/test_chart.py) all derive
from `KINDS`. Adding a kind is one row here. Secrets are deliberately absent and must stay so.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import NamedTuple

GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
# keda.sh: not watched nor listed; read from files as the HPA KEDA creates and owns for each one
SCALED_OBJECT_KIND = "ScaledObject"


class Invalidates(Enum):
    """What the engine re-evaluates when an object of the kind changes (besides the object itself)."""

    NOTHING = auto()  # read for churn only
    TOP_OWNER = auto()  # the workload its pods roll up to
    NAMED_NAMESPACE = auto()  # every subject in the namespace it is
    OWN_NAMESPACE = auto()  # every subject in the namespace it sits in
    WORKLOAD = auto()  # its top owner, the owner tree, and its namespace's network subjects on spec changes
    AUTOSCALED = auto()  # the top owner of its target
    AUTOSCALED_AND_NETWORK = auto()  # the same, and its namespace's network subjects on spec changes
    SERVICE = auto()  # the network subjects of its namespace and of namespaces routing to it
    HOSTS = auto()  # the network subjects of its namespace and of namespaces sharing one of its hosts
    ALL_NETWORK = auto()  # every network subject (classes, Gateways, grants, webhooks, CRDs, config)


class KindSpec(NamedTuple):
    kind: str
    group: str  # "" for the core API
    plural: str
    versions: tuple[str, ...]  # served versions, the one listed first
    invalidates: Invalidates
    namespaced: bool = True
    analysed: bool = True  # some check reads it
    watched: bool = True  # the operator watches it
    listed: bool = True  # `kgov scan --cluster` lists it
    optional: bool = False  # a CRD that may not be installed
    workload: bool = False  # pods roll up to it

    @property
    def group_version(self) -> str:
        """The group/version the cluster source lists it with (`v1`, `apps/v1`)."""
        return f"{self.group}/{self.versions[0]}" if self.group else self.versions[0]

    @property
    def resource(self) -> str:
        """`plural.group`, as kopf and RBAC name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _workload(kind: str, group: str, plural: str) -> KindSpec:
    return KindSpec(kind, group, plural, ("v1",), Invalidates.WORKLOAD, workload=True)


def _gateway(
    kind: str,
    plural: str,
    versions: tuple[str, ...],
    invalidates: Invalidates = Invalidates.ALL_NETWORK,
    **kw: bool,
) -> KindSpec:
    return KindSpec(kind, GATEWAY_GROUP, plural, versions, invalidates, optional=True, **kw)


_ROUTE_VERSIONS = ("v1", "v1beta1")
_EXPERIMENTAL = ("v1alpha2", "v1alpha3")

KINDS: tuple[KindSpec, ...] = (
    KindSpec("Namespace", "", "namespaces", ("v1",), Invalidates.NAMED_NAMESPACE, namespaced=False),
    KindSpec("Pod", "", "pods", ("v1",), Invalidates.TOP_OWNER),
    KindSpec("LimitRange", "", "limitranges", ("v1",), Invalidates.OWN_NAMESPACE),
    KindSpec("Service", "", "services", ("v1",), Invalidates.SERVICE),
    KindSpec("ConfigMap", "", "configmaps", ("v1",), Invalidates.ALL_NETWORK),
    _workload("ReplicationController", "", "replicationcontrollers"),
    _workload("Deployment", "apps", "deployments"),
    _workload("ReplicaSet", "apps", "replicasets"),
    _workload("StatefulSet", "apps", "statefulsets"),
    _workload("DaemonSet", "apps", "daemonsets"),
    _workload("Job", "batch", "jobs"),
    _workload("CronJob", "batch", "cronjobs"),
    KindSpec(
        "HorizontalPodAutoscaler",
        "autoscaling",
        "horizontalpodautoscalers",
        ("v2",),
        Invalidates.AUTOSCALED_AND_NETWORK,
    ),
    KindSpec(
        "VerticalPodAutoscaler",
        "autoscaling.k8s.io",
        "verticalpodautoscalers",
        ("v1",),
        Invalidates.AUTOSCALED,
        optional=True,
    ),
    KindSpec("PodDisruptionBudget", "policy", "poddisruptionbudgets", ("v1",), Invalidates.OWN_NAMESPACE),
    KindSpec("Ingress", "networking.k8s.io", "ingresses", ("v1",), Invalidates.HOSTS),
    KindSpec(
        "IngressClass",
        "networking.k8s.io",
        "ingressclasses",
        ("v1",),
        Invalidates.ALL_NETWORK,
        namespaced=False,
    ),
    KindSpec(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        ("v1",),
        Invalidates.ALL_NETWORK,
        namespaced=False,
    ),
    # Tells which Gateway API bundle version and channel are installed; kopf also follows it to pick
    # up optional kinds as their CRDs appear.
    KindSpec(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        ("v1",),
        Invalidates.ALL_NETWORK,
        namespaced=False,
    ),
    _gateway("GatewayClass", "gatewayclasses", ("v1", "v1beta1"), namespaced=False),
    _gateway("Gateway", "gateways", ("v1", "v1beta1")),
    _gateway("HTTPRoute", "httproutes", _ROUTE_VERSIONS, Invalidates.HOSTS),
    _gateway("GRPCRoute", "grpcroutes", ("v1", "v1alpha2"), Invalidates.HOSTS),
    _gateway("ListenerSet", "listenersets", ("v1", "v1alpha1")),
    # Served in every release that has them; v1 only since Gateway API v1.5 / v1.6.
    _gateway("ReferenceGrant", "referencegrants", ("v1beta1", "v1")),
    _gateway("TLSRoute", "tlsroutes", ("v1alpha2", "v1alpha3", "v1"), Invalidates.HOSTS),
    _gateway("TCPRoute", "tcproutes", _EXPERIMENTAL[:1], Invalidates.HOSTS),
    _gateway("UDPRoute", "udproutes", _EXPERIMENTAL[:1], Invalidates.HOSTS),
    _gateway("BackendTLSPolicy", "backendtlspolicies", ("v1", "v1alpha3")),
    # Renewals of the certificates behind Ingress TLS count as reload churn; no check reads them.
    KindSpec(
        "Certificate",
        "cert-manager.io",
        "certificates",
        ("v1",),
        Invalidates.NOTHING,
        analysed=False,
        listed=False,
        optional=True,
    ),
)

BY_KIND: dict[str, KindSpec] = {spec.kind: spec for spec in KINDS}

ANALYSED_KINDS = frozenset(spec.kind for spec in KINDS if spec.analysed)
WORKLOAD_KINDS = frozenset(spec.kind for spec in KINDS if spec.workload)
POD_BEARING_KINDS = WORKLOAD_KINDS | {"Pod"}
# Watched for churn only: held by the engine's store, never handed to the checks.
CHURN_ONLY_KINDS = frozenset(spec.kind for spec in KINDS if spec.watched and not spec.analysed)
WATCHED_KINDS = tuple(spec for spec in KINDS if spec.watched)
LISTED_KINDS = tuple(spec for spec in KINDS if spec.listed)


def invalidation(kind: str) -> Invalidates:
    """What a change of this kind re-evaluates; an unknown kind, every network subject."""
    spec = BY_KIND.get(kind)
    return spec.invalidates if spec is not None else Invalidates.ALL_NETWORK
