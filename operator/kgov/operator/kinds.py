"""The kinds the operator watches (read-only) and the kgov.io kinds it writes.

Versions are not pinned: each group's preferred version is watched, so Gateway API kinds work on
whichever channel is installed. Optional kinds (VPA, Gateway API, cert-manager) are served when
their CRDs exist, and are watched once the CRDs appear (see `watches`). Secrets are never here.
"""

from __future__ import annotations

from dataclasses import dataclass

from kgov.model.kinds import WATCHED_KINDS

GROUP = "kgov.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


@dataclass(frozen=True, slots=True)
class WatchedKind:
    group: str  # "" for the core API
    plural: str
    optional: bool = False  # a CRD that may not be installed
    # Only the objects named by `Watches.want` are watched (one informer each, by a metadata.name
    # field selector): the checks read a few of them, and the cluster holds many.
    by_name: bool = False

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


# Read-only, from the one kind table: what the checks read, and Certificates for churn.
WATCHED: tuple[WatchedKind, ...] = tuple(
    WatchedKind(spec.group, spec.plural, spec.optional, by_name=spec.plural == "configmaps")
    for spec in WATCHED_KINDS
)
CONFIG_MAPS = next(kind for kind in WATCHED if kind.by_name)

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
