"""The evaluator gateway.validation-rule used before cel-cpp: cel-python with the Kubernetes functions
the rules use. Kept only as the reference of the differential tests (tests/test_cel_differential.py)
and of scripts/cel-pairs, which records its verdicts."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel

# Every cel-python Environment raises the recursion limit to 2500, which Hypothesis reports as an error
# when it happens mid-run: one is made on import.
celpy.Environment()


def _is_ip(value: celtypes.StringType) -> celtypes.BoolType:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _split(value: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(part) for part in str(value).split(str(separator))])


def _substring(
    value: celtypes.StringType, start: celtypes.IntType, end: celtypes.IntType | None = None
) -> celtypes.StringType:
    text = str(value)
    stop = len(text) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(text):
        raise ValueError(f"substring({start}, {stop}) out of range for {len(text)} characters")
    return celtypes.StringType(text[int(start) : stop])


@cache
def _program(rule: str) -> celpy.Runner | None:
    environment = celpy.Environment()
    try:
        return environment.program(
            environment.compile(rule), functions={"isIP": _is_ip, "split": _split, "substring": _substring}
        )
    except Exception:
        return None


def holds(rule: str, value: Any) -> bool | None:
    """cel-python's verdict: True, False, or None for an error or a rule it cannot compile."""
    program = _program(rule)
    if program is None:
        return None
    try:
        result = program.evaluate({"self": json_to_cel(value)})
    except Exception:
        return None
    return bool(result) if isinstance(result, celtypes.BoolType) else None
