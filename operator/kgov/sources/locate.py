"""Point field errors at the exact line, by composing the one document they came from.

Loading builds plain Python objects, which carry no line numbers; composing every document would cost
more than the whole scan. Errors are rare, so only their documents are composed, afterwards.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kgov.model.errors import InputError
from kgov.sources.files import LOADER, STDIN, split_documents


def refine_lines(errors: list[InputError], texts: dict[str, str]) -> None:
    """Move each error that names a field path to the line of that field, in place."""
    for error in errors:
        if not error.path or error.line is None:
            continue
        text = texts.get(error.file)
        if text is None and error.file != STDIN:
            try:
                text = Path(error.file).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            texts[error.file] = text
        if text is not None:
            line = field_line(text, error.line, error.path)
            if line is not None:
                error.line = line


def field_line(text: str, document_line: int, path: tuple[str | int, ...]) -> int | None:
    chunk_start, chunk = None, ""
    for start, body in split_documents(text):
        if start > document_line:
            break
        chunk_start, chunk = start, body
    if chunk_start is None:
        return None
    try:
        node = yaml.compose(chunk, Loader=LOADER)
    except yaml.YAMLError:
        return None
    found = node
    for part in path:
        child = _child(found, part)
        if child is None:
            break
        found = child
    return chunk_start + found.start_mark.line if found is not None else None


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None
