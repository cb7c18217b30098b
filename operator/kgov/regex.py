"""Regular expressions taken from input (HTTPRoute RegularExpression matches, ingress-nginx `use-regex`
paths and canary header patterns), evaluated in bounded time and memory.

Patterns run on RE2 (PyPI `google-re2`): linear in the text, with a memory cap, so `/(a+)+$` or a
repetition bomb cannot hang or exhaust a scan. Gateway API implementations (Envoy among them) use RE2
themselves. A pattern RE2 refuses but Python's engine reads (look-arounds, back-references, or beyond
the memory cap) cannot be evaluated safely: `Undecided` is raised, and what depends on the match is
reported as not decided, never guessed. A pattern neither engine reads matches nothing.

Known differences from PCRE and Python that remain: `\\d`, `\\w` and `\\s` are ASCII only, and `$`
without the multi-line flag matches only at the very end (not before a final newline).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]

from kgov.model.evidence import EvidenceUnavailable

MAX_MEMORY = 8 * 1024 * 1024  # bytes RE2 may use for one compiled pattern
MAX_PATTERN = 4096  # characters


class Match(Protocol):
    def groups(self) -> tuple[Any, ...]: ...


class Pattern(Protocol):
    def match(self, text: str) -> Match | None: ...
    def search(self, text: str) -> Match | None: ...
    def fullmatch(self, text: str) -> Match | None: ...


class Undecided(EvidenceUnavailable):
    """A pattern kgov cannot evaluate within its bounds; the reason names it."""

    def __init__(self, pattern: str, why: str) -> None:
        shown = pattern if len(pattern) <= 80 else pattern[:80] + "…"
        super().__init__(f"could not decide the regular expression {shown!r}: {why}", whole_check=False)


@lru_cache(maxsize=4096)
def compile_bounded(pattern: str, ignore_case: bool = False) -> Pattern | None:
    """The pattern on RE2, None when it is not a regular expression at all (it matches nothing), or
    `Undecided` when only a backtracking engine could read it."""
    if len(pattern) > MAX_PATTERN:
        raise Undecided(pattern, f"longer than {MAX_PATTERN} characters")
    options = re2.Options()
    options.max_mem = MAX_MEMORY
    options.log_errors = False
    options.case_sensitive = not ignore_case
    try:
        compiled: Pattern = re2.compile(pattern, options)
        return compiled
    except re2.error as exc:
        problem = (
            exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        )
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    raise Undecided(pattern, f"needs a backtracking engine ({problem})")
