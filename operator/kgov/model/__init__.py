"""Typed projections of the Kubernetes kinds kgov reads, one module per API family.

The modules of kinds many scans do not hold are loaded lazily: `from kgov.model import gateway as gw`
gives a module that runs on its first attribute access, so a scan without Gateway API objects never
defines their pydantic models (defining them was about a tenth of a one-file scan); the same for
`autoscaling` (HPA, VPA), `networking` (Ingress, IngressClass, PodDisruptionBudget, webhooks,
ConfigMap) and `limits` (LimitRange). Every use of such a module's attributes is inside a function,
and its names in annotations are imported for type checking only; what is needed at import (the
Gateway API group, the route kinds, KEDA's ScaledObject kind) is declared in `kgov.model.kinds`. The
standard library's lazy loader is not thread-safe in Python 3.11: the operator's engine loads them
all when it is imported (`load_lazy_modules`), and the CLI's threads only run helm and kustomize.
"""

import importlib.util
import sys


def _lazy(name: str) -> None:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    # Bound on the package too, so that `from kgov.model import gateway` does not go through the
    # import system, which would read the module's attributes and so load it.
    globals()[name.rsplit(".", 1)[1]] = module


_LAZY = ("kgov.model.gateway", "kgov.model.autoscaling", "kgov.model.networking", "kgov.model.limits")
for _name in _LAZY:
    _lazy(_name)


def load_lazy_modules() -> None:
    """Run every lazily loaded module now, before threads could run one at the same time."""
    for name in _LAZY:
        vars(sys.modules[name])  # reading a lazy module's namespace runs it
