"""Escaping for text kgov did not write (names, annotation values, messages quoting them).

Every emitter passes such text through one of these before it reaches a terminal, a YAML comment,
Markdown or XML: nothing read from input can start a new line, a terminal control sequence, a
Markdown link or mention, or a character an XML parser rejects.
"""

from __future__ import annotations

import json
import re
from functools import cache

# C0 and C1 controls, DEL, lone surrogates, the Unicode line and paragraph separators, and the bidi
# controls that reorder what a terminal or browser shows ("Trojan source").
_OTHER_UNSAFE = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_MAX_QUOTED = 120


# Every pattern here is compiled on first use: a JSON report of valid input uses none of them.
@cache
def _unsafe(multiline: bool) -> re.Pattern[str]:
    """What to escape: the controls above and C0 (with `multiline`, tab and newline are kept)."""
    return re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]" if multiline else f"[\x00-\x1f{_OTHER_UNSAFE}]")


def _visible(found: re.Match[str]) -> str:
    char = found.group(0)
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def line(text: str) -> str:
    """One line of plain text: every control character (newlines too) shown as a `\\xNN` escape."""
    return _unsafe(False).sub(_visible, text)


def terminal(text: str) -> str:
    """Text for a terminal: line breaks and tabs kept, every other control character escaped."""
    return _unsafe(True).sub(_visible, text)


def quoted(text: str, limit: int = _MAX_QUOTED) -> str:
    """A value read from input, quoted for a message: a JSON string of at most `limit` characters."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return line(json.dumps(shown, ensure_ascii=False))


# Markdown: what could open a link or an image (`[`), break a table cell, or undo an escape. Emphasis
# and backticks are left alone: they restyle text (kgov's own messages use code spans), and nothing
# inside a code span is live.
# Only the Markdown report uses these.
@cache
def _markdown_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(r"([\\\[\]|])"), re.compile(r"(?i)(://|www\.)")


def markdown(text: str) -> str:
    """Inline Markdown (GitHub-flavoured) in which `text` can make no link, image, HTML, table cell
    break, @mention or bare-URL autolink. One line."""
    text = line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    special, autolink = _markdown_patterns()
    text = special.sub(r"\\\1", text)
    text = autolink.sub(lambda found: found.group(1)[:-1] + "\u200b" + found.group(1)[-1], text)
    return text.replace("@", "@\u200b")


# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates, U+FFFE and U+FFFF.
@cache
def _not_xml() -> re.Pattern[str]:
    return re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml(text: str) -> str:
    """Text an XML parser accepts: characters XML cannot carry shown as escapes (the markup itself
    is escaped by the XML writer)."""
    return _not_xml().sub(_visible, text)
