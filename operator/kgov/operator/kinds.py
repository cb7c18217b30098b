"""The kinds the operator watches (read-only) and the kgov.io kinds it writes.

Versions are not pinned: kopf serves each group's preferred version, so Gateway API kinds work on
whichever channel is installed. Optional kinds (VPA, Gateway API, cert-manager) are served when
their CRDs exist, and kopf starts watching them when the CRDs appear later. Secrets are never here.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "kgov.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


@dataclass(frozen=True, slots=True)
class WatchedKind:
    group: str  # "" for the core API
    plural: str
    optional: bool = False  # a CRD that may not be installed

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


_GATEWAY = "gateway.networking.k8s.io"

WATCHED: tuple[WatchedKind, ...] = (
    WatchedKind("", "pods"),
    WatchedKind("apps", "replicasets"),
    WatchedKind("apps", "deployments"),
    WatchedKind("apps", "statefulsets"),
    WatchedKind("apps", "daemonsets"),
    WatchedKind("batch", "jobs"),
    WatchedKind("batch", "cronjobs"),
    WatchedKind("autoscaling", "horizontalpodautoscalers"),
    WatchedKind("autoscaling.k8s.io", "verticalpodautoscalers", optional=True),
    WatchedKind("networking.k8s.io", "ingresses"),
    WatchedKind("networking.k8s.io", "ingressclasses"),
    WatchedKind("", "services"),
    WatchedKind("policy", "poddisruptionbudgets"),
    WatchedKind("", "limitranges"),
    WatchedKind("", "namespaces"),
    WatchedKind("", "configmaps"),
    WatchedKind("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    WatchedKind("apiextensions.k8s.io", "customresourcedefinitions"),
    *(
        WatchedKind(_GATEWAY, plural, optional=True)
        for plural in (
            "gatewayclasses",
            "gateways",
            "httproutes",
            "grpcroutes",
            "tlsroutes",
            "tcproutes",
            "udproutes",
            "referencegrants",
            "listenersets",
            "backendtlspolicies",
        )
    ),
    WatchedKind("cert-manager.io", "certificates", optional=True),
)

# The operator's own kinds: watched too, so Findings deleted by hand or by the garbage collector are
# noticed, and the ones left by a previous run are known before the first evaluation.
OWN: tuple[WatchedKind, ...] = (
    WatchedKind(GROUP, "findings"),
    WatchedKind(GROUP, "clusterfindings"),
    WatchedKind(GROUP, "governancereports"),
)

# Kind → (plural, namespaced) for the kinds the writer creates, patches and deletes.
WRITTEN: dict[str, tuple[str, bool]] = {
    "Finding": ("findings", True),
    "ClusterFinding": ("clusterfindings", False),
    "GovernanceReport": ("governancereports", False),
}


def object_path(kind: str, namespace: str | None, name: str | None = None, subresource: str = "") -> str:
    """The API path of a kgov.io object (or of its collection when `name` is None)."""
    plural, namespaced = WRITTEN[kind]
    path = f"/apis/{API_VERSION}"
    if namespaced:
        if not namespace:
            raise ValueError(f"{kind} {name} needs a namespace")
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    if name is not None:
        path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
    return path
