"""A short string a regular expression matches, to probe regex paths and header patterns with.

Built from the parsed pattern (the standard library's own parser): literals as written, a class by
its first member, `.` as `a`, a repetition by its minimum (at least once), an alternation by its first
branch; anchors add nothing. Constructs it cannot follow (look-arounds, back-references) give None.
"""

from __future__ import annotations

import re
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

from kgov.regex import Undecided, compile_bounded

_CATEGORIES = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}


class _Unsupported(Exception):
    pass


MAX_EXAMPLE = 4096  # characters: `((a{1000}){1000}){1000}` must not build a gigabyte


def example(pattern: str) -> str | None:
    try:
        text = _walk(parser.parse(pattern))
        compiled = compile_bounded(pattern)
    except (_Unsupported, Undecided, re.error, RecursionError, OverflowError, ValueError):
        return None
    return text if compiled is not None and compiled.match(text) else None


def _walk(items: Any) -> str:
    return "".join(_item(op, arg) for op, arg in items)


def _item(op: Any, arg: Any) -> str:
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "ANY":
        return "a"
    if name == "NOT_LITERAL":
        return "b" if chr(arg) == "a" else "a"
    if name == "IN":
        return _member(arg)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, sub = arg
        inner = _walk(sub)
        if len(inner) * max(int(low), 1) > MAX_EXAMPLE:
            raise _Unsupported("too long")
        return inner * max(int(low), 1)
    if name == "SUBPATTERN":
        return _walk(arg[-1])
    if name == "ATOMIC_GROUP":
        return _walk(arg)
    if name == "BRANCH":
        return _walk(arg[1][0])
    if name == "AT":
        return ""
    if name == "CATEGORY":
        return _CATEGORIES.get(str(arg), "a")
    raise _Unsupported(name)


def _member(members: Any) -> str:
    op, arg = members[0]
    name = str(op)
    if name == "NEGATE":
        return "a" if len(members) > 1 and "a" not in _listed(members[1:]) else "~"
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return _CATEGORIES.get(str(arg), "a")
    raise _Unsupported(name)


def _listed(members: Any) -> str:
    return "".join(chr(arg) for op, arg in members if str(op) == "LITERAL")
