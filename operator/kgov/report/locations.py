"""Where a finding points, as the reports show it: a file (with line and column when known), `<stdin>`
for stdin, or nothing for an object read from a cluster (its reference names it)."""

from __future__ import annotations

import posixpath

from kgov.model.objects import Location

STDIN, CLUSTER = "-", "cluster"
STDIN_NAME = "<stdin>"  # how reports name stdin
NO_FILE = frozenset({"", STDIN, CLUSTER})  # locations that name no file


def file_of(location: Location | None) -> str | None:
    """The file a location names, or None (a cluster object, stdin, no location)."""
    if location is None or location.file in NO_FILE:
        return None
    return location.file


def normalised_file(location: Location | None) -> str:
    """The file, `/`-separated and normalised (`./deploy/a.yaml` is `deploy/a.yaml`); empty for none."""
    file = file_of(location)
    return posixpath.normpath(file.replace("\\", "/")) if file else ""


def line_column(location: Location | None) -> str:
    """`line:column`, or `line`, or empty when the line is not known."""
    if location is None or location.line is None:
        return ""
    return f"{location.line}:{location.column}" if location.column is not None else str(location.line)


def location_text(location: Location | None) -> str | None:
    """`file:line:column` (as much as is known) for the text reports; `<stdin>:line:column` for stdin,
    nothing for a cluster object."""
    if location is None or location.file in ("", CLUSTER):
        return None
    file = STDIN_NAME if location.file == STDIN else location.file
    where = line_column(location)
    return f"{file}:{where}" if where else file
