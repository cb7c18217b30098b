"""The reports' indented JSON (`kgov/report/jsontext.py`) is byte for byte what `json.dumps(indent=2)`
writes, whichever encoder wrote it."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgov.findings.model import Severity
from kgov.report.jsontext import indented

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # lone surrogates, control characters and astral characters included
    st.sampled_from(list(Severity)),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.tuples(inner, inner),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=values, ascii_only=st.booleans())
def test_same_text_as_json(value: Any, ascii_only: bool) -> None:
    expected = json.dumps(value, indent=2, default=str, ensure_ascii=ascii_only) + "\n"
    assert indented(value, ascii_only=ascii_only) == expected


@pytest.mark.parametrize(
    "value",
    [
        {
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "day": datetime.date(2026, 1, 2),
        },
        {2: "an integer key", None: "a null key", True: "a boolean key"},
        {"set": {"a"}, "deep": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]] * 3},
        {"nested": json.loads("[" * 300 + "]" * 300)},  # deeper than orjson writes
        {"text": "é ☃ 😀 \u2028 \x7f \x1f \ud800"},
        {"floats": [1e-05, 1e16, 1e22, 0.1, -0.0, 123456789.125]},
    ],
)
def test_values_json_writes_its_own_way(value: Any) -> None:
    for ascii_only in (True, False):
        assert (
            indented(value, ascii_only=ascii_only)
            == json.dumps(value, indent=2, default=str, ensure_ascii=ascii_only) + "\n"
        )


def test_without_default_an_unknown_value_is_still_refused() -> None:
    with pytest.raises(TypeError):
        indented({"x": object()}, default=None)
