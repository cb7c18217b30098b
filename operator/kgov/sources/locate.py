"""Point findings and field errors at the line and column of the field they are about.

Loading builds plain Python objects, which carry no line numbers; composing every document would cost
more than the whole scan. Only the documents that findings or errors name are composed, afterwards, each
once. A path is followed as deep as the document has it: a container without `resources` is pointed at
by the container itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import yaml

from kgov.findings.model import Finding
from kgov.model.errors import InputError
from kgov.sources.files import LOADER, STDIN, split_documents

FieldPath = tuple[str | int, ...]


class _Composer(LOADER):  # type: ignore[misc]
    """The C loader's composer without resolving tags: only the nodes' kinds, keys and marks are read
    here, and resolving a tag is a Python call per node."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        return ""

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class Locator:
    """The text of every input and its composed documents, read and composed on first use."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts
        self._documents: dict[str, list[tuple[int, str]]] = {}
        self._nodes: dict[tuple[str, int], yaml.Node | None] = {}

    def position(self, file: str, document_line: int, path: FieldPath) -> tuple[int, int] | None:
        """(line, column), 1-based, of the deepest part of `path` in the document holding
        `document_line`; None when the file or document cannot be read again."""
        found = self._document(file, document_line)
        if found is None:
            return None
        start, node = found
        mark = _deepest(node, path)
        return start + mark.line, mark.column + 1

    def _document(self, file: str, line: int) -> tuple[int, yaml.Node] | None:
        documents = self._split(file)
        chosen = None
        for index, (start, _) in enumerate(documents):
            if start > line:
                break
            chosen = index  # the last document starting at or before the line (an empty one may share it)
        if chosen is None:
            return None
        key = (file, chosen)
        if key not in self._nodes:
            try:
                self._nodes[key] = yaml.compose(documents[chosen][1], Loader=_Composer)
            except yaml.YAMLError:
                self._nodes[key] = None
        node = self._nodes[key]
        return None if node is None else (documents[chosen][0], node)

    def _split(self, file: str) -> list[tuple[int, str]]:
        if file not in self._documents:
            text = self._texts.get(file)
            # Only a regular file can be read again: a pipe (<(...)) was consumed by the first read.
            if text is None and file != STDIN and Path(file).is_file():
                try:
                    text = Path(file).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    text = None
            self._documents[file] = [] if text is None else list(split_documents(text))
        return self._documents[file]


def _deepest(node: yaml.Node, path: FieldPath) -> yaml.Mark:
    """The mark of the deepest part of `path` found under `node`: a mapping entry's key (so the line
    is the one naming the field), a sequence item's start."""
    mark = node.start_mark
    for part in path:
        found = _child(node, part)
        if found is None:
            break
        mark, node = found
    return mark


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key.start_mark, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item.start_mark, item
    return None


def locate_findings(findings: list[Finding], locator: Locator) -> None:
    """Move each finding on a file to the line and column of the field it names, in place; a finding
    that names no field keeps the object's first line."""
    for index, finding in enumerate(findings):
        location = finding.location
        if location is None or location.line is None or location.file == "cluster":
            continue
        position = locator.position(location.file, location.line, (*location.prefix, *finding.path))
        if position is not None:
            line, column = position
            moved = dataclasses.replace(location, line=line, column=column)
            findings[index] = dataclasses.replace(finding, location=moved)


def refine_lines(errors: Iterable[InputError], texts: dict[str, str] | Locator) -> None:
    """Move each error that names a field path to the line of that field, in place."""
    locator = texts if isinstance(texts, Locator) else Locator(texts)
    for error in errors:
        if not error.path or error.line is None:
            continue
        position = locator.position(error.file, error.line, error.path)
        if position is not None:
            error.line = position[0]
