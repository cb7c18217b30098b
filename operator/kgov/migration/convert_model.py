"""What the Ingress → Gateway API converter takes and gives: options, generated objects, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["blocker", "gap", "info"]
ListenerLayout = Literal["per-host", "shared"]

GATEWAY_API = "gateway.networking.k8s.io/v1"


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    gateway: str | None = None  # default: one Gateway per namespace and ingress class, named after the class
    gateway_namespace: str | None = None  # default: each Ingress's own namespace
    gateway_class: str | None = None  # default: the ingress class name
    listeners: ListenerLayout = "per-host"


@dataclass(frozen=True, slots=True)
class Note:
    """Something about one Ingress the output does not carry over exactly.

    `blocker`: not carried over, the Gateway API objects would route differently; `gap`: carried over
    with a known semantic difference; `info`: nothing changes for clients."""

    namespace: str | None
    ingress: str
    key: str  # an annotation key, or a field path such as `spec.tls[0]`
    klass: str  # the catalogue class (N, N~, I, X, —, ?) or `spec` for fields
    level: Level
    reason: str

    def source(self) -> str:
        return f"{self.namespace}/{self.ingress}" if self.namespace else self.ingress

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "ingress": self.ingress,
            "key": self.key,
            "class": self.klass,
            "level": self.level,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Generated:
    obj: dict[str, Any]
    sources: list[str] = field(default_factory=list)  # `namespace/name` of the Ingresses behind it

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


@dataclass(slots=True)
class Conversion:
    objects: list[Generated] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ingresses: int = 0

    @property
    def blocked(self) -> bool:
        return any(n.level == "blocker" for n in self.notes)

    def blocked_ingresses(self) -> set[tuple[str | None, str]]:
        return {(n.namespace, n.ingress) for n in self.notes if n.level == "blocker"}
