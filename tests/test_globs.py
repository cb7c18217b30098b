"""`glob_match` is `fnmatch.fnmatchcase`, with string comparisons for the shapes that allow them."""

from __future__ import annotations

from fnmatch import fnmatchcase, translate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgov.globs import glob_match, literal_tail

NAMES = st.text(alphabet="ab/.-*?[]!\n", max_size=8)
PATTERNS = st.text(alphabet="ab/.-*?[]!\n", max_size=6)


@settings(max_examples=1000, deadline=None)
@given(NAMES, PATTERNS)
def test_glob_match_is_fnmatchcase(name: str, pattern: str) -> None:
    assert glob_match(name, pattern) == fnmatchcase(name, pattern)


@settings(max_examples=1000, deadline=None)
@given(PATTERNS, st.data())
def test_every_match_ends_with_the_literal_tail(pattern: str, data: st.DataObject) -> None:
    name = data.draw(st.from_regex(translate(pattern), fullmatch=True).filter(lambda n: len(n) < 20))
    assert fnmatchcase(name, pattern)
    assert name.endswith(literal_tail(pattern))


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("registry.k8s.io/ingress-nginx/controller", "*/ingress-nginx/controller", True),
        ("ingress-nginx/controller", "*/ingress-nginx/controller", False),  # no folder before it
        ("ingress-nginx/controller-chroot", "*/ingress-nginx/controller", False),
        ("traefik", "traefik", True),
        ("Traefik", "traefik", False),
        ("values-prod.yaml", "values-*.yaml", True),
        ("values.yaml", "values-*.yaml", False),
        ("ab", "a*b*", True),  # two stars: fnmatch decides
        ("a/b", "a?b", True),
        ("kube-system", "kube-[st]*", True),
        ("x", "*x*", True),
        ("aba", "ab*ba", False),  # the head and tail must not overlap
    ],
)
def test_examples(name: str, pattern: str, expected: bool) -> None:
    assert glob_match(name, pattern) is expected
    assert fnmatchcase(name, pattern) is expected


def test_literal_tail() -> None:
    assert literal_tail("*/cilium/cilium") == "/cilium/cilium"
    assert literal_tail("traefik") == "traefik"
    assert literal_tail("*/kong/gateway-operator*") == ""
    assert literal_tail("a/[bc]d/e") == "d/e"
