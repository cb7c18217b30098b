"""An Ingress's controller annotations: which catalogue each key belongs to, and what a finding may
say about a value (never the value itself)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kgov.catalogue import INGRESS_NGINX, NGINX_PREFIX, Annotation, AnnotationCatalogue
from kgov.inventory.network import IngressView, Network


def value_digest(value: str) -> dict[str, Any]:
    """What a finding may say about an annotation value that could hold code or credentials."""
    return {"length": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()[:16]}


@dataclass(frozen=True, slots=True)
class ControllerKey:
    """One controller-specific annotation of an Ingress."""

    key: str  # the full key as written
    short: str  # without the prefix
    catalogue: AnnotationCatalogue | None
    entry: Annotation | None

    @property
    def category(self) -> str:
        return self.entry.category if self.entry else "other"

    @property
    def is_ingress_nginx(self) -> bool:
        return self.catalogue is not None and self.catalogue.controller == INGRESS_NGINX


def controller_keys(
    view: IngressView, network: Network, prefix: str = NGINX_PREFIX
) -> tuple[ControllerKey, ...]:
    """The Ingress's annotations under a known controller prefix, looked up in their catalogues.

    `prefix` is the ingress-nginx prefix in use (the controller's `--annotations-prefix`): its keys are
    read against the ingress-nginx catalogue whatever the prefix is. Several checks read them, so
    they are worked out once per Ingress and prefix in a scan.
    """
    return network.inventory.derived(
        f"controller_keys:{prefix}", view, lambda: tuple(_controller_keys(view, network, prefix))
    )


def _controller_keys(view: IngressView, network: Network, prefix: str) -> list[ControllerKey]:
    catalogue = network.catalogue
    keys = []
    for key in view.obj.annotations:
        if key.startswith(prefix):
            nginx = catalogue.annotations.get(INGRESS_NGINX)
            short = key[len(prefix) :]
            keys.append(ControllerKey(key, short, nginx, nginx.lookup(short) if nginx else None))
            continue
        found = catalogue.prefix_of(key, view.controller)
        if found is None or (found[0] == NGINX_PREFIX and prefix != NGINX_PREFIX):
            continue
        short = key[len(found[0]) :]
        owner = catalogue.catalogue_for(found[0], view.controller)
        keys.append(ControllerKey(key, short, owner, owner.lookup(short) if owner else None))
    return keys
