"""Point findings and field errors at the line and column of the field they are about.

Loading builds plain Python objects, which carry no line numbers; composing every document would cost
more than the whole scan. Only the documents that findings or errors name are read again, afterwards,
each once for all the fields asked of it: their parse events are followed along those fields' paths
and no further than the last field found or known to be absent (the document loaded, so what follows
parses). A path is followed as deep as the document has it: a container without `resources` is pointed
at by the container itself. Where an alias stands on a path, the document is composed and the alias's
node is the one it names, as PyYAML's composer has it.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Protocol

import yaml
from yaml import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from kgov.findings.model import Finding
from kgov.model.errors import InputError
from kgov.model.objects import Location
from kgov.sources.files import LOADER, STDIN, split_documents

FieldPath = tuple[str | int, ...]
Request = tuple[str, int, FieldPath]  # (file, a line of the document, the path in it)
Position = tuple[int, int]  # (line, column), 1-based


class _Mark(Protocol):
    """Where a node starts, 0-based (PyYAML's `Mark`, or its C loader's)."""

    line: int
    column: int


class Locator:
    """The text of every input, read and split into documents on first use."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts
        self._documents: dict[str, list[tuple[int, str]]] = {}  # (first line, text), in file order

    def positions(self, requests: Sequence[Request]) -> list[Position | None]:
        """The position of the deepest part of each request's path in the document holding its line;
        None when the file or document cannot be read again."""
        by_document: dict[tuple[str, int], list[int]] = {}
        for index, (file, line, _) in enumerate(requests):
            chosen = self._document(file, line)
            if chosen is not None:
                by_document.setdefault((file, chosen), []).append(index)
        found: list[Position | None] = [None] * len(requests)
        for (file, chosen), indices in by_document.items():
            start, text = self._split(file)[chosen]
            marks = _marks(text, [requests[index][2] for index in indices])
            for index, mark in zip(indices, marks, strict=True):
                if mark is not None:
                    found[index] = (start + mark.line, mark.column + 1)
        return found

    def _document(self, file: str, line: int) -> int | None:
        """The last document starting at or before `line` (an empty one may share it)."""
        chosen = bisect_right(self._split(file), line, key=itemgetter(0)) - 1
        return chosen if chosen >= 0 else None

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


def _marks(text: str, paths: list[FieldPath]) -> list[_Mark | None]:
    """The mark of the deepest part of each path in the one document of `text`."""
    try:
        return _Walk(text, paths).marks()
    except _AliasOnPath:
        try:
            node = yaml.compose(text, Loader=_Composer)
        except yaml.YAMLError:
            node = None
        return [None if node is None else _deepest(node, path) for path in paths]


class _AliasOnPath(Exception):
    """A part of a path is an alias, whose node is the one its anchor names."""


class _Done(Exception):
    """Every part of every path is found or known to be absent."""


class _Part:
    """A part of the paths asked for: the parts below it, and the mark where it was found."""

    __slots__ = ("children", "mark")

    def __init__(self) -> None:
        self.children: dict[str | int, _Part] = {}
        self.mark: _Mark | None = None


class _Walk:
    """One pass over a document's parse events along the paths asked for. A mapping entry's part is
    found at its key (the first key equal to it), a sequence item's at the item's start, as the
    composed nodes' marks have them."""

    def __init__(self, text: str, paths: list[FieldPath]) -> None:
        self._loader = LOADER(text)
        self._next: Callable[[], yaml.Event] = self._loader.get_event
        self._paths = paths
        self._root = _Part()
        self._pending = 0  # parts neither found nor known to be absent
        for path in paths:
            part = self._root
            for key in path:
                child = part.children.get(key)
                if child is None:
                    child = part.children[key] = _Part()
                    self._pending += 1
                part = child

    def marks(self) -> list[_Mark | None]:
        try:
            self._document()
        except _Done:
            pass
        except yaml.YAMLError:
            return [None] * len(self._paths)
        finally:
            self._loader.dispose()
        return [self._deepest(path) for path in self._paths]

    def _document(self) -> None:
        next_event = self._next
        next_event()  # the stream's start
        if not isinstance(next_event(), yaml.DocumentStartEvent):
            return
        root = next_event()
        if isinstance(root, yaml.DocumentEndEvent):
            return  # nothing but comments: no node
        self._root.mark = root.start_mark
        if self._pending:
            self._node(root, self._root)

    def _deepest(self, path: FieldPath) -> _Mark | None:
        part = self._root
        mark = part.mark
        for key in path:
            part = part.children[key]
            if part.mark is None:
                break
            mark = part.mark
        return mark

    def _node(self, event: yaml.Event, part: _Part) -> None:
        kind = event.__class__
        if not part.children:
            self._skip(event)
        elif kind is MappingStartEvent:
            self._mapping(part)
        elif kind is SequenceStartEvent:
            self._sequence(part)
        elif kind is AliasEvent:
            raise _AliasOnPath
        else:  # a scalar has no parts
            self._absent(part.children.values())

    def _mapping(self, part: _Part) -> None:
        wanted = {key: child for key, child in part.children.items() if isinstance(key, str)}
        self._absent(child for key, child in part.children.items() if not isinstance(key, str))
        next_event = self._next
        while (key := next_event()).__class__ is not MappingEndEvent:
            found = None
            if key.__class__ is ScalarEvent:
                found = wanted.pop(key.value, None) if wanted else None
            elif key.__class__ is AliasEvent and wanted:
                raise _AliasOnPath
            else:
                self._skip(key)
            value = next_event()
            if found is None:
                self._skip(value)
            else:
                found.mark = key.start_mark
                self._found()
                self._node(value, found)
        self._absent(wanted.values())

    def _sequence(self, part: _Part) -> None:
        wanted = {key: child for key, child in part.children.items() if isinstance(key, int) and key >= 0}
        self._absent(child for key, child in part.children.items() if key not in wanted)
        next_event = self._next
        index = 0
        while (item := next_event()).__class__ is not SequenceEndEvent:
            found = wanted.pop(index, None) if wanted else None
            if found is None:
                self._skip(item)
            elif item.__class__ is AliasEvent:
                raise _AliasOnPath
            else:
                found.mark = item.start_mark
                self._found()
                self._node(item, found)
            index += 1
        self._absent(wanted.values())

    def _skip(self, event: yaml.Event) -> None:
        """Consume the rest of the node `event` starts."""
        kind = event.__class__
        if kind is not MappingStartEvent and kind is not SequenceStartEvent:
            return
        next_event = self._next
        depth = 1
        while depth:
            kind = next_event().__class__
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1

    def _found(self) -> None:
        self._pending -= 1
        if not self._pending:
            raise _Done

    def _absent(self, parts: Iterable[_Part]) -> None:
        """`parts` and everything below them are not in the document."""
        stack = list(parts)
        if not stack:
            return
        while stack:
            part = stack.pop()
            self._pending -= 1
            stack.extend(part.children.values())
        if not self._pending:
            raise _Done


class _Composer(LOADER):  # type: ignore[misc]
    """The C loader's composer without resolving tags: only the nodes' kinds, keys and marks are read
    here, and resolving a tag is a Python call per node."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        return ""

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def _deepest(node: yaml.Node, path: FieldPath) -> _Mark:
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
    located: list[tuple[int, Location]] = []
    requests: list[Request] = []
    for index, finding in enumerate(findings):
        location = finding.location
        if location is None or location.line is None or location.file == "cluster":
            continue
        located.append((index, location))
        requests.append((location.file, location.line, (*location.prefix, *finding.path)))
    for (index, location), position in zip(located, locator.positions(requests), strict=True):
        if position is not None:
            line, column = position
            moved = dataclasses.replace(location, line=line, column=column)
            findings[index] = dataclasses.replace(findings[index], location=moved)


def refine_lines(errors: Iterable[InputError], texts: dict[str, str] | Locator) -> None:
    """Move each error that names a field path to the line of that field, in place."""
    locator = texts if isinstance(texts, Locator) else Locator(texts)
    named: list[InputError] = []
    requests: list[Request] = []
    for error in errors:
        if error.path and error.line is not None:
            named.append(error)
            requests.append((error.file, error.line, error.path))
    for error, position in zip(named, locator.positions(requests), strict=True):
        if position is not None:
            error.line = position[0]
