"""Problems found in the input (user error) or in the tool itself (internal error)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ErrorKind = Literal["input", "internal"]


@dataclass(slots=True)
class InputError:
    """One problem with file and line. `path` is the field path inside the document, when known."""

    file: str
    line: int | None
    message: str
    kind: ErrorKind = "input"
    path: tuple[str | int, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ObjectError(ValueError):
    """A document that is a mapping but not a usable Kubernetes object; `path` names the field."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def describe_path(path: tuple[str | int, ...]) -> str:
    """`spec.template.spec.containers[0].resources` from a tuple path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
