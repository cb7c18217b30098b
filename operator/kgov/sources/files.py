"""Read Kubernetes objects from files, folders and stdin, keeping each object's file and line.

Multi-document YAML is split on its `---` markers first, so each document is decoded on its own with
PyYAML's C loader: a broken document is reported with its line and the ones around it still load.
`kind: List` documents are expanded. `helm template` output is recognised by its `# Source:` comments,
and objects are attributed to the chart path they were rendered from.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kgov import decode as boundary
from kgov.data import YAML_LOADER
from kgov.model.errors import InputError, ObjectError, describe_path
from kgov.model.objects import KubeObject, Location, NotAnalysed, object_from_dict

LOADER = YAML_LOADER

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
_SEPARATOR = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r]|$)", re.MULTILINE)
_DIRECTIVES = re.compile(r"(?:[ \t]*(?:#.*)?\n)*(?:%[^\n]*\n(?:[ \t]*(?:#.*)?\n)*)+")
_HELM_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)


@dataclass(slots=True)
class LoadResult:
    objects: list[KubeObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    documents: int = 0
    # Text of inputs that cannot be read twice (stdin), for locating field errors later.
    texts: dict[str, str] = field(default_factory=dict)
    # Kinds a cluster listing read in full (listed, or not served at all), for completeness.
    listed: set[str] = field(default_factory=set)

    def extend(self, other: LoadResult) -> None:
        self.objects.extend(other.objects)
        self.listed |= other.listed
        self.errors.extend(other.errors)
        self.documents += other.documents
        self.texts.update(other.texts)


def discover(paths: Iterable[str]) -> tuple[list[Path | str], list[InputError]]:
    """Expand folders (recursively, skipping hidden entries) into manifest files, in a stable order."""
    found: list[Path | str] = []
    errors: list[InputError] = []
    for raw in paths:
        if raw == STDIN:
            found.append(STDIN)
            continue
        path = Path(raw)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            errors.append(InputError(raw, None, "no such file or folder"))
            continue
        except OSError as exc:  # a folder on the way that cannot be entered, a link loop, ...
            errors.append(InputError(raw, None, f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISDIR(mode):
            found.extend(_manifests_under(path, errors))
        else:  # a file, or a pipe such as the shell's <(...)
            found.append(path)
    return found, errors


def _manifests_under(root: Path, errors: list[InputError]) -> list[Path]:
    """Manifest files below `root`, sorted; hidden folders are not entered, symlinked ones not
    followed (the walk prunes them instead of listing and then dropping their files). A folder that
    cannot be read is an error: what was not read must not pass for nothing found."""

    def unreadable(exc: OSError) -> None:
        errors.append(InputError(str(exc.filename or root), None, f"cannot read the folder: {exc.strerror}"))

    found = []
    for folder, folders, names in os.walk(root, onerror=unreadable):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or name[name.rfind(".") :].lower() not in MANIFEST_SUFFIXES:
                continue
            path = Path(folder, name)
            if path.is_file():
                found.append(path)
    return sorted(found)


def read_source(source: Path | str, stdin_text: str | None = None) -> LoadResult:
    """Load one file (or stdin, whose text is passed in) and never raise for bad content."""
    name = str(source)
    if source == STDIN:
        result = load_text(stdin_text or "", STDIN)
        result.texts[STDIN] = stdin_text or ""
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
    _add_document(result, value, Location(name, 1))
    return result


def load_text(text: str, name: str) -> LoadResult:
    """Load a YAML stream of any number of documents."""
    result = LoadResult()
    empty = True
    for start_line, chunk in split_documents(text):
        location, rendered_from = _chunk_location(chunk, name, start_line)
        try:
            value = boundary.load_yaml(chunk)
        except yaml.YAMLError as exc:
            result.errors.append(_yaml_error(exc, name, start_line, rendered_from, chunk))
            empty = False
            continue
        except boundary.LimitExceeded as exc:
            result.errors.append(
                InputError(location.origin.file, location.origin.line, f"YAML refused: {exc}")
            )
            empty = False
            continue
        if value is None:
            continue
        empty = False
        _add_document(result, value, location)
    if empty:
        result.errors.append(InputError(name, 1, "holds no documents (empty file)"))
    return result


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each document. A `---` line starts a document (its rest belongs
    to it); a `...` line ends one, and what follows it before the next `---` is comments at most."""
    position, line = 0, 1
    directives: tuple[int, str] | None = None  # `%YAML`/`%TAG` lines, which belong to the next document
    for match in _SEPARATOR.finditer(text):
        chunk = text[position : match.start()]
        if directives is not None:
            yield directives[0], directives[1] + "---" + chunk
            directives = None
        elif _DIRECTIVES.fullmatch(chunk) and match.group(0) == "---":
            directives = (line, chunk)
        else:
            yield line, chunk
        line += text.count("\n", position, match.start())
        position = match.end()
    if directives is not None:
        yield directives[0], directives[1] + "---" + text[position:]
    else:
        yield line, text[position:]


def _chunk_location(chunk: str, name: str, start_line: int) -> tuple[Location, str | None]:
    """The object's location: the chart path for `helm template` output, else file and first key line."""
    where = Location(name, start_line + _first_key_line(chunk))
    # The substring test is a cheap necessary condition for the anchored pattern.
    source = _HELM_SOURCE.search(chunk, 0, 4096) if chunk.find("# Source: ", 0, 4096) >= 0 else None
    if source is not None:
        return Location(source.group(1), None, rendered=where), source.group(1)
    return where, None


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


def _add_document(result: LoadResult, value: Any, location: Location) -> None:
    result.documents += 1
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else f"a {type(value).__name__}"
        result.errors.append(
            InputError(
                location.file,
                location.line,
                f"expected a Kubernetes object (a mapping), got {kind}",
            )
        )
        return
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
        return
    _add_object(result, value, location, ())


def _add_object(
    result: LoadResult, raw: dict[str, Any], location: Location, prefix: tuple[str | int, ...]
) -> None:
    if prefix:
        location = Location(location.file, location.line, prefix, location.rendered)
    try:
        result.objects.append(object_from_dict(raw, location))
    except NotAnalysed:
        pass
    except ObjectError as exc:
        where = f"{describe_path(prefix)}: " if prefix else ""
        path = (*prefix, *exc.path)
        suffix = f" (rendered from {location.file})" if location.rendered else ""
        origin = location.origin
        result.errors.append(InputError(origin.file, origin.line, where + exc.message + suffix, path=path))


def load_paths(paths: Iterable[str], stdin_text: str | None = None) -> LoadResult:
    sources, errors = discover(paths)
    result = LoadResult(errors=errors)
    for source in sources:
        result.extend(read_source(source, stdin_text))
    return result
