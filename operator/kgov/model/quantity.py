"""Kubernetes resource quantities, parsed exactly.

The grammar is the one of k8s.io/apimachinery `resource.Quantity`: a signed decimal number followed by
an optional suffix — binary (Ki … Ei), decimal SI (n, u, m, "", k, M, G, T, P, E) or a decimal
exponent (e3, E-2). Values are held as `Decimal` so `0.1` and `100m` compare equal and nothing is
rounded on the way.
"""

from __future__ import annotations

import math
import re
from decimal import MAX_EMAX, MIN_EMIN, Decimal, localcontext

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}

_QUANTITY = re.compile(
    r"""^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))
        (?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$""",
    re.VERBOSE | re.ASCII,  # \d is 0-9 only, as in apimachinery
)


MAX_QUANTITY = Decimal("1e1000")  # far beyond any machine, far below where arithmetic overflows


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity."""


def parse_quantity(value: object) -> Decimal:
    """Return the exact value of a quantity given as a string or a YAML number.

    >>> parse_quantity("500m")
    Decimal('0.500')
    >>> parse_quantity("1Gi")
    Decimal('1073741824')
    """
    if isinstance(value, bool):
        raise QuantityError(f"expected a quantity such as '500m' or '1Gi', got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # YAML .inf / .nan
            raise QuantityError(f"expected a quantity such as '500m' or '1Gi', got {value!r}")
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise QuantityError(f"expected a quantity such as '500m' or '1Gi', got {value!r}")
    match = _QUANTITY.fullmatch(value.strip())
    if match is None:
        raise QuantityError(f"expected a quantity such as '500m' or '1Gi', got {value!r}")
    number = Decimal(match["number"])
    suffix = match["suffix"] or ""
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            if suffix in _BINARY:
                result = number * (Decimal(1024) ** _BINARY[suffix])
            elif suffix in _DECIMAL:
                result = number.scaleb(_DECIMAL[suffix])
            else:
                result = number.scaleb(int(suffix[1:]))
        except ArithmeticError as exc:  # exponent far outside any real quantity (InvalidOperation, Overflow)
            raise QuantityError(f"quantity {value!r} is out of range") from exc
    if abs(result) >= MAX_QUANTITY:
        raise QuantityError(f"quantity {value!r} is out of range (kgov reads up to 1e1000)")
    return result


def format_quantity(value: Decimal, resource: str) -> str:
    """A short human form: cores/millicores for cpu, binary bytes for memory-like resources."""
    with localcontext() as ctx:  # exact for any magnitude: `%`, `/` and normalize() never round
        ctx.prec = max(28, abs(value.adjusted()) + 30)
        ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN
        return _format(value, resource)


def _format(value: Decimal, resource: str) -> str:
    if resource == "cpu":
        millis = value * 1000
        if millis == millis.to_integral_value() and millis % 1000 != 0:
            return f"{int(millis)}m"
        return _plain(value)
    for suffix, power in sorted(_BINARY.items(), key=lambda item: -item[1]):
        unit = Decimal(1024) ** power
        if value >= unit and value % unit == 0:
            return f"{int(value / unit)}{suffix}"
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
