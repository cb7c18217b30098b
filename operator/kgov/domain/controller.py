"""The ingress-nginx controller of an Ingress in the input: its workload and its ConfigMap, read by the
ingress checks (snippet policy, hardening) and the migration checks (the HTTPS redirect keys)."""

from __future__ import annotations

from typing import Any

from kgov.catalogue import INGRESS_NGINX, NGINX_CONFIG_NAME
from kgov.inventory.network import ControllerWorkload, IngressView, Network
from kgov.model import networking as net


def flag(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
        if arg == name and i + 1 < len(args):
            return args[i + 1]
    return None


def config_map_ref(args: list[str], namespace: str | None) -> tuple[str, str] | None:
    """The (namespace, name) of the ConfigMap an ingress-nginx controller's `--configmap=NAMESPACE/NAME`
    argument names, `namespace` being its workload's; None without one (or without both parts)."""
    ref = flag(args, "--configmap")
    if ref is None:
        return None
    # The chart passes $(POD_NAMESPACE), which the kubelet expands from the pod's env.
    config_namespace, _, name = ref.replace("$(POD_NAMESPACE)", namespace or "").partition("/")
    return (config_namespace, name) if config_namespace and name else None


def nginx_controller_for(view: IngressView, network: Network) -> ControllerWorkload | None:
    """The ingress-nginx workload serving this Ingress: the one whose `--ingress-class` is the
    Ingress's class, else the only ingress-nginx workload in the set."""
    candidates = [w for w in network.controller_workloads if w.controller.id == INGRESS_NGINX]
    for workload in candidates:
        if view.class_name and flag(workload.container.args, "--ingress-class") == view.class_name:
            return workload
    return candidates[0] if len(candidates) == 1 else None


def workload_config_map(
    workload: ControllerWorkload | None, network: Network
) -> tuple[net.ConfigMap | None, dict[str, Any]]:
    """The ConfigMap its `--configmap` argument names, else the chart's default
    `ingress-nginx-controller` when the input holds one; with evidence of where it was found."""
    evidence: dict[str, Any] = {}
    config = None
    if workload is not None:
        evidence["controller"] = workload.obj.display()
        ref = config_map_ref(workload.container.args, workload.obj.namespace)
        if ref is not None:
            config = network.config_map(*ref, workload.obj)
            evidence["configMap"] = "/".join(ref)
    if config is None and "configMap" not in evidence:
        found = [o for o in network.inventory.by_kind.get("ConfigMap", ()) if o.name == NGINX_CONFIG_NAME]
        if len(found) == 1:
            config = network.config_map(found[0].namespace, found[0].name, found[0])
            evidence["configMap"] = f"{found[0].namespace}/{found[0].name}"
    return config, evidence


def controller_config_map(view: IngressView, network: Network) -> tuple[net.ConfigMap | None, dict[str, Any]]:
    """The ingress-nginx controller ConfigMap of the Ingress's class (see `workload_config_map`);
    a chart-default ConfigMap in the Ingress's own file comes first (one rendered chart or manifest)."""
    if view.obj.location is not None:
        where = view.obj.location.file
        beside = [
            o
            for o in network.inventory.by_kind.get("ConfigMap", ())
            if o.name == NGINX_CONFIG_NAME and o.location is not None and o.location.file == where
        ]
        if len(beside) == 1:
            found = network.config_map(beside[0].namespace, beside[0].name, beside[0])
            return found, {"configMap": f"{beside[0].namespace}/{beside[0].name}"}
    return workload_config_map(nginx_controller_for(view, network), network)
