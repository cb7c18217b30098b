"""Desired Finding resources against the ones that exist: the creates, merge-patches and deletes that
make them equal, and nothing when they already are (the operator must never cause churn itself)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ObjectKey = tuple[str, str | None, str]  # (kind, namespace, name)

MANAGED_BY = "app.kubernetes.io/managed-by"


@dataclass(frozen=True, slots=True)
class Patch:
    """A JSON merge-patch of the main resource (`body`, may be empty) and of its status subresource."""

    kind: str
    namespace: str | None
    name: str
    body: dict[str, Any]
    status: dict[str, Any] | None = None

    @property
    def key(self) -> ObjectKey:
        return (self.kind, self.namespace, self.name)


@dataclass(slots=True)
class WritePlan:
    creates: list[dict[str, Any]] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    deletes: list[ObjectKey] = field(default_factory=list)
    report: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.creates) + len(self.patches) + len(self.deletes) + (self.report is not None)

    @property
    def empty(self) -> bool:
        return len(self) == 0


def key_of(body: Mapping[str, Any]) -> ObjectKey:
    metadata = body.get("metadata") or {}
    return (str(body.get("kind")), metadata.get("namespace") or None, str(metadata.get("name")))


def diff(
    desired: Mapping[ObjectKey, Mapping[str, Any]],
    existing: Mapping[ObjectKey, Mapping[str, Any]],
    keys: Iterable[ObjectKey],
    now: str,
) -> WritePlan:
    """The writes that bring `existing` to `desired` for `keys` (bodies are full Finding resources).

    `status.firstSeen` survives every update; `status.lastEvaluated` moves only when the finding
    changed, so an unchanged finding costs no write at all."""
    plan = WritePlan()
    for key in sorted(keys, key=_sortable):
        want, have = desired.get(key), existing.get(key)
        if want is None and have is not None:
            plan.deletes.append(key)
        elif want is not None and have is None:
            plan.creates.append(with_status(want, first_seen=now, now=now))
        elif want is not None and have is not None:
            patch = _patch(key, want, have, now)
            if patch is not None:
                plan.patches.append(patch)
    return plan


def with_status(body: Mapping[str, Any], first_seen: str, now: str) -> dict[str, Any]:
    return {**body, "status": {"firstSeen": first_seen, "lastEvaluated": now}}


def _patch(key: ObjectKey, want: Mapping[str, Any], have: Mapping[str, Any], now: str) -> Patch | None:
    body: dict[str, Any] = {}
    want_meta, have_meta = want.get("metadata") or {}, have.get("metadata") or {}
    labels = _changed_labels(want_meta.get("labels") or {}, have_meta.get("labels") or {})
    if labels:
        body.setdefault("metadata", {})["labels"] = labels
    if _owners(want_meta) != _owners(have_meta):
        body.setdefault("metadata", {})["ownerReferences"] = want_meta.get("ownerReferences") or []
    spec = merge_patch(have.get("spec") or {}, want.get("spec") or {})
    if spec:
        body["spec"] = spec
    status = have.get("status") or {}
    first_seen = status.get("firstSeen")
    if not body and first_seen and status.get("lastEvaluated"):
        return None
    return Patch(*key, body=body, status={"firstSeen": first_seen or now, "lastEvaluated": now})


def _changed_labels(want: Mapping[str, str], have: Mapping[str, str]) -> dict[str, str | None]:
    """Only our own labels are compared and written; labels others added are left alone."""
    return {k: v for k, v in want.items() if have.get(k) != v}


def _owners(metadata: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (o.get("apiVersion"), o.get("kind"), o.get("name"), o.get("uid"), bool(o.get("blockOwnerDeletion")))
        for o in metadata.get("ownerReferences") or ()
        if isinstance(o, Mapping)
    )


def merge_patch(old: Any, new: Any) -> Any:
    """RFC 7386 merge-patch turning `old` into `new` (None-valued keys count as absent); `{}` when
    equal. Lists are replaced whole, as merge-patch does."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {}
    for name, value in new.items():
        if value is None:
            continue
        before = old.get(name)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[name] = nested
        elif before != value or isinstance(before, bool) != isinstance(value, bool):
            patch[name] = value
    for name, value in old.items():
        if value is not None and new.get(name) is None:
            patch[name] = None
    return patch


def _sortable(key: ObjectKey) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2])
