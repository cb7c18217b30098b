"""Folder proximity of objects read from files: a repository often holds one object per environment
folder, and a reference resolves to the copy nearest the referring file."""

from __future__ import annotations

from kgov.model.objects import KubeObject


def shared_prefix(a: KubeObject, b: KubeObject) -> int:
    """How many leading path parts the two objects' files share (same file scores highest)."""
    if a.location is None or b.location is None:
        return 0
    parts_a, parts_b = a.location.tree_path.split("/"), b.location.tree_path.split("/")
    shared = 0
    for part_a, part_b in zip(parts_a, parts_b, strict=False):
        if part_a != part_b:
            break
        shared += 1
    return shared


def in_tree_of(holder: KubeObject, obj: KubeObject) -> bool:
    """Whether `obj`'s file lies in `holder`'s folder or below it (objects without a file always do)."""
    if holder.location is None or obj.location is None:
        return True
    folder = holder.location.tree_path.rpartition("/")[0]
    return obj.location.tree_path.startswith(folder + "/") if folder else True
