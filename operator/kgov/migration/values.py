"""ingress-nginx annotation values, read as the controller reads them (v1.15.1).

One parser per value type of the annotation catalogue (`value:` of a key), following
`internal/ingress/annotations/parser/main.go` and `validators.go`:

- `bool`: Go's `strconv.ParseBool` on the raw value (`1 t T TRUE true True`, `0 f F FALSE false
  False`; no trimming, so `" true"` and `yes` are invalid);
- `int`: Go's `strconv.Atoi` (an optional sign and decimal digits, within 64 bits);
- `size`: an NGINX size, `^\\d+[bkmg]?$` ignoring case, after removing spaces (`parser.SizeRegex`);
- `cidr-list`: comma-separated IP addresses or CIDRs, each trimmed (`internal/net.ParseIPNets`);
- `url`: an absolute http(s) URL with a host (`authreq` parses `auth-url` with `url.Parse` and
  wants both).

Every other value is a string, trimmed line by line (`normalizeString`). An invalid value is ignored
by the annotation's parser, which then applies the annotation's default (`rewrite`, `canary`,
`proxy`...); source-range lists are the exception: an invalid list denies the location (503). The
reader records each invalid value so that the gate reports it and the converter writes the default.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from kgov.catalogue import NGINX_PREFIX, Catalogue

GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_ATOI = re.compile(r"^[+-]?[0-9]+$")
_SIZE = re.compile(r"^\d+[bkmg]?$", re.IGNORECASE)
_INT64 = 2**63


def go_bool(text: str) -> bool | None:
    if text in GO_TRUE:
        return True
    if text in GO_FALSE:
        return False
    return None


def go_int(text: str) -> int | None:
    if not _ATOI.match(text):
        return None
    number = int(text)
    return number if -_INT64 <= number < _INT64 else None


def nginx_size(text: str) -> str | None:
    compact = text.replace(" ", "")
    return compact if _SIZE.match(compact) else None


def cidr_list(text: str) -> list[str] | None:
    found = []
    for part in text.split(","):
        part = part.strip()
        try:
            network = ipaddress.ip_network(part, strict=False) if "/" in part else ipaddress.ip_address(part)
        except ValueError:
            return None
        found.append(str(network))
    return sorted(set(found))


def http_url(text: str) -> str | None:
    parts = urlsplit(text.strip())
    return text.strip() if parts.scheme in ("http", "https") and parts.hostname else None


# What the controller does with an invalid value, where it is not "the default applies":
# `ingress`: the parser returns the validation error and `annotations.Extractor` drops the whole
# Ingress (`store.syncIngress` stores nothing); `deny`: the location answers 503 (`LocationDenied`).
ON_INVALID = {
    "from-to-www-redirect": "ingress",  # redirect/redirect.go
    "relative-redirects": "ingress",
    "temporal-redirect-code": "ingress",
    "permanent-redirect-code": "ingress",
    "upstream-hash-by-subset": "ingress",  # upstreamhashby/main.go
    "upstream-hash-by-subset-size": "ingress",
    "allowlist-source-range": "deny",  # ipallowlist/main.go
    "whitelist-source-range": "deny",
    "denylist-source-range": "deny",  # ipdenylist/main.go
}
ALIASES = {"whitelist-source-range": "allowlist-source-range"}

PARSERS = {
    "bool": go_bool,
    "int": go_int,
    "size": nginx_size,
    "cidr-list": cidr_list,
    "url": http_url,
}
EXPECTED = {
    "bool": "a Go boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)",
    "int": "a decimal integer",
    "size": "an NGINX size (digits with an optional b, k, m or g)",
    "cidr-list": "a comma-separated list of IP addresses or CIDRs",
    "url": "an absolute http(s) URL with a host",
}


@dataclass(frozen=True, slots=True)
class Invalid:
    key: str  # without the prefix
    value: str
    kind: str  # the catalogue value type
    default: object = None

    @property
    def effect(self) -> str:
        return ON_INVALID.get(self.key, "default")

    def message(self) -> str:
        if self.effect == "ingress":
            return (
                f"{self.value!r} is not {EXPECTED[self.kind]}: ingress-nginx rejects the value and does "
                "not load the Ingress at all"
            )
        if self.effect == "deny":
            return (
                f"{self.value!r} is not {EXPECTED[self.kind]}: ingress-nginx answers every request to "
                "the Ingress's paths with 503"
            )
        default = self.default
        shown = "its default" if default is None else f"its default ({_shown(default)})"
        return (
            f"{self.value!r} is not {EXPECTED[self.kind]}: ingress-nginx ignores the value and applies "
            f"{shown}"
        )


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class AnnotationValues:
    """The annotations of one Ingress under one prefix, read with the parser of each value type;
    `invalid` collects the values the controller would ignore."""

    def __init__(self, annotations: Mapping[str, str], prefix: str) -> None:
        self.prefix = prefix
        self.values = {k[len(prefix) :]: v for k, v in annotations.items() if k.startswith(prefix)}
        self.invalid: dict[str, Invalid] = {}

    def raw(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if isinstance(value, str) else None

    def get(self, key: str) -> str | None:
        """A string value as `GetStringAnnotation` reads it; empty is absent."""
        value = self.raw(key)
        if value is None:
            return None
        value = "\n".join(line.strip() for line in value.split("\n"))
        return value or None

    def _typed(self, key: str, kind: str, default: object = None) -> object | None:
        value = self.raw(key)
        if value is None:
            return None
        parsed = PARSERS[kind](value)
        if parsed is None:
            self.invalid.setdefault(key, Invalid(key, value, kind, default))
        return parsed

    def flag(self, key: str, default: bool = False) -> bool:
        parsed = self._typed(key, "bool", default)
        return parsed if isinstance(parsed, bool) else default

    def number(self, key: str, default: int) -> int:
        parsed = self._typed(key, "int", default)
        return parsed if isinstance(parsed, int) and not isinstance(parsed, bool) else default

    def size(self, key: str) -> str | None:
        parsed = self._typed(key, "size")
        return parsed if isinstance(parsed, str) else None

    def cidrs(self, key: str) -> list[str] | None:
        parsed = self._typed(key, "cidr-list")
        return parsed if isinstance(parsed, list) else None

    def url(self, key: str) -> str | None:
        parsed = self._typed(key, "url")
        return parsed if isinstance(parsed, str) else None

    def check(self, types: Mapping[str, str]) -> dict[str, Invalid]:
        """Reads every key with a value type (`types`: key → type, from the catalogue) for its
        validity; the invalid ones by key."""
        for key in self.values:
            kind = types.get(key)
            if kind is not None:
                self._typed(key, kind)
        return self.invalid

    def dropped(self, types: Mapping[str, str]) -> Invalid | None:
        """The invalid value for which the controller does not load the Ingress, if any."""
        found = self.check(types)
        return next((i for i in found.values() if i.effect == "ingress"), None)

    def denied(self, types: Mapping[str, str]) -> Invalid | None:
        found = self.check(types)
        return next((i for i in found.values() if i.effect == "deny"), None)


NGINX_REDIRECT_CODES = {"temporal": (302, 307), "permanent": (301, 308)}  # default, highest accepted


def redirect_code(notes: AnnotationValues, kind: str) -> int:
    """`redirect.go`: a code outside 300..307 (temporal) or 300..308 (permanent) is the default."""
    default, highest = NGINX_REDIRECT_CODES[kind]
    code = notes.number(f"{kind}-redirect-code", default)
    return code if 300 <= code <= highest else default


@dataclass(slots=True)
class CanaryRule:
    """What a canary Ingress's annotations ask: the weight of requests it takes out of a total, and the
    header (with a value or pattern) or cookie that sends a request to it or away from it."""

    weight: int = 0
    total: int = 100
    header: str | None = None
    header_value: str | None = None
    header_pattern: str | None = None
    cookie: str | None = None


def canary_rule(number: Callable[[str, int], int], text: Callable[[str], str | None]) -> CanaryRule:
    """The rule from the `canary-*` annotations, read with `number` and `text`."""
    weight, rest = canary_share(number("canary-weight", 0), number("canary-weight-total", 100))
    return CanaryRule(
        weight=weight,
        total=weight + rest,
        header=text("canary-by-header"),
        header_value=text("canary-by-header-value"),
        header_pattern=text("canary-by-header-pattern"),
        cookie=text("canary-by-cookie"),
    )


def canary_share(weight: int, total: int) -> tuple[int, int]:
    """(canary, primary) weights as the Lua balancer applies them: `canary-weight-total` counts only
    above 100 (`balancer.lua`: weightTotal defaults to 100 unless greater), and a request goes to
    the canary when `math.random(total) <= weight`."""
    total = total if total > 100 else 100
    weight = min(max(weight, 0), total)
    return weight, total - weight


def nginx_value_types(catalogue: Catalogue) -> dict[str, str]:
    """Key → value type of every ingress-nginx annotation the catalogue types (aliases included)."""
    own = catalogue.catalogue_for(NGINX_PREFIX, catalogue.get("ingress-nginx"))
    types = {}
    for key in own.annotations if own else {}:
        entry = own.lookup(key) if own else None
        if entry is not None and entry.value:
            types[key] = entry.value
    return types
