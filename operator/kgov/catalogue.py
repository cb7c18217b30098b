"""The controller and annotation catalogues: data files under `kgov/data/`, read when first needed.

`controllers.yaml` names every ingress or gateway controller kube-governor recognises (class controller
strings, images, annotation prefixes, config model, Gateway API maturity, lifecycle) and follows
`controllers.schema.json`. `annotations/<id>.yaml` lists one prefix's annotation keys. Both are held to
their schemas by the test suite (see `kgov.data`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, NamedTuple

from kgov.data import data_yaml
from kgov.globs import glob_match, literal_tail

# The ingress-nginx controller's id in controllers.yaml, and its annotation prefix unless the
# controller's `--annotations-prefix` says otherwise.
INGRESS_NGINX = "ingress-nginx"
NGINX_PREFIX = "nginx.ingress.kubernetes.io/"
NGINX_CONFIG_NAME = "ingress-nginx-controller"  # the chart's controller ConfigMap


class Annotation(NamedTuple):
    key: str
    category: str = "other"
    group: str | None = None
    risk: str | None = None
    scope: str | None = None
    reload: bool | None = None
    gateway: str | None = None
    channel: str | None = None
    since: str | None = None
    klass: str | None = None
    notes: str | None = None
    alias_of: str | None = None
    default: str | None = None  # the value used when the annotation is absent
    value: str | None = None  # the value type the controller parses (kgov.migration.values)

    def is_default(self, value: str) -> bool:
        return self.default is not None and value.strip().lower() == self.default.lower()


@dataclass(frozen=True)
class AnnotationCatalogue:
    id: str
    controller: str
    prefix: str
    complete: bool
    # The entries as read: `annotations` makes them on first use (most scans hold no Ingress whose
    # annotations are looked up; building the ~770 entries was 2 ms of every start).
    items: tuple[dict[str, Any], ...] = field(repr=False)

    @cached_property
    def annotations(self) -> dict[str, Annotation]:
        entries = {}
        for item in self.items:
            fields = {("klass" if k == "class" else k): v for k, v in item.items() if k != "key"}
            entries[item["key"]] = Annotation(key=item["key"], **fields)
        return entries

    def lookup(self, key: str) -> Annotation | None:
        """The entry for a key (without prefix), following an alias to its target; keys with a
        user-chosen part are written with `*` (`headers.*`)."""
        entry = self.annotations.get(key)
        if entry is None:
            entry = next((a for k, a in self.annotations.items() if "*" in k and glob_match(key, k)), None)
        if entry is not None and entry.alias_of:
            return self.annotations.get(entry.alias_of, entry)
        return entry


@dataclass(frozen=True, slots=True)
class Controller:
    id: str
    name: str
    ingress_class_controllers: tuple[str, ...]
    gateway_class_controllers: tuple[str, ...]
    legacy_class_annotation_values: tuple[str, ...]
    images: tuple[str, ...]
    control_plane_images: tuple[str, ...]
    fixed_cves: tuple[FixedCVE, ...]
    annotation_prefixes: tuple[str, ...]
    annotation_catalogues: tuple[str, ...]
    config_model: str
    churn: dict[str, str]
    gateway_support: str
    gateway_version: str | None
    lifecycle: str
    lifecycle_since: str | None
    lifecycle_notes: str | None
    sources: tuple[str, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def retired(self) -> bool:
        return self.lifecycle == "retired"

    def plane(self, image: str) -> str:
        """`control` for an image that only programs a data plane elsewhere, else `data`."""
        name = image_name(image)
        return "control" if any(glob_match(name, p) for p in self.control_plane_images) else "data"

    def vulnerable_to(self, version: tuple[int, ...], component: str) -> list[FixedCVE]:
        """The catalogued CVEs of this component that a controller of this version is open to."""
        return [cve for cve in self.fixed_cves if cve.component == component and cve.affects(version)]


class FixedCVE(NamedTuple):
    id: str
    component: str
    fixed_in: tuple[tuple[int, ...], ...]  # first fixed version of each release line
    summary: str
    source: str

    def affects(self, version: tuple[int, ...]) -> bool:
        """Vulnerable unless a fix of the version's own release line (major.minor) is at or below
        it, or the version is newer than every fixed line."""
        line = version[:2]
        for fixed in self.fixed_in:
            if fixed[:2] == line:
                return version < fixed
        return not any(version[:2] > fixed[:2] for fixed in self.fixed_in)


def parse_version(tag: str | None) -> tuple[int, ...] | None:
    """`v1.11.2`, `1.12.1-chroot`, `controller-v1.9.4` → (1, 11, 2); None when the tag has none."""
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", tag or "")
    return tuple(int(part) for part in match.groups()) if match else None


def image_name(image: str) -> str:
    """`registry.k8s.io/ingress-nginx/controller:v1.2@sha256:…` → `registry.k8s.io/ingress-nginx/controller`."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    if ":" in last:
        last = last.rsplit(":", 1)[0]
    return f"{head}/{last}" if head else last


def image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rpartition("/")[2]
    return last.rsplit(":", 1)[1] if ":" in last else None


_IMAGE_MEMO_LIMIT = 50_000


class Catalogue:
    """Every controller and annotation catalogue, with the lookups checks need."""

    def __init__(self, controllers: list[Controller], annotations: dict[str, AnnotationCatalogue]) -> None:
        self.controllers = controllers
        self.annotations = annotations
        self._ingress = {c: ctl for ctl in controllers for c in ctl.ingress_class_controllers}
        self._gateway = {c: ctl for ctl in controllers for c in ctl.gateway_class_controllers}
        self._by_id = {ctl.id: ctl for ctl in controllers}
        self._owners: dict[str, set[str]] = {}
        for ctl in controllers:
            for prefix in ctl.annotation_prefixes:
                self._owners.setdefault(prefix, set()).add(ctl.id)
        for catalogue in annotations.values():
            self._owners.setdefault(catalogue.prefix, set()).add(catalogue.controller)
        self._prefixes = sorted(self._owners, key=len, reverse=True)
        self._images_by_segment, self._images_unindexed = _index_images(controllers)
        # A cluster runs few distinct images over and over: match each against the patterns once.
        self._image_matches: dict[str, Controller | None] = {}

    def get(self, controller_id: str) -> Controller | None:
        return self._by_id.get(controller_id)

    def for_ingress_class(self, controller: str | None) -> Controller | None:
        return self._ingress.get(controller or "")

    def for_gateway_class(self, controller_name: str | None) -> Controller | None:
        return self._gateway.get(controller_name or "")

    def for_legacy_class(self, value: str) -> Controller | None:
        """The controller a `kubernetes.io/ingress.class` value conventionally means, if only one does."""
        found = [c for c in self.controllers if value in c.legacy_class_annotation_values]
        return found[0] if len(found) == 1 else None

    def for_image(self, image: str) -> Controller | None:
        if image not in self._image_matches:
            if len(self._image_matches) >= _IMAGE_MEMO_LIMIT:
                self._image_matches.clear()
            self._image_matches[image] = self._match_image(image_name(image))
        return self._image_matches[image]

    def _match_image(self, name: str) -> Controller | None:
        """The first controller (in catalogue order) with an image pattern `name` matches."""
        candidates = [*self._images_by_segment.get(name.rpartition("/")[2], ()), *self._images_unindexed]
        position = min((p for p, pattern in candidates if glob_match(name, pattern)), default=None)
        return None if position is None else self.controllers[position]

    def prefix_of(self, key: str, controller: Controller | None) -> tuple[str, set[str]] | None:
        """The controller prefix a key carries and the controllers that own it. A prefix several
        controllers share (`ingress.kubernetes.io/`) belongs to a key only when `controller`, the
        controller serving the object, is one of them."""
        for prefix in self._prefixes:
            if key.startswith(prefix):
                owners = self._owners[prefix]
                if len(owners) == 1 or (controller is not None and controller.id in owners):
                    return prefix, owners
                return None
        return None

    def catalogue_for(self, prefix: str, controller: Controller | None) -> AnnotationCatalogue | None:
        found = [a for a in self.annotations.values() if a.prefix == prefix]
        if len(found) > 1 and controller is not None:
            found = [a for a in found if a.controller == controller.id]
        return found[0] if len(found) == 1 else None


ImagePatterns = list[tuple[int, str]]  # (position of the controller in the catalogue, pattern)


def _index_images(controllers: list[Controller]) -> tuple[dict[str, ImagePatterns], ImagePatterns]:
    """The image patterns by the last path segment every name they match has (`*/cilium/cilium` →
    `cilium`), and those whose last segment holds a wildcard: an image is matched against the few
    patterns of its own last segment instead of every pattern of the catalogue."""
    by_segment: dict[str, ImagePatterns] = {}
    unindexed: ImagePatterns = []
    for position, controller in enumerate(controllers):
        for pattern in controller.images:
            tail = literal_tail(pattern)
            if "/" in tail or tail == pattern:
                by_segment.setdefault(tail.rpartition("/")[2], []).append((position, pattern))
            else:
                unindexed.append((position, pattern))
    return by_segment, unindexed


def _controller(entry: dict[str, Any]) -> Controller:
    gateway, lifecycle = entry["gateway_api"], entry["lifecycle"]
    return Controller(
        id=entry["id"],
        name=entry["name"],
        ingress_class_controllers=tuple(entry["ingress_class_controllers"]),
        gateway_class_controllers=tuple(entry["gateway_class_controllers"]),
        legacy_class_annotation_values=tuple(entry.get("legacy_class_annotation_values") or ()),
        images=tuple(entry["images"]),
        control_plane_images=tuple(entry.get("control_plane_images") or ()),
        fixed_cves=tuple(
            FixedCVE(
                cve["id"],
                cve["component"],
                tuple(tuple(int(p) for p in v.split(".")) for v in cve["fixed_in"]),
                cve["summary"],
                cve["source"],
            )
            for cve in entry.get("fixed_cves") or ()
        ),
        annotation_prefixes=tuple(entry["annotation_prefixes"]),
        annotation_catalogues=tuple(entry.get("annotation_catalogues") or ()),
        config_model=entry["config_model"],
        churn=dict(entry["churn"]),
        gateway_support=gateway["support"],
        gateway_version=gateway.get("version"),
        lifecycle=lifecycle["status"],
        lifecycle_since=str(lifecycle["since"]) if lifecycle.get("since") else None,
        lifecycle_notes=lifecycle.get("notes"),
        sources=tuple(entry["sources"]),
        raw=entry,
    )


def _annotation_catalogue(catalogue_id: str) -> AnnotationCatalogue:
    path = f"annotations/{catalogue_id}.yaml"
    data = data_yaml(path)
    return AnnotationCatalogue(
        id=catalogue_id,
        controller=data["controller"],
        prefix=data["prefix"],
        complete=bool(data.get("complete")),
        items=tuple(data.get("annotations") or ()),
    )


@cache
def load_catalogue() -> Catalogue:
    data = data_yaml("controllers.yaml")
    controllers = [_controller(entry) for entry in data["controllers"]]
    ids = {cid for c in controllers for cid in c.annotation_catalogues}
    return Catalogue(controllers, {cid: _annotation_catalogue(cid) for cid in sorted(ids)})
