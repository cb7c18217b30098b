"""Indented JSON text: the bytes `json.dumps(value, indent=2, default=str)` writes, from orjson's C
encoder where it gives the same ones (json's indenting encoder is pure Python, some 20x slower).

orjson writes non-ASCII characters (and DEL) as they are; with `ascii_only` they are escaped afterwards
as json escapes them. Values orjson writes otherwise are left to json: integers beyond 64 bits, lone
surrogates, nesting deeper than orjson's limit, and floats that Python writes with an exponent, NaN or
infinity (within 1e-4 to 1e16 both write the shortest round-trip digits). Dates, datetimes and
dataclasses go through `default` as with json.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable
from typing import Any

import orjson

_ESCAPE = "kgov-json-ascii"  # the error handler below


def indented(value: Any, ascii_only: bool = True, default: Callable[[Any], Any] | None = str) -> str:
    """`value` as JSON indented by two spaces, with a final newline: what `json.dumps(value, indent=2,
    ensure_ascii=ascii_only, default=default)` writes."""
    if _floats_alike(value):
        options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        try:
            text: str = orjson.dumps(value, default=default, option=options).decode()
        except orjson.JSONEncodeError:  # also a key that is not a string, which json converts
            pass
        else:
            if ascii_only and not text.isascii():
                text = text.encode("ascii", _ESCAPE).decode("ascii")
            if ascii_only and "\x7f" in text:  # ASCII, but not printable: json escapes it too
                text = text.replace("\x7f", "\\u007f")
            return text + "\n"
    return json.dumps(value, indent=2, default=default, ensure_ascii=ascii_only) + "\n"


def _escape(error: UnicodeError) -> tuple[str, int]:
    """An encoding error handler writing each non-ASCII character as json's `ensure_ascii` does."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code >= 0x10000:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error(_ESCAPE, _escape)


def _floats_alike(value: Any) -> bool:
    """No float in `value` that orjson writes otherwise than json."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        elif isinstance(item, float):
            if item != 0 and not (1e-4 <= abs(item) < 1e16 and math.isfinite(item)):
                return False
        elif isinstance(item, dict):
            extend(item.values())
        elif isinstance(item, list | tuple):
            extend(item)
    return True
