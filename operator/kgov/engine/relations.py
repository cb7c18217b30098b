"""Which IngressClass / GatewayClass an object's changes reach: rebuilt from the inventory whenever the
network objects change, read on every watch event to attribute churn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from kgov.inventory import Inventory
from kgov.model.facts import ClassKey
from kgov.model.objects import KubeObject

ServiceKey = tuple[str | None, str]  # (namespace, name)
_MAX_LABEL_SETS = 65536


@dataclass(slots=True)
class Relations:
    classes_of_service: dict[ServiceKey, set[ClassKey]] = field(default_factory=dict)
    classes_of_secret: dict[ServiceKey, set[ClassKey]] = field(default_factory=dict)
    selectors: dict[str | None, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    class_of_gateway: dict[ServiceKey, str] = field(default_factory=dict)
    default_ingress_class: str | None = None
    # Namespaces whose routes point at Services of another namespace, by that other namespace.
    route_namespaces_by_backend: dict[str | None, set[str | None]] = field(default_factory=dict)
    # Namespaces of the Ingresses and routes naming a host, by the keys it is stored under (see
    # `stored_keys`): an Ingress's migration checks read every Ingress and route of its hosts, whatever
    # their namespace.
    namespaces_by_host: dict[HostKey, set[str | None]] = field(default_factory=dict)
    # `classes_for_labels` by namespace and labels: the pods of a workload share theirs.
    _by_labels: dict[tuple[str | None, frozenset[tuple[str, str]]], set[ClassKey]] = field(
        default_factory=dict
    )

    def namespaces_sharing_hosts(self, obj: KubeObject) -> set[str | None] | None:
        """Namespaces holding Ingresses or routes that may serve a host this object names; None when the
        object names no host (it may then serve any)."""
        hosts = object_hosts(obj)
        if not hosts:
            return None
        found: set[str | None] = set()
        for host in hosts:
            for key in meeting_keys(host):
                found |= self.namespaces_by_host.get(key, set())
        return found

    def classes_for_labels(self, namespace: str | None, labels: Mapping[str, str]) -> set[ClassKey]:
        """Classes serving the Services whose selectors pick pods with these labels."""
        key = (namespace, frozenset(labels.items()))
        found = self._by_labels.get(key)
        if found is None:
            if len(self._by_labels) >= _MAX_LABEL_SETS:  # rollouts bring new ones: never grows unbounded
                self._by_labels.clear()
            found = self._by_labels[key] = self._classes_for_labels(namespace, labels)
        return found

    def _classes_for_labels(self, namespace: str | None, labels: Mapping[str, str]) -> set[ClassKey]:
        found: set[ClassKey] = set()
        for name, selector in self.selectors.get(namespace, ()):
            if all(labels.get(k) == v for k, v in selector.items()):
                found |= self.classes_of_service.get((namespace, name), set())
        return found


def build_relations(inventory: Inventory) -> Relations:
    network = inventory.network
    services: dict[ServiceKey, set[ClassKey]] = defaultdict(set)
    secrets: dict[ServiceKey, set[ClassKey]] = defaultdict(set)
    routes_by_backend: dict[str | None, set[str | None]] = defaultdict(set)
    defaults = [v.obj.name for v in network.ingress_classes if v.is_default]
    relations = Relations(default_ingress_class=defaults[0] if len(defaults) == 1 else None)
    for ingress in network.ingresses:
        name = ingress.class_name or relations.default_ingress_class
        if name is None:
            continue
        key = ("IngressClass", name)
        namespace = ingress.obj.namespace
        for backend in ingress.ingress.backends():
            if backend.service is not None:
                services[(namespace, backend.service.name)].add(key)
        for tls in ingress.ingress.spec.tls:
            if tls.secret_name:
                secrets[(namespace, tls.secret_name)].add(key)
    for gateway in network.gateways:
        relations.class_of_gateway[(gateway.obj.namespace, gateway.obj.name)] = (
            gateway.gateway.spec.gateway_class_name
        )
    for route in network.routes:
        keys = {("GatewayClass", c.obj.name) for c in network.route_classes(route)}
        for ref in route.route.backend_refs():
            if ref.is_service:
                namespace = ref.namespace or route.obj.namespace
                services[(namespace, ref.name)] |= keys
                if namespace != route.obj.namespace:
                    routes_by_backend[namespace].add(route.obj.namespace)
    for view in network.services.values():
        selector = view.service.spec.selector
        if selector:
            relations.selectors.setdefault(view.obj.namespace, []).append((view.obj.name, dict(selector)))
    relations.classes_of_service = dict(services)
    relations.classes_of_secret = dict(secrets)
    relations.route_namespaces_by_backend = dict(routes_by_backend)
    by_host: dict[HostKey, set[str | None]] = defaultdict(set)
    for subject in [*(i.obj for i in network.ingresses), *(r.obj for r in network.routes)]:
        for host in object_hosts(subject):
            for host_key in stored_keys(host):
                by_host[host_key].add(subject.namespace)
    relations.namespaces_by_host = dict(by_host)
    return relations


def object_hosts(obj: KubeObject) -> list[str]:
    """The hostnames an Ingress's rules or a route's `hostnames` name, lowercased."""
    spec = obj.raw.get("spec")
    if not isinstance(spec, Mapping):
        return []
    if obj.kind == "Ingress":
        rules = spec.get("rules")
        names = [r.get("host") for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []
    else:
        hostnames = spec.get("hostnames")
        names = list(hostnames) if isinstance(hostnames, list) else []
    return [n.lower() for n in names if isinstance(n, str) and n]


# Where hosts meet: ("=", name) an exact name; ("*", ".suffix") a wildcard `*.suffix`; ("<", ".suffix")
# any name or wildcard below that suffix. Gateway API wildcards match any number of labels, Ingress ones
# a single label: the keys meet for both (a superset is safe, it only re-runs more).
HostKey = tuple[str, str]


def stored_keys(host: str) -> Iterator[HostKey]:
    """The keys a host is stored under."""
    if host.startswith("*."):
        suffix = host[1:]
        yield ("*", suffix)
    else:
        suffix = host
        yield ("=", host)
    yield from (("<", s) for s in _suffixes(suffix))


def meeting_keys(host: str) -> Iterator[HostKey]:
    """The keys under which every stored host that may intersect `host` is found: for an exact name,
    itself and the wildcards above it; for a wildcard, itself, the wildcards above it and everything
    below it."""
    if host.startswith("*."):
        suffix = host[1:]
        yield ("*", suffix)
        yield ("<", suffix)
    else:
        suffix = host
        yield ("=", host)
    yield from (("*", s) for s in _suffixes(suffix))


def _suffixes(name: str) -> Iterator[str]:
    """The proper label suffixes of a name, each with its leading dot: `a.b.c` → `.b.c`, `.c`."""
    start = name.find(".", 1)
    while start != -1:
        yield name[start:]
        start = name.find(".", start + 1)
