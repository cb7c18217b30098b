"""One YAML document through rapidyaml's tree, with exactly the values PyYAML's loader gives.

rapidyaml parses in C++ into a tree of raw scalars that keeps each scalar's style. The values are built
here: a quoted or block scalar is a string; a plain one is resolved by PyYAML's own YAML 1.1 resolver
table and built by the decode boundary's own constructors, so `0644` is 420, `yes` and `on` are true,
`y` stays a string and `"0644"` stays a string, as they are with the C loader.

Whatever this path does not build itself is left to PyYAML, which parses that document as before
(`load` returns `FALLBACK`): tags, anchors and aliases, merge keys, non-string or repeated keys,
directives, plain scalars starting with an indicator libyaml refuses, numbers a constructor refuses,
documents nested beyond the recursion limit, and every document rapidyaml cannot parse. So every error
is PyYAML's, with its line and wording, and `tests/test_fastyaml.py` checks that the values are the same
for every document of the corpus and the field set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import yaml
from yaml.resolver import Resolver

FALLBACK: Final = object()
_STR: Final = object()


class _Fallback(Exception):
    """This document is PyYAML's to parse."""


# What libyaml refuses or reads otherwise, and rapidyaml takes: characters libyaml reads as line breaks
# (CR, NEL, the Unicode separators) or refuses (C1 controls, a stray byte order mark, noncharacters);
# tabs, which the two separate differently (`a:<tab>b`, `[x<tab>]`; no manifest of the corpus or the
# field set has one);
# a plain scalar starting with a reserved indicator (`@`, `` ` ``), `%`, a closing bracket in block
# context, or `:` or `?` in flow context (`[?x]` is a mapping to libyaml); a `:` right before a flow
# separator (`[a:, b]`); and a flow collection over several lines, whose keys and separators libyaml
# reads more strictly.
_UNUSUAL_CHARACTER = re.compile("[\t\r\x80-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_INDICATOR = re.compile(r"[@`%\]}]")
# A flow collection starting a node (after a key, an item's dash or at a line's start), to its line's end.
_FLOW_TO_LINE_END = re.compile(r"[:?\n-][ \t]*[\[{][^\n]*")
# A block scalar's header (`|`, `>-`, `|2`), which libyaml reads strictly: after the indicators, only
# spaces and a comment (rapidyaml takes `|1 yes`); and none at a line's start (a document that is one
# block scalar, whose lines libyaml wants indented).
_BLOCK_HEADER = re.compile(r"([:?\n-] *)([|>][^\n]*)")
_VALID_HEADER = re.compile(r"[|>](?:[-+]?[1-9]?|[1-9][-+])(?: +#.*| *)")
_FLOW_SUSPECT = re.compile(r"[\[{,:][ \t]*[?:](?![ \t]|$)|[\[{,:][ \t]*\?|:[,\]}]")


def _libyaml_reads_otherwise(text: str) -> bool:
    if _UNUSUAL_CHARACTER.search(text):
        return True
    for match in _INDICATOR.finditer(text):
        if _starts_scalar(text, match.start()):
            return True
    if "|" in text or ">" in text:
        for before, header in _BLOCK_HEADER.findall("\n" + text):
            if before[0] == "\n" or (len(before) > 1 and not _VALID_HEADER.fullmatch(header)):
                return True
    if "[" not in text and "{" not in text:
        return False
    for tail in _FLOW_TO_LINE_END.findall("\n" + text):
        if tail.count("[") + tail.count("{") > tail.count("]") + tail.count("}"):
            return True
        if ("?" in tail or ":" in tail) and _FLOW_SUSPECT.search(tail):
            return True
    return False


def _starts_scalar(text: str, position: int) -> bool:
    """Whether the indicator at `position` may start a scalar: at a line's start, after a key's or an
    item's indicator and a space, or (`@`, `` ` ``, `%`) after a flow collection's opening or comma."""
    before = position - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    previous = text[before] if before >= 0 else "\n"
    spaced = before < position - 1
    if previous == "\n" or (spaced and previous in ":-?"):
        return True
    return text[position] in "@`%" and previous in "[{,"


# rapidyaml's node type bits (ryml.NodeType_e; `builder` checks the ones it can read from the module).
_VAL = 2
_MAP = 4
_SEQ = 8
_KEYNIL = 4096
_VALNIL = 8192
# A document or stream node (directives, `---`); anchors, aliases and tags on a key or a value.
_SPECIAL = 16 | 32 | 64 | 128 | 256 | 512 | 1024 | 2048
_NOT_SIMPLE_KEY = _SPECIAL | _KEYNIL
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_IMPLICIT = Resolver.yaml_implicit_resolvers
_CACHE_LIMIT = 100_000


def builder(loader: type[Any]) -> Builder | None:
    """A builder using the constructors of `loader`, or None without rapidyaml (an optional
    accelerator: on a platform without its wheel PyYAML parses everything)."""
    try:
        import ryml
        from ryml import _ryml
    except ImportError:  # pragma: no cover - a wheel of it is a dependency on the supported platforms
        return None
    bits = (ryml.VAL, ryml.MAP, ryml.SEQ, ryml.KEYNIL, ryml.VALNIL)
    if tuple(int(bit) for bit in bits) != (_VAL, _MAP, _SEQ, _KEYNIL, _VALNIL):  # pragma: no cover
        return None
    return Builder(loader, ryml, _ryml)


class Builder:
    """Builds one document at a time with the constructors of `loader` (instantiated once)."""

    def __init__(self, loader: type[Any], ryml: Any, native: Any) -> None:
        self._loader = loader("")
        self._parse = ryml.parse_in_arena
        self._keyquo, self._valquo, self._none = int(ryml.KEYQUO), int(ryml.VALQUO), int(ryml.NONE)
        self._type, self._key, self._val = native.Tree_type, native.Tree_key, native.Tree_val
        self._first, self._next = native.Tree_first_child, native.Tree_next_sibling
        # Plain scalars seen before: their value, or `_STR` for a string (manifests repeat them).
        self._plain: dict[str, Any] = {}

    def load(self, text: str) -> Any:
        """The value of the one document in `text`, or `FALLBACK`."""
        if _libyaml_reads_otherwise(text):
            return FALLBACK
        try:
            with _quiet_stderr():
                tree = self._parse(text.encode())
        except Exception:  # ryml.ExceptionParse and the like: PyYAML words the error
            return FALLBACK
        try:
            return self._document(tree)
        except (_Fallback, RecursionError, UnicodeDecodeError):
            return FALLBACK

    def _document(self, tree: Any) -> Any:
        root = tree.root_id()
        kind = self._type(tree, root)
        if kind & _SPECIAL:
            raise _Fallback
        if kind & _MAP:
            return self._mapping(tree, root)
        if kind & _SEQ:
            return self._sequence(tree, root)
        if kind & _VAL and not kind & _VALNIL:
            return self._scalar(self._val(tree, root), kind)
        return None  # nothing but comments, or an empty plain scalar

    def _mapping(self, tree: Any, node: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        entries = 0
        plain, kind_of, key_of, none = self._plain, self._type, self._key, self._none
        child = self._first(tree, node)
        while child != none:
            kind = kind_of(tree, child)
            if kind & _NOT_SIMPLE_KEY:
                raise _Fallback
            key = str(key_of(tree, child), "utf-8")
            if not kind & self._keyquo and plain.get(key) is not _STR and self._resolve(key) is not key:
                raise _Fallback  # a key that is not a string (`on:`, `1:`), or a merge key
            if kind & _MAP:
                result[key] = self._mapping(tree, child)
            elif kind & _SEQ:
                result[key] = self._sequence(tree, child)
            elif kind & _VALNIL:
                result[key] = None
            else:
                result[key] = self._scalar(self._val(tree, child), kind)
            entries += 1
            child = self._next(tree, child)
        if len(result) != entries:
            raise _Fallback  # a repeated key: PyYAML reports it with both lines
        return result

    def _sequence(self, tree: Any, node: int) -> list[Any]:
        result: list[Any] = []
        kind_of, none = self._type, self._none
        child = self._first(tree, node)
        while child != none:
            kind = kind_of(tree, child)
            if kind & _SPECIAL:
                raise _Fallback
            if kind & _MAP:
                result.append(self._mapping(tree, child))
            elif kind & _SEQ:
                result.append(self._sequence(tree, child))
            elif kind & _VALNIL:
                result.append(None)
            else:
                result.append(self._scalar(self._val(tree, child), kind))
            child = self._next(tree, child)
        return result

    def _scalar(self, raw: Any, kind: int) -> Any:
        text = str(raw, "utf-8")
        if kind & self._valquo:
            return text
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
