"""Probe requests and what a routing configuration does with them.

Both routing models (ingress-nginx and Gateway API) answer a `Probe` with an `Outcome`: weighted
backends (with the path and headers sent upstream), a redirect, TLS passthrough, or no route. Two
outcomes are compared with `same_outcome`, which is exact except where the Ingress side cannot know a
detail (a named Service port whose Service is not in the input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

NO_ROUTE = "no-route"
BACKENDS = "backends"
REDIRECT = "redirect"
PASSTHROUGH = "passthrough"
ERROR = "error"  # a matched rule that answers with an error (no usable backend)


@dataclass(frozen=True, slots=True)
class Probe:
    """One request: scheme (`http`, `https`), host, path, and request headers (lower-case names)."""

    scheme: str
    host: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    grpc: bool = False

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def display(self) -> str:
        text = f"{self.scheme}://{self.host}{self.path}"
        for name, value in self.headers:
            text += f" [{name}: {value}]"
        return text + (" (gRPC)" if self.grpc else "")


@dataclass(frozen=True, slots=True, order=True)
class Backend:
    """A Service port; `port` is a number as text, or a port name the input could not resolve."""

    namespace: str
    name: str
    port: str

    @property
    def named_port(self) -> bool:
        return not self.port.isdigit()

    def display(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port}"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    backends: tuple[tuple[Backend, Fraction], ...] = ()  # sorted, shares sum to 1
    path: str | None = None  # the path sent upstream when rewritten
    headers: tuple[tuple[str, str], ...] = ()  # request headers set for the upstream (sorted)
    code: int | None = None  # redirect status
    location: str | None = None  # redirect target
    detail: str = field(default="", compare=False)  # why, for messages (which rule or location)
    # The target's trailing slash is not compared (ingress-nginx drops it when redirecting to HTTPS).
    loose_slash: bool = field(default=False, compare=False)

    def display(self) -> str:
        if self.kind == NO_ROUTE:
            text = "no route (404)"
        elif self.kind == REDIRECT:
            text = f"redirect {self.code} to {self.location}"
        elif self.kind == ERROR:
            text = "error (no usable backend)"
        else:
            shares = ", ".join(
                b.display() if share == 1 else f"{b.display()} ({_percent(share)})"
                for b, share in self.backends
            )
            text = ("TLS passthrough to " if self.kind == PASSTHROUGH else "") + shares
            if self.path is not None:
                text += f", path rewritten to {self.path}"
            for name, value in self.headers:
                text += f", {name}: {value}"
        return f"{text} ({self.detail})" if self.detail else text


def backends_outcome(
    weighted: list[tuple[Backend, int]],
    *,
    kind: str = BACKENDS,
    path: str | None = None,
    headers: dict[str, str] | None = None,
    detail: str = "",
) -> Outcome:
    """Weights → shares; backends of weight 0 are dropped; no weight left is an error outcome."""
    merged: dict[Backend, int] = {}
    for backend, weight in weighted:
        if weight > 0:
            merged[backend] = merged.get(backend, 0) + weight
    total = sum(merged.values())
    if total == 0:
        return Outcome(ERROR, detail=detail)
    shares = tuple(sorted((b, Fraction(w, total)) for b, w in merged.items()))
    return Outcome(kind, shares, path=path, headers=tuple(sorted((headers or {}).items())), detail=detail)


def same_outcome(ingress: Outcome, routes: Outcome, request_path: str) -> bool:
    if ingress.kind != routes.kind:
        return False
    if ingress.kind == REDIRECT:
        if ingress.loose_slash and ingress.location and routes.location:
            return ingress.code == routes.code and ingress.location.rstrip("/") == routes.location.rstrip("/")
        return ingress.code == routes.code and ingress.location == routes.location
    if ingress.kind not in (BACKENDS, PASSTHROUGH):
        return True
    if (ingress.path or request_path) != (routes.path or request_path):
        return False
    if ingress.headers != routes.headers or len(ingress.backends) != len(routes.backends):
        return False
    return all(
        share_a == share_b and _same_backend(a, b)
        for (a, share_a), (b, share_b) in zip(ingress.backends, _aligned(ingress, routes), strict=True)
    )


def _aligned(ingress: Outcome, routes: Outcome) -> list[tuple[Backend, Fraction]]:
    """The routes' backends in the order of the Ingress's, pairing a named port with any port."""
    left = list(routes.backends)
    paired = []
    for backend, _ in ingress.backends:
        match = next((item for item in left if _same_backend(backend, item[0])), None)
        if match is None:
            return list(routes.backends)
        left.remove(match)
        paired.append(match)
    return paired


def _same_backend(a: Backend, b: Backend) -> bool:
    if (a.namespace, a.name) != (b.namespace, b.name):
        return False
    return a.port == b.port or a.named_port or b.named_port


def _percent(share: Fraction) -> str:
    value = float(share * 100)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"
