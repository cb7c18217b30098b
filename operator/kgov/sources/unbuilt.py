"""A kustomization that cannot be built (no kustomize or kubectl, or the build fails) is still read: the
files its `resources` list, as they are in the files, through the folders it lists that are
kustomizations themselves. What its transformations would change is not guessed:

- an object one of them can change (`namespace` where the object's own differs, `namePrefix`,
  `nameSuffix`, a patch whose target it may be, `images` naming one of its images, `replicas` naming
  it, and `labels`, `commonLabels`, `commonAnnotations`, `replacements`, `vars`, `components`,
  `transformers` or `configurations` for every object) is read, but every finding on it or naming it
  as a related object goes to `skipped` with the reason;
- every other finding on an object read this way says so in its evidence (`unbuilt`);
- what the build would add is not in the input (generated ConfigMaps and Secrets, Helm charts, remote
  resources, components' resources): the note says so, and checks that need those objects treat
  them as absent from the input, as for any partial input.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kgov.findings.model import Finding
from kgov.model.kinds import BY_KIND
from kgov.model.objects import KubeObject
from kgov.sources.discovery import kustomization_file, read_kustomization
from kgov.sources.files import Key, LoadResult, Unbuilt, read_source

# Keys whose transformation may change any object of the kustomization.
_EVERY_OBJECT = (
    "labels",
    "commonLabels",
    "commonAnnotations",
    "replacements",
    "vars",
    "components",
    "transformers",
    "configurations",
    "namePrefix",
    "nameSuffix",
)
_PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
_ADDS_OBJECTS = ("configMapGenerator", "secretGenerator", "helmCharts", "generators")


def changed(read: Unbuilt) -> dict[Key, str]:
    """The keys of the objects a transformation may change → why (the first file that holds one)."""
    found: dict[Key, str] = {}
    for (key, file), (kustomization, transforms) in read.items():
        if transforms and key not in found:
            found[key] = _reason(file, kustomization, transforms)
    return found


def _reason(file: str, kustomization: str, transforms: list[str]) -> str:
    return (
        f"read as it is in {file}: {kustomization} was not built, and these of its transformations may "
        f"change this object: {', '.join(transforms)}"
    )


@dataclass(slots=True)
class _Level:
    """One kustomization of the chain from the one that failed to the one listing a file."""

    file: Path
    content: dict[str, Any]


def read_unbuilt(folder: Path, why: str) -> LoadResult:
    """The objects of the files `folder`'s kustomization lists, each marked with the transformations
    that may change it (in `LoadResult.unbuilt`), and one note saying what was and was not read."""
    result = LoadResult()
    missing: list[str] = []
    _read_level(folder, [], result, missing, set())
    count, touched = len(result.unbuilt), len(changed(result.unbuilt))
    note = (
        f"{folder}: a kustomization, not built: {why}; its resources were read as they are in the files, "
        f"without its transformations (namespace, name prefix or suffix, labels, patches, images, replicas): "
        f"{count} object(s), findings on the {touched} a transformation may change are skipped"
    )
    if missing:
        note += f"; not read: {', '.join(sorted(set(missing)))}"
    result.notes.append(note)
    return result


def _read_level(
    folder: Path, chain: list[_Level], result: LoadResult, missing: list[str], seen: set[Path]
) -> None:
    found = kustomization_file(folder)
    if found is None or folder.resolve() in seen:
        missing.append(f"{folder} (no kustomization)" if found is None else f"{folder} (included twice)")
        return
    seen.add(folder.resolve())
    level = _Level(found, read_kustomization(found))
    chain = [*chain, level]
    content = level.content
    missing += [f"{key} of {found}" for key in _ADDS_OBJECTS if content.get(key)]
    for key in ("resources", "bases"):
        entries = content.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, str) or "://" in entry or not (folder / entry).exists():
                missing.append(f"{entry} (listed in {found}, not a local file or folder)")
                continue
            path = Path(os.path.normpath(folder / entry))
            if path.is_dir():
                _read_level(path, chain, result, missing, seen)
                continue
            loaded = read_source(path)
            loaded.not_manifests.clear()
            for obj in loaded.objects:
                where = obj.location.file if obj.location else str(path)
                result.unbuilt[(obj.key, where)] = (str(chain[0].file), _transforms(obj, chain))
            result.extend(loaded)


def _transforms(obj: KubeObject, chain: list[_Level]) -> list[str]:
    """The transformations of the chain that may change `obj` (empty: none can)."""
    found: list[str] = []
    for depth, level in enumerate(chain):
        level_found: list[str] = []
        content = level.content
        namespace = content.get("namespace")
        spec = BY_KIND.get(obj.kind)
        if isinstance(namespace, str) and namespace != obj.namespace and (spec is None or spec.namespaced):
            level_found.append(f"namespace {namespace}")
        level_found += [key for key in _EVERY_OBJECT if content.get(key)]
        if any(_targets(obj, target, level.file.parent) for target in _patch_targets(content)):
            level_found.append("patches")
        if any(_names_image(obj, entry) for entry in _entries(content, "images")):
            level_found.append("images")
        if any(isinstance(e, dict) and e.get("name") == obj.name for e in _entries(content, "replicas")):
            level_found.append("replicas")
        # The failed kustomization's own are named alone, those of a folder it includes with its file.
        found += level_found if depth == 0 else [f"{t} ({level.file})" for t in level_found]
    return list(dict.fromkeys(found))


def _entries(content: dict[str, Any], key: str) -> list[Any]:
    value = content.get(key)
    return value if isinstance(value, list) else []


def _patch_targets(content: dict[str, Any]) -> Iterator[dict[str, Any] | str | None]:
    """Each patch's target selector, its file or inline text when it has none, or None (unknown)."""
    for key in _PATCH_KEYS:
        for entry in _entries(content, key):
            if isinstance(entry, dict):
                target = entry.get("target")
                yield target if isinstance(target, dict) else entry.get("path") or entry.get("patch")
            else:
                yield entry if isinstance(entry, str) else None


def _targets(obj: KubeObject, target: dict[str, Any] | str | None, folder: Path) -> bool:
    """Whether a patch may apply to `obj`: when its target cannot be read, it may."""
    if isinstance(target, dict):
        if any(target.get(k) for k in ("labelSelector", "annotationSelector")):
            return target.get("kind") in (None, obj.kind)
        return _selects(target.get("kind"), obj.kind) and _selects(target.get("name"), obj.name)
    if not isinstance(target, str):
        return True
    documents = _patch_documents(target, folder)
    if documents is None:
        return True
    # A patch without a target applies to the object its own kind and name identify, as they are.
    return any(
        d.get("kind") in (None, obj.kind) and d["metadata"].get("name") in (None, obj.name) for d in documents
    )


def _patch_documents(target: str, folder: Path) -> list[dict[str, Any]] | None:
    """The documents of a strategic-merge patch (inline or a file), or None when they cannot be read."""
    try:
        text = target if "\n" in target else (folder / target).read_text(encoding="utf-8-sig")
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not documents or not all(
        isinstance(d, dict) and isinstance(d.get("metadata"), dict) for d in documents
    ):
        return None
    return documents


def _selects(pattern: object, value: str) -> bool:
    """A `target:` field: absent (or not a string) matches all; kustomize reads it as a regular expression
    anchored at both ends (`SelectorRegex`), so `web.v1` matches `web.v1` and `webXv1`, not every name.
    One Python cannot compile may match."""
    if not isinstance(pattern, str) or not pattern:
        return True
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True


def _names_image(obj: KubeObject, entry: object) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return True
    name = entry["name"]
    return any(image == name or image.startswith((f"{name}:", f"{name}@")) for image in _images(obj.raw))


def _images(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        image = value.get("image")
        if isinstance(image, str):
            yield image
        for item in value.values():
            yield from _images(item)
    elif isinstance(value, list):
        for item in value:
            yield from _images(item)


# ---- findings --------------------------------------------------------------------------------------


def qualify_findings(findings: list[Finding], unbuilt: Unbuilt) -> list[tuple[Finding, str]]:
    """Mark the findings on objects read without their kustomization's build (evidence `unbuilt`), in
    place; take out those on, or naming, an object a transformation may change, and return them
    with why."""
    if not unbuilt:
        return []
    touched = changed(unbuilt)
    kept: list[Finding] = []
    dropped: list[tuple[Finding, str]] = []
    for finding in findings:
        keys = [finding.target.key, *(r.key for r in finding.related)]
        reason = next((touched[k] for k in keys if k in touched), None)
        if reason is not None:
            dropped.append((finding, reason))
            continue
        where = finding.location.file if finding.location else None
        marked = unbuilt.get((finding.target.key, where)) if where else None
        if marked is not None:
            evidence = {
                **finding.evidence,
                "unbuilt": f"read as it is in the file: {marked[0]} was not built",
            }
            finding = dataclasses.replace(finding, evidence=evidence)
        kept.append(finding)
    findings[:] = kept
    return dropped
