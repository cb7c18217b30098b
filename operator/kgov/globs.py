"""Shell-style globs, `fnmatch.fnmatchcase` without its regular expression for the common shapes.

fnmatch compiles every new pattern into a regular expression (0.1–0.2 ms each): the controller
catalogue's ~60 image patterns and the not-a-manifest file names were compiled at every start. Most
patterns, kgov's own and users', are a literal or hold one `*` between literal text, which string
comparisons decide exactly; anything else goes to fnmatch.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

_SPECIAL = frozenset("*?[")


def is_literal(pattern: str) -> bool:
    """Whether `pattern` matches only the name equal to it."""
    return _SPECIAL.isdisjoint(pattern)


def glob_match(name: str, pattern: str) -> bool:
    """`fnmatch.fnmatchcase(name, pattern)`: `*` matches any text (`/` too), `?` one character,
    `[...]` a set; case-sensitive."""
    if is_literal(pattern):
        return name == pattern
    if pattern.count("*") == 1 and "?" not in pattern and "[" not in pattern:
        head, tail = pattern.split("*")
        return len(name) >= len(head) + len(tail) and name.startswith(head) and name.endswith(tail)
    return fnmatchcase(name, pattern)


def literal_head(pattern: str) -> str:
    """The text every name `pattern` matches starts with: what precedes its first wildcard or set
    bracket (the whole pattern when it has none)."""
    return pattern[: min((i for i in map(pattern.find, "*?[") if i >= 0), default=len(pattern))]


def literal_tail(pattern: str) -> str:
    """The text every name `pattern` matches ends with: what follows its last wildcard or set bracket
    (the whole pattern when it has none)."""
    return pattern[max(pattern.rfind(c) for c in "*?[]") + 1 :]
