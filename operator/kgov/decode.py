"""The boundary every untrusted byte crosses: decoding and parsing with limits.

Text is decoded as YAML allows (UTF-8, UTF-16 or UTF-32, told apart by a byte order mark or by the
zero bytes around the first character), with CR and CRLF line breaks read as LF. YAML is parsed with
PyYAML's C parser under limits: the document size, the work aliases may expand to when a document is
walked, duplicate keys (the API server, kubectl and helm reject them), and the size of integers.
Timestamps stay strings, as they are to the API server. Once a scan has read `FAST_AFTER` characters
of manifests, they go through rapidyaml first (`fastyaml.py`: the same values, about 3x as fast), and
PyYAML parses what that path leaves to it: every error, alias and tag. JSON gets the same duplicate-key,
depth and integer checks. Every limit is a `LimitExceeded`, every other problem the parser's own error.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, BinaryIO, Final

import yaml
from yaml.constructor import ConstructorError

from kgov.data import YAML_LOADER

MAX_FILE = 512 * 1024 * 1024  # bytes of one input file (or of stdin)
READ_CHUNK = 1024 * 1024
MAX_DOCUMENT = 16 * 1024 * 1024  # characters of one YAML or JSON document (the API server takes 3 MiB)
MAX_NODES_PER_CHAR = 4  # alias expansion budget: nodes a document may expand to, per character of it
MIN_NODE_BUDGET = 100_000
MAX_DEPTH = 500  # nesting of JSON documents (libyaml stops YAML at 1,000 levels itself)
# Characters of YAML a run parses with PyYAML alone before rapidyaml takes over: importing it costs
# about 6 ms, which the faster parse pays back after about 60 KB (a pre-commit scan of a few files
# never imports it).
FAST_AFTER = 100_000

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# YAML allows no C0 control but tab and line breaks: text holding one (or DEL) is binary content.
_CONTROLS = "".join(map(chr, (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)))
_CONTROL = re.compile(f"[{_CONTROLS}]")
# In UTF-8 each of them is a byte of its own (no other character's encoding holds a byte below 0x80):
# the bytes are searched instead of the text, some 4x as fast.
_CONTROL_BYTES = _CONTROLS.encode()


class LimitExceeded(ValueError):
    """Input beyond one of the parser's limits; the message names the limit."""


def encoding_of(data: bytes) -> tuple[str, int]:
    """(codec, length of the byte order mark) by the rules of YAML 1.2, section 5.2."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    head = data[:4]
    if len(head) == 4 and head[:3] == b"\0\0\0":
        return "utf-32-be", 0
    if len(head) == 4 and head[1:] == b"\0\0\0":
        return "utf-32-le", 0
    if len(head) >= 2 and head[0] == 0:
        return "utf-16-be", 0
    if len(head) >= 2 and head[1] == 0:
        return "utf-16-le", 0
    return "utf-8", 0


def decode(data: bytes) -> str | None:
    """The text of `data` with line breaks as LF, or None when it is not text in a Unicode encoding."""
    codec, skip = encoding_of(data)
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError:
        return None
    if _has_control(data, skip) if codec == "utf-8" else _CONTROL.search(text):
        return None
    return normalise_newlines(text)


def _has_control(data: bytes, skip: int) -> bool:
    """Whether UTF-8 `data` (past a byte order mark of `skip` bytes) holds a `_CONTROL` character."""
    body = data[skip:] if skip else data
    return len(body.translate(None, _CONTROL_BYTES)) != len(body)


def read_limited(path: Path) -> bytes:
    """The bytes of a file or pipe, refusing more than `MAX_FILE` (/dev/zero never ends)."""
    with path.open("rb") as stream:
        return read_stream(stream)


def read_stream(stream: BinaryIO) -> bytes:
    """Everything in `stream`, read in pieces (one read of the limit would allocate all of it)."""
    chunks, size = [], 0
    while chunk := stream.read(READ_CHUNK):
        size += len(chunk)
        if size > MAX_FILE:
            raise LimitExceeded(f"larger than {MAX_FILE} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# ---- YAML -------------------------------------------------------------------------------------------


class _Loader(YAML_LOADER):  # type: ignore[misc]
    """The C loader, with duplicate keys refused and timestamps kept as the strings they are."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the key {key_node.value!r} twice (the API server rejects duplicate keys)",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        result: dict[Hashable, Any] = super().construct_mapping(node, deep)
        return result

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:
            raise ConstructorError(
                None, None, f"the number {node.value[:20]}… is too large", node.start_mark
            ) from None
        return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


FALLBACK: Final = object()  # what a faster path returns for a document PyYAML is to parse


class _Parsers:
    """PyYAML alone until `FAST_AFTER` characters have been parsed, then rapidyaml's builder first
    (`fastyaml.py`, imported then)."""

    def __init__(self, fast_after: int = FAST_AFTER) -> None:
        self.fast_after = fast_after
        self.parsed = 0
        self.fast: Any = None
        self.unavailable = False

    def load(self, text: str) -> Any:
        """The document's value, or `FALLBACK` for PyYAML to parse it."""
        if self.fast is None:
            self.parsed += len(text)
            if self.parsed <= self.fast_after or self.unavailable:
                return FALLBACK
            from kgov import fastyaml

            self.fast = fastyaml.builder(_Loader)
            if self.fast is None:
                self.unavailable = True
                return FALLBACK
        return self.fast.load(text)


_PARSERS = _Parsers()


def load_yaml(text: str, *, fast: bool = False) -> Any:
    """One YAML document, within the limits; raises `LimitExceeded` or a `yaml.YAMLError`. `fast`:
    a scan's manifests, which go through rapidyaml once a run has read `FAST_AFTER` characters of
    them (a configuration or kubeconfig never does: rapidyaml's parse silences file descriptor 2,
    which no other thread of the operator should lose a log line to)."""
    if len(text) > MAX_DOCUMENT:
        raise LimitExceeded(f"the document is larger than {MAX_DOCUMENT} characters")
    if fast:
        value = _PARSERS.load(text)
        if value is not FALLBACK:
            return value  # aliases and tags are PyYAML's, so nothing here can expand
    value = yaml.load(text, Loader=_Loader)
    if "*" in text:  # an alias: shared nodes, which a walk would visit once per reference
        check_expansion(value, max(MIN_NODE_BUDGET, MAX_NODES_PER_CHAR * len(text)))
    return value


def check_expansion(value: Any, budget: int) -> None:
    """Refuse a value whose walk (shared parts visited each time) exceeds `budget` nodes: a few
    hundred bytes of nested aliases expand to billions."""
    stack = [value]
    while stack:
        budget -= 1
        if budget < 0:
            raise LimitExceeded("aliases expand the document beyond the limit (an alias bomb?)")
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item.keys())
        elif isinstance(item, list):
            stack.extend(item)


# ---- JSON -------------------------------------------------------------------------------------------


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise LimitExceeded(f"the key {key!r} appears twice in one object (the API server rejects it)")
        result[key] = value
    return result


def load_json(text: str) -> Any:
    """One JSON document, within the limits; raises `LimitExceeded` or a `json.JSONDecodeError`."""
    if len(text) > MAX_DOCUMENT:
        raise LimitExceeded(f"the document is larger than {MAX_DOCUMENT} characters")
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except RecursionError:
        raise LimitExceeded(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError | LimitExceeded):
            raise
        raise LimitExceeded("a number has more than 4,300 digits") from None
    if text.count("[") + text.count("{") > MAX_DEPTH:  # only then can it be that deep
        check_depth(value)
    return value


def check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LimitExceeded(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
