"""Escaping for text kgov did not write (names, annotation values, messages quoting them).

Every emitter passes such text through one of these before it reaches a terminal, a YAML comment,
Markdown or XML: nothing read from input can start a new line, a terminal control sequence, a
Markdown link or mention, or a character an XML parser rejects.
"""

from __future__ import annotations

import json
import re

# C0 and C1 controls, DEL, lone surrogates, the Unicode line and paragraph separators, and the bidi
# controls that reorder what a terminal or browser shows ("Trojan source").
_OTHER_UNSAFE = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]")  # tab and newline kept
_MAX_QUOTED = 120


def _visible(found: re.Match[str]) -> str:
    char = found.group(0)
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def line(text: str) -> str:
    """One line of plain text: every control character (newlines too) shown as a `\\xNN` escape."""
    return _UNSAFE.sub(_visible, text)


def terminal(text: str) -> str:
    """Text for a terminal: line breaks and tabs kept, every other control character escaped."""
    return _UNSAFE_MULTILINE.sub(_visible, text)


def quoted(text: str, limit: int = _MAX_QUOTED) -> str:
    """A value read from input, quoted for a message: a JSON string of at most `limit` characters."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return line(json.dumps(shown, ensure_ascii=False))
