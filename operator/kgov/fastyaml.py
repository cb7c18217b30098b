"""One YAML document through rapidyaml's tree, with exactly the values PyYAML's loader gives.

rapidyaml parses in C++ into a tree of raw scalars that keeps each scalar's style. The values are built
here: a quoted or block scalar is a string; a plain one is resolved by PyYAML's own YAML 1.1 resolver
table and built by the decode boundary's own constructors, so `0644` is 420, `yes` and `on` are true,
`y` stays a string and `"0644"` stays a string, as they are with the C loader.

Whatever this path does not build itself is left to PyYAML, which parses that document as before
(`Builder.load` returns `FALLBACK`): tags, anchors and aliases, merge keys, keys that are not strings or
repeat, directives and document markers, numbers a constructor refuses, nesting deeper than 200
levels, every document rapidyaml cannot parse, and what libyaml refuses or reads otherwise (below). So
every error is PyYAML's, with its line and wording, and `tests/test_fastyaml.py` checks the values are
the same for every document of the corpus and the field set and for generated scalars.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import yaml
from yaml.resolver import Resolver

from kgov.decode import FALLBACK as FALLBACK

_STR: Final = object()


class _Fallback(Exception):
    """This document is PyYAML's to parse."""


# What libyaml refuses or reads otherwise and rapidyaml takes, found by differential fuzzing. In the
# text: characters libyaml reads as line breaks (CR, NEL, the Unicode separators) or refuses (C1
# controls, a stray byte order mark, noncharacters); tabs, which the two separate differently
# (`a:<tab>b`, `[x<tab>]`; no document of the corpus or the field set has one); a block scalar header
# with more than indicators and a comment (`|1 yes`); and, where the tree has flow collections with
# entries, a flow node starting with `:` or `?` (`[?x]` is a mapping to libyaml), a `:` right before a
# flow separator (`[a:, b]`) or a comment. In the tree: a plain scalar starting with a reserved
# indicator (`@`, `` ` ``), `%` or a closing bracket, a flow collection over several lines, and a
# document that is one scalar.
_UNUSUAL_CHARACTER = re.compile("[\t\r\x80-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_BLOCK_HEADER = re.compile(r"[:?-] +([|>][^\n]*)")
_VALID_HEADER = re.compile(r"[|>](?:[-+]?[1-9]?|[1-9][-+])(?: +#.*| *)")
# From a line's first bracket to its end: where a flow collection on that line starts, and more.
_FLOW_TO_LINE_END = re.compile(r"[\[{][^\n]*")
_FLOW_SUSPECT = re.compile(r"[\[{,:?][ \t]*[?:](?![ \t]|$)|:[,\]}]| #")
_REFUSED_FIRST = frozenset("@`%]}")

# rapidyaml's node type bits (ryml.NodeType_e; `builder` checks them against the module's).
_VAL = 2
_MAP = 4
_SEQ = 8
_KEYNIL = 4096
_VALNIL = 8192
_FLOW_SL = 65536
_FLOW_ML = 131072
# A document or stream node (directives, `---`); anchors, aliases and tags on a key or a value.
_SPECIAL = 16 | 32 | 64 | 128 | 256 | 512 | 1024 | 2048
_NOT_SIMPLE = _SPECIAL | _FLOW_ML
_NOT_SIMPLE_ENTRY = _NOT_SIMPLE | _KEYNIL
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_IMPLICIT = Resolver.yaml_implicit_resolvers
_CACHE_LIMIT = 100_000
# Nesting built here; deeper documents are PyYAML's (libyaml stops at 1,000 levels, whatever Python's
# recursion limit is).
_MAX_DEPTH = 200


def builder(loader: type[Any]) -> Builder | None:
    """A builder using the constructors of `loader`, or None without rapidyaml (an optional
    accelerator: on a platform without its wheel PyYAML parses everything)."""
    try:
        import ryml
        from ryml import _ryml
    except ImportError:  # pragma: no cover - a wheel of it is a dependency on the supported platforms
        return None
    bits = (ryml.VAL, ryml.MAP, ryml.SEQ, ryml.KEYNIL, ryml.VALNIL, ryml.FLOW_SL, ryml.FLOW_ML)
    expected = (_VAL, _MAP, _SEQ, _KEYNIL, _VALNIL, _FLOW_SL, _FLOW_ML)
    if tuple(int(bit) for bit in bits) != expected:  # pragma: no cover - another binding's layout
        return None
    return Builder(loader, ryml, _ryml)


class Builder:
    """Builds one document at a time with the constructors of `loader` (instantiated once)."""

    def __init__(self, loader: type[Any], ryml: Any, native: Any) -> None:
        self._loader = loader("")
        self._parse = ryml.parse_in_arena
        self._keyquo, self._valquo, self._none = int(ryml.KEYQUO), int(ryml.VALQUO), int(ryml.NONE)
        self._type, self._key, self._val = native.Tree_type, native.Tree_key, native.Tree_val
        self._root, self._first, self._next = (
            native.Tree_root_id,
            native.Tree_first_child,
            native.Tree_next_sibling,
        )
        # Plain scalars seen before: their value, or `_STR` for a string (manifests repeat them).
        self._plain: dict[str, Any] = {}
        self._flow = False  # whether the document being built has a flow collection with entries

    def load(self, text: str) -> Any:
        """The value of the one document in `text`, or `FALLBACK`."""
        if _libyaml_reads_otherwise(text):
            return FALLBACK
        try:
            with _quiet_stderr():
                tree = self._parse(text.encode())
        except Exception:  # ryml.ExceptionParse and the like: PyYAML words the error
            return FALLBACK
        self._flow = False
        try:
            # The SWIG object itself, not its Python proxy: given the proxy, every call into the binding
            # looks its `this` up again, and costs about five times as much.
            value = self._document(tree.this)
        except (_Fallback, RecursionError, UnicodeDecodeError):
            return FALLBACK
        if self._flow and _flow_reads_otherwise(text):
            return FALLBACK
        return value

    def _document(self, tree: Any) -> Any:
        root = self._root(tree)
        kind = self._type(tree, root)
        if kind & (_NOT_SIMPLE | _VAL):  # markers, properties, or a document that is one scalar
            raise _Fallback
        if kind & _MAP:
            return self._mapping(tree, root, kind, 1)
        if kind & _SEQ:
            return self._sequence(tree, root, kind, 1)
        return None  # nothing but comments

    def _mapping(self, tree: Any, node: int, own: int, depth: int) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            raise _Fallback
        result: dict[str, Any] = {}
        entries = 0
        plain, kind_of, key_of, val_of, next_of = self._plain, self._type, self._key, self._val, self._next
        keyquo, valquo, none = self._keyquo, self._valquo, self._none
        child = self._first(tree, node)
        if own & _FLOW_SL and child != none:
            self._flow = True
        while child != none:
            kind = kind_of(tree, child)
            if kind & _NOT_SIMPLE_ENTRY:
                raise _Fallback
            key = str(key_of(tree, child), "utf-8")
            if not kind & keyquo and plain.get(key) is not _STR and self._resolve(key) is not key:
                raise _Fallback  # a key that is not a string (`on:`, `1:`), or a merge key
            if kind & _MAP:
                result[key] = self._mapping(tree, child, kind, depth + 1)
            elif kind & _SEQ:
                result[key] = self._sequence(tree, child, kind, depth + 1)
            elif kind & _VALNIL:
                result[key] = None
            else:
                text = str(val_of(tree, child), "utf-8")
                result[key] = text if kind & valquo else self._plain_value(text)
            entries += 1
            child = next_of(tree, child)
        if len(result) != entries:
            raise _Fallback  # a repeated key: PyYAML reports it with both lines
        return result

    def _sequence(self, tree: Any, node: int, own: int, depth: int) -> list[Any]:
        if depth > _MAX_DEPTH:
            raise _Fallback
        result: list[Any] = []
        kind_of, val_of, next_of = self._type, self._val, self._next
        valquo, none = self._valquo, self._none
        child = self._first(tree, node)
        if own & _FLOW_SL and child != none:
            self._flow = True
        while child != none:
            kind = kind_of(tree, child)
            if kind & _NOT_SIMPLE:
                raise _Fallback
            if kind & _MAP:
                result.append(self._mapping(tree, child, kind, depth + 1))
            elif kind & _SEQ:
                result.append(self._sequence(tree, child, kind, depth + 1))
            elif kind & _VALNIL:
                result.append(None)
            else:
                text = str(val_of(tree, child), "utf-8")
                result.append(text if kind & valquo else self._plain_value(text))
            child = next_of(tree, child)
        return result

    def _plain_value(self, text: str) -> Any:
        cached = self._plain.get(text, FALLBACK)
        if cached is _STR:
            return text
        return self._resolve(text) if cached is FALLBACK else cached

    def _resolve(self, text: str) -> Any:
        """The value of a plain scalar; `text` itself when it is a string."""
        value = self._construct(text)
        if len(self._plain) >= _CACHE_LIMIT:
            self._plain.clear()
        self._plain[text] = _STR if value is text else value
        return value

    def _construct(self, text: str) -> Any:
        if text[:1] in _REFUSED_FIRST:
            raise _Fallback  # libyaml refuses a plain scalar starting so
        tag = next((tag for tag, pattern in _IMPLICIT.get(text[:1], ()) if pattern.match(text)), None)
        if tag is None or tag == _TIMESTAMP:  # a string; timestamps stay strings (see `decode.py`)
            return text
        construct: Callable[..., Any] | None = self._loader.yaml_constructors.get(tag)
        if construct is None:  # `=` (a value key) and merge keys
            raise _Fallback
        try:
            return construct(self._loader, yaml.ScalarNode(tag, text))
        except yaml.YAMLError:
            raise _Fallback from None


def _libyaml_reads_otherwise(text: str) -> bool:
    if _UNUSUAL_CHARACTER.search(text):
        return True
    if "|" in text or ">" in text:
        return any(not _VALID_HEADER.fullmatch(header) for header in _BLOCK_HEADER.findall(text))
    return False


def _flow_reads_otherwise(text: str) -> bool:
    return any(
        ("?" in tail or ":" in tail or "#" in tail) and _FLOW_SUSPECT.search(tail) is not None
        for tail in _FLOW_TO_LINE_END.findall(text)
    )


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """rapidyaml prints every parse error on file descriptor 2 before raising it; the error is
    PyYAML's to report, so nothing is printed."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
