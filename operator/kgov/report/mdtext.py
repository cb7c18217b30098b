"""Markdown text primitives shared by the scan and gate reports: escaping, code spans, folded sections."""

from __future__ import annotations

import re

from kgov import escape as untrusted

MARKER = "<!-- kgov-report -->"

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """Text for a table cell or a list item: no raw HTML, no cell breaks, one line."""
    return "<br>".join(untrusted.markdown(part) for part in _NEWLINES.split(text.strip()))


def code(text: str, *, cell: bool = False) -> str:
    """A code span that survives backticks in the text; in a table `cell`, pipes are escaped (GFM
    unescapes `\\|` inside code spans in tables, and only there)."""
    text = untrusted.line(_NEWLINES.sub(" ", text))
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def details_open(summary: str) -> list[str]:
    return ["", "<details>", f"<summary>{summary}</summary>", ""]


DETAILS_CLOSE = ["", "</details>"]
