"""The ConfigMaps the operator watches: only those the checks read.

The checks read the ingress-nginx controller's ConfigMap: the one its `--configmap` argument names,
else the chart's default name `ingress-nginx-controller` (in any namespace). Those are the ones
watched, each by its own informer with a `metadata.name` field selector (what RBAC `resourceNames`
can grant list and watch for); every other ConfigMap of the cluster is neither listed nor held.
The names come from the workloads as they are listed and change: a controller rolled out with
another `--configmap` has that ConfigMap watched, and the old one dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgov.catalogue import NGINX_CONFIG_NAME
from kgov.domain.controller import config_map_ref

ConfigMapRef = tuple[str | None, str]  # (namespace, name); namespace None: in every namespace

# The chart's ConfigMap name, wherever it is: what the checks fall back to without `--configmap`.
DEFAULT: ConfigMapRef = (None, NGINX_CONFIG_NAME)
# Workload kinds an ingress-nginx controller runs as (the chart: Deployment or DaemonSet).
REFERRING_KINDS = frozenset({"Deployment", "DaemonSet", "StatefulSet"})


def referenced(body: Mapping[str, Any]) -> frozenset[ConfigMapRef]:
    """The ConfigMaps a workload's containers name with `--configmap=NAMESPACE/NAME`."""
    metadata = body.get("metadata") or {}
    namespace = str(metadata.get("namespace") or "")
    spec = _mapping(_mapping(_mapping(body.get("spec")).get("template")).get("spec"))
    refs = set()
    for container in spec.get("containers") or ():
        args = _mapping(container).get("args")
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
            continue
        ref = config_map_ref(args, namespace)
        if ref is not None:
            refs.add(ref)
    return frozenset(refs)


class ConfigMapRefs:
    """The ConfigMaps to watch, kept up to date from the workload events."""

    def __init__(self) -> None:
        self._by_workload: dict[tuple[str, str | None, str], frozenset[ConfigMapRef]] = {}

    def event(self, event_type: str | None, body: Mapping[str, Any]) -> bool:
        """Take one workload event; True when the set of ConfigMaps to watch changed."""
        if body.get("kind") not in REFERRING_KINDS:
            return False
        metadata = body.get("metadata") or {}
        key = (str(body.get("kind")), metadata.get("namespace") or None, str(metadata.get("name")))
        refs = frozenset() if event_type == "DELETED" else referenced(body)
        if refs == self._by_workload.get(key, frozenset()):
            return False  # most workload events: a new status or image, the same flags
        before = self.wanted()
        if refs:
            self._by_workload[key] = refs
        else:
            self._by_workload.pop(key, None)
        return self.wanted() != before

    def wanted(self) -> frozenset[ConfigMapRef]:
        """The default name everywhere, and every other name where a controller names it."""
        named = {ref for refs in self._by_workload.values() for ref in refs if ref[1] != DEFAULT[1]}
        return frozenset({DEFAULT, *named})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
