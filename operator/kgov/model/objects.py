"""The generic view of one Kubernetes object as read from a file or a cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from kgov.model.errors import ObjectError
from kgov.model.kinds import ANALYSED_KINDS
from kgov.model.names import describe, name_problem, namespace_problem


@dataclass(frozen=True, slots=True)
class Location:
    """Where an object (or a finding's field) is: a file (or `-` for stdin, or `cluster`), the line and,
    once a finding is located, the column."""

    file: str
    line: int | None = None
    # Field path of the object inside its document (`items[i]` of a kind: List), for locating fields.
    prefix: tuple[str | int, ...] = field(default=(), compare=False)
    # The column of a field-level location (1-based); None when only the line is known.
    column: int | None = None
    # `helm template` output: the chart's template file the document was rendered from (`# Source:`).
    template: str | None = field(default=None, compare=False)

    @property
    def tree_path(self) -> str:
        """The path that places the object among others by folder: its file, and for `helm template`
        output the template inside the rendered file (each chart of a rendered file is its own tree)."""
        return f"{self.file}/{self.template}" if self.template else self.file

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + ("" if self.column is None else f":{self.column}")


class ObjectRef(NamedTuple):
    """A reference to an object by kind, namespace and name (apiVersion kept for display and CRs)."""

    kind: str
    name: str
    namespace: str | None = None
    api_version: str = ""
    uid: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.kind, self.namespace, self.name)

    def display(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


class OwnerRef(NamedTuple):
    kind: str
    name: str
    uid: str | None
    controller: bool


@dataclass(slots=True)
class KubeObject:
    """An object with the metadata every check uses lifted out; the rest stays in `raw`."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    raw: Mapping[str, Any]
    location: Location | None = None
    uid: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    owners: tuple[OwnerRef, ...] = ()
    # One tuple however many indices hold the object by key (a cluster's store, children, inventory).
    key: tuple[str, str | None, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = (self.kind, self.namespace, self.name)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.name, self.namespace, self.api_version, self.uid)

    @property
    def api_group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def created(self) -> datetime | None:
        metadata = self.raw.get("metadata")
        return parse_time(metadata.get("creationTimestamp")) if isinstance(metadata, dict) else None

    def controller_owner(self) -> OwnerRef | None:
        for owner in self.owners:
            if owner.controller:
                return owner
        return None

    def display(self) -> str:
        return self.ref.display()


# Most objects have no annotations, many no labels: one empty map for them all.
_NO_STRINGS: Mapping[str, str] = MappingProxyType({})


def _string_map(value: Any, path: tuple[str | int, ...]) -> Mapping[str, str]:
    if value is None:
        return _NO_STRINGS
    if not isinstance(value, dict):
        raise ObjectError(f"expected a map of strings, got {type(value).__name__}", path)
    for key, item in value.items():
        if not isinstance(item, str):
            raise ObjectError(
                f"expected a string value, got {type(item).__name__} {item!r}", (*path, str(key))
            )
    return value


def _owners(value: Any) -> tuple[OwnerRef, ...]:
    if not isinstance(value, list):
        return ()
    fields = tuple(
        [
            (
                item["kind"],
                str(item.get("name", "")),
                item.get("uid") if isinstance(item.get("uid"), str) else None,
                item.get("controller") is True,
            )
            for item in value
            if isinstance(item, dict) and isinstance(item.get("kind"), str)
        ]
    )
    # The pods of one ReplicaSet name the same owner: one tuple for them all, found by the fields read
    # (a tuple of plain values hashes in C; the frozen dataclasses would hash in Python).
    found = _SHARED_OWNERS.get(fields)
    if found is None:
        if len(_SHARED_OWNERS) >= _MAX_SHARED_OWNERS:
            _SHARED_OWNERS.clear()
        found = _SHARED_OWNERS[fields] = tuple(OwnerRef(*owner) for owner in fields)
    return found


_SHARED_OWNERS: dict[tuple[tuple[str, str, str | None, bool], ...], tuple[OwnerRef, ...]] = {}
_MAX_SHARED_OWNERS = 1 << 16


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp as the API writes it (`2026-11-22T10:00:00Z`), or None if absent or bad.
    YAML may already have read it as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class NotAnalysed(Exception):
    """A well-formed document of a kind no check reads, lacking fields only analysed kinds need."""


def object_from_dict(raw: Mapping[str, Any], location: Location | None = None) -> KubeObject:
    """Lift the metadata out of a decoded document, or raise `ObjectError` naming the bad field."""
    api_version = raw.get("apiVersion")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ObjectError("not a Kubernetes object: it has no 'kind'", ("kind",))
    if not isinstance(api_version, str) or not api_version:
        raise ObjectError(f"{kind} has no 'apiVersion'", ("apiVersion",))
    metadata = raw.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ObjectError("expected 'metadata' to be a mapping", ("metadata",))
    generated = "name" not in metadata
    name = metadata.get("generateName") if generated else metadata.get("name")
    if name is None and kind == "Kustomization" and api_version.startswith("kustomize.config.k8s.io/"):
        name = "kustomization"  # a kustomization file names itself by its folder; it is kept as a generator
    if not isinstance(name, str) or not name:
        if kind not in ANALYSED_KINDS and name is None:
            raise NotAnalysed(kind)
        raise ObjectError(f"{kind} has no metadata.name", ("metadata", "name"))
    field_name = "generateName" if generated else "name"
    problem = name_problem(kind, name, kind in ANALYSED_KINDS, generated)
    if problem:
        raise ObjectError(
            f"{kind} {describe(f'metadata.{field_name}', name, problem)}", ("metadata", field_name)
        )
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise ObjectError("expected metadata.namespace to be a string", ("metadata", "namespace"))
    if namespace and (problem := namespace_problem(namespace)):
        raise ObjectError(
            f"{kind} {describe('metadata.namespace', namespace, problem)}", ("metadata", "namespace")
        )
    uid = metadata.get("uid")
    return KubeObject(
        api_version=api_version,
        kind=kind,
        name=name,
        namespace=namespace or None,
        raw=raw,
        location=location,
        uid=uid if isinstance(uid, str) else None,
        labels=_string_map(metadata.get("labels"), ("metadata", "labels")),
        annotations=_string_map(metadata.get("annotations"), ("metadata", "annotations")),
        owners=_owners(metadata.get("ownerReferences")),
    )
