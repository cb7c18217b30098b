"""Optional dependencies: the base install runs scan, gate and convert on files; `--cluster`,
Prometheus evidence and `kgov run` need extras, and say which when they are missing."""

from __future__ import annotations

import importlib.util

# extra -> (the module it brings, what needs it)
EXTRAS = {
    "cluster": ("urllib3", "reading a live cluster (--cluster)"),
    "prometheus": ("prometheus_api_client", "measured evidence from Prometheus"),
    "operator": ("kopf", "the operator (kgov run)"),
}


def missing_extra(extra: str) -> str | None:
    """Why the command cannot run without `extra`, or None when its module is installed."""
    module, purpose = EXTRAS[extra]
    if importlib.util.find_spec(module) is not None:
        return None
    return f"{purpose} needs the {extra} extra: pip install 'kube-governor[{extra}]'"
