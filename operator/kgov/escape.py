"""Escaping for text kgov did not write (names, annotation values, messages quoting them).

Every emitter passes such text through one of these before it reaches a terminal, a YAML comment,
Markdown or XML: nothing read from input can start a new line, a terminal control sequence, a
Markdown link or mention, or a character an XML parser rejects.
"""

from __future__ import annotations

import json
import re
from functools import cached_property

# C0 and C1 controls, DEL, lone surrogates, the Unicode line and paragraph separators, and the bidi
# controls that reorder what a terminal or browser shows ("Trojan source").
_OTHER_UNSAFE = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_MAX_QUOTED = 120


class _Patterns:
    """The patterns of this module, each compiled when first used (a JSON report of valid input uses
    none of them); then an attribute of the instance, read as cheaply as a module constant."""

    @cached_property
    def unsafe(self) -> re.Pattern[str]:
        """What to escape in a line: the controls above and C0."""
        return re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")

    @cached_property
    def unsafe_multiline(self) -> re.Pattern[str]:
        """The same, tab and newline kept."""
        return re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]")

    # Markdown: what could open a link or an image (`[`), break a table cell, or undo an escape.
    # Emphasis and backticks are left alone: they restyle text (kgov's own messages use code spans),
    # and nothing inside a code span is live.
    @cached_property
    def markdown_special(self) -> re.Pattern[str]:
        return re.compile(r"([\\\[\]|])")

    @cached_property
    def autolink(self) -> re.Pattern[str]:
        return re.compile(r"(?i)(://|www\.)")

    @cached_property
    def not_xml(self) -> re.Pattern[str]:
        """What XML 1.0 cannot carry: it allows tab, LF, CR and everything from U+0020 except
        surrogates, U+FFFE and U+FFFF."""
        return re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_PATTERNS = _Patterns()


def _visible(found: re.Match[str]) -> str:
    char = found.group(0)
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def line(text: str) -> str:
    """One line of plain text: every control character (newlines too) shown as a `\\xNN` escape."""
    return _PATTERNS.unsafe.sub(_visible, text)


def terminal(text: str) -> str:
    """Text for a terminal: line breaks and tabs kept, every other control character escaped."""
    return _PATTERNS.unsafe_multiline.sub(_visible, text)


def quoted(text: str, limit: int = _MAX_QUOTED) -> str:
    """A value read from input, quoted for a message: a JSON string of at most `limit` characters."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return line(json.dumps(shown, ensure_ascii=False))


def markdown(text: str) -> str:
    """Inline Markdown (GitHub-flavoured) in which `text` can make no link, image, HTML, table cell
    break, @mention or bare-URL autolink. One line."""
    text = line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PATTERNS.markdown_special.sub(r"\\\1", text)
    text = _PATTERNS.autolink.sub(lambda found: found.group(1)[:-1] + "\u200b" + found.group(1)[-1], text)
    return text.replace("@", "@\u200b")


def xml(text: str) -> str:
    """Text an XML parser accepts: characters XML cannot carry shown as escapes (the markup itself
    is escaped by the XML writer)."""
    return _PATTERNS.not_xml.sub(_visible, text)
