"""Read Kubernetes objects from files, folders and stdin, keeping each object's file and line.

Multi-document YAML is split on its `---` markers first, so each document is decoded on its own with
PyYAML's C loader: a broken document is reported with its line and the ones around it still load.
`kind: List` documents are expanded. A document without `apiVersion` and `kind` (a Helm values file, a
CI workflow) is not a Kubernetes object: it is set aside, and a file holding nothing else is counted
as not a manifest, never an input error. `helm template` output is recognised by its `# Source:` comments,
and each object keeps the rendered file and line as its location, with the chart's template path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kgov import decode as boundary
from kgov.data import YAML_LOADER
from kgov.model.errors import InputError, ObjectError, describe_path
from kgov.model.kinds import ANALYSED_KINDS
from kgov.model.objects import KubeObject, Location, NotAnalysed, object_from_dict
from kgov.sources.discovery import MANIFEST_SUFFIXES, STDIN, plan_inputs

LOADER = YAML_LOADER

__all__ = ["MANIFEST_SUFFIXES", "STDIN", "LoadResult", "discover", "load_paths", "load_text", "read_source"]
_MARKERS = ("---", "...")  # a line starting with one (and a blank or nothing) separates documents
_DIRECTIVES = re.compile(r"(?:[ \t]*(?:#.*)?\n)*(?:%[^\n]*\n(?:[ \t]*(?:#.*)?\n)*)+")
# apiVersion groups of configuration files shaped like objects that no cluster serves.
NOT_OBJECT_GROUPS = ("kustomize.config.k8s.io/",)
_HELM_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)


Key = tuple[str, str | None, str]  # (kind, namespace, name)
# (object key, file) → (the kustomization file not built, the transformations that may change it).
Unbuilt = dict[tuple[Key, str], tuple[str, list[str]]]


@dataclass(slots=True)
class LoadResult:
    objects: list[KubeObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    documents: int = 0
    # Text of inputs that cannot be read twice (stdin), for locating field errors later.
    texts: dict[str, str] = field(default_factory=dict)
    # Kinds a cluster listing read in full (listed, or not served at all), for completeness.
    listed: set[str] = field(default_factory=set)
    # Files read or set aside that hold no Kubernetes object (values, workflows, patches).
    not_manifests: list[str] = field(default_factory=list)
    # Inputs not scanned, each with why and how to scan them (a chart without helm on PATH).
    notes: list[str] = field(default_factory=list)
    # Chart templates whose entry in `texts` is their rendered output (see `sources/render.py`).
    rendered: set[str] = field(default_factory=set)
    # Objects read from a kustomization that could not be built (see `sources/unbuilt.py`).
    unbuilt: Unbuilt = field(default_factory=dict)

    def extend(self, other: LoadResult) -> None:
        self.objects.extend(other.objects)
        self.listed |= other.listed
        self.errors.extend(other.errors)
        self.documents += other.documents
        self.texts.update(other.texts)
        self.not_manifests.extend(other.not_manifests)
        self.notes.extend(other.notes)
        self.rendered.update(other.rendered)
        self.unbuilt.update(other.unbuilt)


def discover(paths: Iterable[str]) -> tuple[list[Path | str], list[InputError]]:
    """The manifest files `paths` name or hold, every file of chart and kustomization folders included
    (see `sources/discovery.py`; the CLI renders those folders instead), and the missing paths."""
    plan = plan_inputs(paths, render=False)
    return plan.files, plan.errors


def read_source(source: Path | str, stdin_text: str | None = None) -> LoadResult:
    """Load one file (or stdin, whose text is passed in) and never raise for bad content."""
    name = str(source)
    if source == STDIN:
        result = load_text(stdin_text or "", STDIN)
        result.texts[STDIN] = stdin_text or ""
        if result.not_manifests:  # a pipe that brings no object is a failed pipeline, not a repository file
            result.not_manifests.clear()
            result.errors.append(InputError(STDIN, 1, "no Kubernetes object on stdin (empty input?)"))
        return result
    try:
        data = boundary.read_limited(Path(source))
    except OSError as exc:
        return LoadResult(errors=[InputError(name, None, f"cannot read: {exc.strerror}")])
    except boundary.LimitExceeded as exc:
        return LoadResult(errors=[InputError(name, None, str(exc))])
    text = boundary.decode(data)
    if text is None:
        return LoadResult(
            errors=[InputError(name, 1, "not a text file (binary, or not UTF-8, UTF-16 or UTF-32)")]
        )
    if name.lower().endswith(".json"):
        return load_json(text, name)
    return load_text(text, name)


def load_json(text: str, name: str) -> LoadResult:
    try:
        value = boundary.load_json(text)
    except json.JSONDecodeError as exc:
        return LoadResult(errors=[InputError(name, exc.lineno, f"invalid JSON: {exc.msg}")])
    except boundary.LimitExceeded as exc:
        return LoadResult(errors=[InputError(name, 1, f"JSON refused: {exc}")])
    result = LoadResult()
    if not _add_document(result, value, Location(name, 1)):
        result.not_manifests.append(name)
    return result


def load_text(text: str, name: str) -> LoadResult:
    """Load a YAML stream of any number of documents."""
    result = LoadResult()
    kubernetes = False
    for start_line, chunk in split_documents(text):
        location, rendered_from = _chunk_location(chunk, name, start_line)
        try:
            value = boundary.load_yaml(chunk, fast=True)
        except yaml.YAMLError as exc:
            result.errors.append(_yaml_error(exc, name, start_line, rendered_from, chunk))
            continue
        except boundary.LimitExceeded as exc:
            result.errors.append(InputError(location.file, location.line, f"YAML refused: {exc}"))
            continue
        if value is None:
            continue
        kubernetes = _add_document(result, value, location) or kubernetes
    if not kubernetes and not result.errors:
        result.not_manifests.append(name)
    return result


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each document. A `---` line starts a document (its rest belongs
    to it); a `...` line ends one, and what follows it before the next `---` is comments at most."""
    position, line = 0, 1
    directives: tuple[int, str] | None = None  # `%YAML`/`%TAG` lines, which belong to the next document
    for start in _separators(text):
        chunk = text[position:start]
        if directives is not None:
            yield directives[0], directives[1] + "---" + chunk
            directives = None
        elif text.startswith("---", start) and _DIRECTIVES.fullmatch(chunk):
            directives = (line, chunk)
        else:
            yield line, chunk
        line += text.count("\n", position, start)
        position = start + 3
    if directives is not None:
        yield directives[0], directives[1] + "---" + text[position:]
    else:
        yield line, text[position:]


def _separators(text: str) -> list[int]:
    """Where each `---` or `...` that starts a line and is followed by a blank, a line break or the
    end of the text begins, in order: found with `str.find`, much faster than a regular expression
    that tries every line start."""
    found = [0] if _separates(text, 0) else []
    for marker in ("\n---", "\n..."):
        at = text.find(marker)
        while at >= 0:
            if _separates(text, at + 1):
                found.append(at + 1)
            at = text.find(marker, at + 4)
    found.sort()
    return found


def _separates(text: str, start: int) -> bool:
    """Whether the marker at `start` (`---` or `...`) separates documents: followed by a blank, a
    line break or the end of the text."""
    end = start + 3
    return text.startswith(_MARKERS, start) and (end == len(text) or text[end] in " \t\r\n")


def _chunk_location(chunk: str, name: str, start_line: int) -> tuple[Location, str | None]:
    """The object's location: file and first key line, with the chart's template path for `helm
    template` output (its `# Source:` comment)."""
    # The substring test is a cheap necessary condition for the anchored pattern.
    source = _HELM_SOURCE.search(chunk, 0, 4096) if chunk.find("# Source: ", 0, 4096) >= 0 else None
    template = source.group(1) if source is not None else None
    return Location(name, start_line + _first_key_line(chunk), template=template), template


def _first_key_line(chunk: str, limit: int = 64) -> int:
    """Offset of the first line that is not blank, a comment or a directive (at most `limit`),
    found without splitting the whole document into lines."""
    position = 0
    for offset in range(limit):
        end = chunk.find("\n", position)
        stripped = (chunk[position:] if end < 0 else chunk[position:end]).strip()
        if (stripped and not stripped.startswith(("#", "%")) and stripped != "---") or end < 0:
            return offset
        position = end + 1
    return limit


def _yaml_error(
    exc: yaml.YAMLError, name: str, start_line: int, rendered_from: str | None, chunk: str
) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = start_line + mark.line if mark is not None else start_line
    line = min(line, start_line + chunk.rstrip().count("\n"))  # an end-of-document error stays in it
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if rendered_from:
        message += f" in the document rendered from {rendered_from}"
    return InputError(name, line, message)


def is_kubernetes(value: Any) -> bool:
    """A Kubernetes document, possibly a broken one: a mapping with a string `apiVersion` and `kind`
    (a kustomize configuration file aside), one of a kind kgov analyses without its `apiVersion`, one
    with `apiVersion` and `metadata` but no `kind`, or a list of such mappings (a misplaced dash)."""
    if isinstance(value, list):
        return any(isinstance(item, dict) and _is_object(item) for item in value)
    return isinstance(value, dict) and _is_object(value)


def _is_object(value: dict[Any, Any]) -> bool:
    api_version, kind = value.get("apiVersion"), value.get("kind")
    if not isinstance(kind, str) or not kind:
        return isinstance(api_version, str) and isinstance(value.get("metadata"), dict)
    if isinstance(api_version, str):
        return not api_version.startswith(NOT_OBJECT_GROUPS)
    return kind in ANALYSED_KINDS


def _add_document(result: LoadResult, value: Any, location: Location) -> bool:
    """Add the objects of one decoded document; False when it is not a Kubernetes document. A kustomize
    configuration file is no manifest, but stays in the scope as a generator (`inventory/scope.py`)."""
    if not is_kubernetes(value):
        if isinstance(value, dict) and str(value.get("apiVersion", "")).startswith(NOT_OBJECT_GROUPS):
            _add_object(result, value, location, ())
        return False
    result.documents += 1
    if not isinstance(value, dict):
        result.errors.append(
            InputError(location.file, location.line, "expected a Kubernetes object (a mapping), got a list")
        )
        return True
    items = value.get("items")
    if str(value.get("kind", "")).endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                _add_object(result, item, location, ("items", index))
            else:
                result.errors.append(
                    InputError(
                        location.file,
                        location.line,
                        f"items[{index}] is not a mapping",
                        path=("items", index),
                    )
                )
        return True
    _add_object(result, value, location, ())
    return True


def _add_object(
    result: LoadResult, raw: dict[str, Any], location: Location, prefix: tuple[str | int, ...]
) -> None:
    if prefix:
        location = Location(location.file, location.line, prefix, template=location.template)
    try:
        result.objects.append(object_from_dict(raw, location))
    except NotAnalysed:
        pass
    except ObjectError as exc:
        where = f"{describe_path(prefix)}: " if prefix else ""
        path = (*prefix, *exc.path)
        suffix = f" (rendered from {location.template})" if location.template else ""
        result.errors.append(
            InputError(location.file, location.line, where + exc.message + suffix, path=path)
        )


def load_paths(paths: Iterable[str], stdin_text: str | None = None) -> LoadResult:
    sources, errors = discover(paths)
    result = LoadResult(errors=errors)
    for source in sources:
        result.extend(read_source(source, stdin_text))
    return result
