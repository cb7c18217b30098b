"""Indented JSON text: the bytes `json.dumps(value, indent=2, default=str)` writes, from orjson's C
encoder where it gives the same ones (json's indenting encoder is pure Python, some 20x slower).

orjson writes non-ASCII characters as they are; with `ascii_only` they are escaped afterwards as json
escapes them. Values orjson writes otherwise are left to json: integers beyond 64 bits, lone
surrogates, nesting deeper than orjson's limit, and floats that Python writes with an exponent, NaN or
infinity (within 1e-4 to 1e16 both write the shortest round-trip digits). Dates, datetimes and
dataclasses go through `default` as with json.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import orjson

_NON_ASCII = re.compile("[^\x00-\x7f]")


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
                text = _NON_ASCII.sub(_escape, text)
            return text + "\n"
    return json.dumps(value, indent=2, default=default, ensure_ascii=ascii_only) + "\n"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"


def _floats_alike(value: Any) -> bool:
    """No float in `value` that orjson writes otherwise than json."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float) and item != 0 and not (1e-4 <= abs(item) < 1e16 and math.isfinite(item)):
            return False
    return True
