"""rapidyaml's path (`kgov/fastyaml.py`) against PyYAML's, the reference: the same Python values, types
included, for every document of the corpus and the field set and for generated scalars; every document
it leaves to PyYAML still gets PyYAML's value or error."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_shared
from kgov import decode, fastyaml
from kgov.sources.files import discover, split_documents

BUILDER = fastyaml.builder(decode._Loader)


def _fast() -> fastyaml.Builder:
    assert BUILDER is not None, "rapidyaml is a dependency on this platform: its wheel did not import"
    return BUILDER


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types throughout, mappings in the same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def outcome(text: str, fast_after: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """What `decode.load_yaml` gives with rapidyaml from the first character on (0) or never."""
    monkeypatch.setattr(decode, "_PARSERS", decode._Parsers(fast_after))
    return _load(text)


def _load(text: str) -> tuple[Any, ...]:
    try:
        return ("value", decode.load_yaml(text, fast=True))
    except (yaml.YAMLError, decode.LimitExceeded) as exc:
        return ("error", type(exc).__name__, str(exc))


def agree(text: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    reference = outcome(text, 2**62, monkeypatch)
    fast = outcome(text, 0, monkeypatch)
    # repr tells the types apart (1, 1.0, True, '1') and keeps key order: a quick first comparison.
    return repr(reference) == repr(fast) or same(reference, fast)


def documents(root: Path) -> list[tuple[str, int, str]]:
    files, _ = discover([str(root)])
    found: list[tuple[str, int, str]] = []
    for file in files:
        if str(file).lower().endswith(".json"):
            continue  # JSON documents are parsed by `json`, not by either YAML path
        text = decode.decode(decode.read_limited(Path(file)))
        if text is not None:
            found.extend((str(file), line, chunk) for line, chunk in split_documents(text))
    return found


@pytest.mark.corpus
@pytest.mark.parametrize("folder", ["corpus/manifests", "field"])
def test_every_shared_document_loads_as_with_pyyaml(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = documents(require_shared(folder))
    monkeypatch.setattr(decode, "_PARSERS", decode._Parsers(2**62))
    differ, built = [], 0
    for file, line, text in found:
        value = _fast().load(text)
        if value is fastyaml.FALLBACK:
            continue  # PyYAML's own path, as before
        built += 1
        expected, got = _load(text), ("value", value)
        if repr(expected) != repr(got) and not same(expected, got):
            differ.append(f"{file}:{line}")
    assert differ == []
    # The differential means something only if rapidyaml builds most documents itself.
    assert built >= 0.9 * len(found), f"rapidyaml built {built} of {len(found)} documents"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mode: 0644\n", {"mode": 420}),
        ("mode: '0644'\n", {"mode": "0644"}),
        ("a: 0x1F\nb: 1_000\nc: 1:20\nd: +12\ne: 0b101\n", {"a": 31, "b": 1000, "c": 80, "d": 12, "e": 5}),
        (
            "a: yes\nb: on\nc: Off\nd: NO\ne: 'yes'\n",
            {"a": True, "b": True, "c": False, "d": False, "e": "yes"},
        ),
        ("a: y\nb: n\nc: tRue\n", {"a": "y", "b": "n", "c": "tRue"}),
        ("a: 1e3\nb: 1.5\nc: .inf\nd: 1.0e+3\n", {"a": "1e3", "b": 1.5, "c": math.inf, "d": 1000.0}),
        ("a: ~\nb:\nc: null\nd: ''\n", {"a": None, "b": None, "c": None, "d": ""}),
        (
            "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\n",
            {"a": "2024-01-01", "b": "2001-12-14t21:59:43.10-05:00"},
        ),
        ('a: "x\\ty\\u00e9"\nb: |\n  one\n  two\n', {"a": "x\tyé", "b": "one\ntwo\n"}),
        ("- 1\n- [a, {b: c}]\n", [1, ["a", {"b": "c"}]]),
        ("# only a comment\n", None),
    ],
)
def test_kubernetes_yaml_semantics(text: str, value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fast().load(text) is not fastyaml.FALLBACK
    assert same(outcome(text, 0, monkeypatch), ("value", value))
    assert agree(text, monkeypatch)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: 2\na: 3\n",  # a repeated key: PyYAML's error with both lines
        "1: a\n'1': b\n",  # a repeated key by its text
        "on: push\n",  # a key that is not a string
        "a: &x [1]\nb: *x\n",  # aliases, and the expansion budget they are checked against
        "<<: {a: 1}\nb: 2\n",  # a merge key
        "a: !!str 12\n",  # tags
        "a: =\n",  # the value key, which the safe loader refuses
        "a: 1\n---\nb: 2\n",  # two documents where one is expected
        "a: [1\n",  # a syntax error, worded by PyYAML
        "a: @x\n",  # reserved indicators libyaml refuses
        "a: }x\n",
        "a:\tb\n",  # libyaml separates at the tab
        "a: b\rc: d\n",  # a CR is a line break to libyaml
        "a: 9" + "9" * 5000 + "\n",  # a number Python refuses to convert
        "a: " + "[" * 1200 + "]" * 1200 + "\n",  # deeper than libyaml's limit, whatever Python's is
        "a: " + "[" * 300 + "]" * 300 + "\n",  # deeper than the builder goes
    ],
)
def test_left_to_pyyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fast().load(text) is fastyaml.FALLBACK
    assert agree(text, monkeypatch)


def test_nesting_left_to_pyyaml_whatever_the_recursion_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: " + "[" * 1200 + "]" * 1200 + "\n"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        assert _fast().load(text) is fastyaml.FALLBACK
    finally:
        sys.setrecursionlimit(limit)
    assert agree(text, monkeypatch)


def test_rapidyaml_errors_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    assert _fast().load("a: [1\nb: {\n") is fastyaml.FALLBACK
    assert capfd.readouterr().err == ""


def test_configuration_and_kubeconfigs_never_take_the_rapidyaml_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "_PARSERS", decode._Parsers(fast_after=0))
    assert decode.load_yaml("a: 1\n") == {"a": 1}
    assert decode._PARSERS.fast is None
    assert decode.load_yaml("a: 1\n", fast=True) == {"a": 1}
    assert decode._PARSERS.fast is not None


def test_pyyaml_alone_until_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    parsers = decode._Parsers(fast_after=10)
    assert parsers.load("a: 1\n") is fastyaml.FALLBACK
    assert parsers.fast is None  # a small run never imports rapidyaml
    parsers.load("b: 2\nc: 3\n")
    assert parsers.load("d: 0644\n") == {"d": 420}
    assert parsers.fast is not None


# ---- generated scalars ------------------------------------------------------------------------------

KEYWORDS = [
    "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "Null", "~", "=", "<<",
    ".inf", "-.Inf", ".NaN", "0644", "0o17", "0x1F", "0b101", "1_000", "1:20", "-1:30.5",
    "1e3", "1.5e+3", "0.", "09", "08.5", "+0_", "0x_", "2024-01-01", "12:30", "- x", "? x",
]  # fmt: skip
SCALAR_CHARS = "0123456789abefxoEXOB_:.+-~yYnN<=!&*@`%[]{},#'\" \t|>?\\/"
scalars = st.one_of(
    st.sampled_from(KEYWORDS),
    st.text(alphabet=SCALAR_CHARS, max_size=10),
    st.builds(lambda a, b: a + b, st.sampled_from(KEYWORDS), st.text(alphabet=SCALAR_CHARS, max_size=4)),
)
PLACES = [
    "a: {}\n", "- {}\n", "{}: a\n", "a: [{}, x]\n", "a: {{b: {}}}\n", "a: b\n  {}\n",
    "a:\n  b: {}\n  c: d\n", "a: |\n  {}\n", "a: '{}'\n", 'a: "{}"\n', "{}\n", "a: [{{{}: x}}]\n",
    "[{}]\n", "a: {{x: [{}]}}\n", "a: [x, {}, y]\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(scalar=scalars, place=st.sampled_from(PLACES))
def test_generated_scalars_load_as_with_pyyaml(scalar: str, place: str) -> None:
    text = place.format(scalar)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert agree(text, monkeypatch), text


styles = st.sampled_from([None, '"', "'", "|", ">"])


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    style=styles,
    unicode=st.booleans(),
)
def test_dumped_strings_load_as_with_pyyaml(value: str, style: str | None, unicode: bool) -> None:
    text = yaml.dump({"key": value, "list": [value]}, default_style=style, allow_unicode=unicode, width=20)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert agree(text, monkeypatch), text
