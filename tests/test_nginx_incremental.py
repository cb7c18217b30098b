"""The ingress-nginx model kept one Ingress at a time (`NginxModel.replace`, the operator's engine) is
the model a build from every Ingress gives: servers, their rendered locations, canaries, conflicts
and dropped Ingresses (in the order a build finds them), after any sequence of Ingresses coming,
going and changing host, path, backend, annotations, creation time or class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kgov.catalogue import NGINX_PREFIX
from kgov.inventory import Inventory
from kgov.inventory.network import IngressView
from kgov.migration.nginx import NginxModel
from kgov.migration.parity import class_key
from kgov.model.objects import object_from_dict

Spec = dict[str, Any]

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"ports": [{"name": "http", "port": 8080}]},
}
ANNOTATIONS = {
    "regex": {"use-regex": "true"},
    "rewrite": {"rewrite-target": "/"},
    "canary-header": {"canary": "true", "canary-by-header": "x-canary"},
    "canary-weight": {"canary": "true", "canary-weight": "30"},
    "dropped": {"permanent-redirect-code": "soon"},
    "passthrough": {"ssl-passthrough": "true"},
    "app-root": {"app-root": "/home"},
}

HOSTS = st.sampled_from(["a.example.com", "b.example.com", "*.example.com", "", "x.a.example.com"])
PATHS = st.tuples(
    st.sampled_from(["/", "/api", "/api/", "/v1"]),
    st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]),
    st.sampled_from(["web", "api", "named"]),
)
SPECS = st.fixed_dictionaries(
    {
        "namespace": st.sampled_from(["shop", "edge"]),
        "class": st.sampled_from(["nginx", "nginx", "other"]),
        "created": st.sampled_from([None, None, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]),
        "annotations": st.lists(st.sampled_from(sorted(ANNOTATIONS)), max_size=2, unique=True),
        "default": st.sampled_from([None, None, "web", "api"]),
        "rules": st.lists(st.tuples(HOSTS, st.lists(PATHS, max_size=3)), max_size=3),
        "tls": st.booleans(),
    }
)
SLOTS = 5
STEPS = st.lists(st.tuples(st.integers(0, SLOTS - 1), st.one_of(st.none(), SPECS)), min_size=1, max_size=12)


def _backend(name: str) -> dict[str, Any]:
    port = {"name": "http"} if name == "named" else {"number": 80}
    return {"service": {"name": "web" if name == "named" else name, "port": port}}


def _body(slot: int, spec: Spec) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": f"ing-{slot}", "namespace": spec["namespace"]}
    if spec["created"]:
        metadata["creationTimestamp"] = spec["created"]
    notes = {NGINX_PREFIX + k: v for name in spec["annotations"] for k, v in ANNOTATIONS[name].items()}
    if notes:
        metadata["annotations"] = notes
    rules = []
    for host, paths in spec["rules"]:
        rule: dict[str, Any] = {"host": host} if host else {}
        if paths:
            rule["http"] = {
                "paths": [{"path": p, "pathType": t, "backend": _backend(b)} for p, t, b in paths]
            }
        rules.append(rule)
    body: dict[str, Any] = {"ingressClassName": spec["class"], "rules": rules}
    if spec["default"]:
        body["defaultBackend"] = _backend(spec["default"])
    if spec["tls"]:
        body["tls"] = [{"secretName": "cert"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": body}


def _state(model: NginxModel) -> dict[str, Any]:
    """Everything the checks and the parity read of a model, with Ingresses by identity."""

    def ref(view: IngressView | None) -> int | None:
        return id(view) if view is not None else None

    servers = {
        host: (
            [(loc.path, loc.path_type, ref(loc.ingress), loc.backend) for loc in server.locations],
            (ref(server.default[0]), server.default[1]) if server.default else None,
            (ref(server.passthrough[0]), server.passthrough[1]) if server.passthrough else None,
            server.regex,
            server.tls,
            ref(server.first),
            [(r.modifier, r.path, ref(r.location.ingress)) for r in model.render(server)],
            model.duplicates(server),
        )
        for host, server in model.servers.items()
    }
    return {
        "servers": servers,
        "canaries": {backend: (ref(c.ingress), c.backend, c.rule) for backend, c in model.canaries.items()},
        "conflicts": [(c.host, c.subject, ref(c.kept), ref(c.other)) for c in model.conflicts],
        "dropped": [(ref(view), invalid.key) for view, invalid in model.dropped],
        "wildcards": sorted(model._wildcards),
        "served": {h: ref(s.first) if (s := model.server_for(h)) else None for h in _PROBED},
    }


_PROBED = ["a.example.com", "b.example.com", "z.example.com", "x.a.example.com", "kgov-probe.invalid"]


def _views(bodies: list[dict[str, Any]]) -> tuple[Inventory, list[IngressView]]:
    inventory = Inventory([object_from_dict(b) for b in [SERVICE, *bodies]])
    views = inventory.network.ingresses
    assert len(views) == len(bodies)
    return inventory, views


def _spec(
    rules: Sequence[tuple[str, str]] = (), default: str | None = None, notes: Sequence[str] = ()
) -> Spec:
    """An Ingress of class nginx in shop without a creation time: rules of (host, backend) on `/`."""
    return {
        "namespace": "shop",
        "class": "nginx",
        "created": None,
        "annotations": list(notes),
        "default": default,
        "rules": [(host, [("/", "Prefix", backend)]) for host, backend in rules],
        "tls": False,
    }


# Two catch-all default backends and a path defined twice: the catch-all's conflict comes first.
@example(
    initial=[_spec(default="api"), _spec(default="web"), _spec([("a.example.com", "api")]),
             _spec([("a.example.com", "web")])],
    steps=[(4, _spec([("b.example.com", "web")]))],
)  # fmt: skip
# A canary whose Service stops being a primary backend elsewhere is merged.
@example(
    initial=[_spec([("a.example.com", "api")], notes=["canary-header"]), _spec([("a.example.com", "web")]),
             _spec([("b.example.com", "api")])],
    steps=[(2, None)],
)  # fmt: skip
@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(SPECS, max_size=SLOTS), STEPS)
def test_a_model_kept_one_ingress_at_a_time_is_the_model_built_from_all(
    initial: list[Spec], steps: list[tuple[int, Spec | None]]
) -> None:
    versions = [(slot, spec) for slot, spec in enumerate(initial)]
    versions += [(slot, spec) for slot, spec in steps if spec is not None]
    inventory, views = _views([_body(slot, spec) for slot, spec in versions])
    by_version = iter(views)
    current: dict[int, IngressView] = {slot: next(by_version) for slot, _ in enumerate(initial)}
    pending = [(slot, next(by_version) if spec is not None else None) for slot, spec in steps]
    models = _by_class(list(current.values()), inventory)
    for slot, new in pending:
        old = current.pop(slot, None)
        if new is not None:
            current[slot] = new
        for view in (old, new):
            if view is not None and class_key(view) not in models:
                models[class_key(view)] = NginxModel([], inventory.network)
        if old is not None and new is not None and class_key(old) == class_key(new):
            models[class_key(old)].replace(old, new)
        else:
            if old is not None:
                models[class_key(old)].replace(old, None)
            if new is not None:
                models[class_key(new)].replace(None, new)
        fresh = _by_class(list(current.values()), inventory)
        kept = {key: _state(model) for key, model in models.items() if not model.empty}
        assert kept == {key: _state(model) for key, model in fresh.items()}


def _by_class(views: list[IngressView], inventory: Inventory) -> dict[str, NginxModel]:
    groups: dict[str, list[IngressView]] = {}
    for view in views:
        groups.setdefault(class_key(view), []).append(view)
    return {key: NginxModel(group, inventory.network) for key, group in groups.items()}
