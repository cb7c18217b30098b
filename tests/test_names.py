"""Kubernetes' naming rules (kgov/model/names.py): the fast paths decide exactly as the plain rules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kgov.model.names import (
    dns1035_problem,
    label_problem,
    name_problem,
    namespace_problem,
    path_segment_problem,
    subdomain_problem,
)

# The rules as written before the substring test in front of the placeholder pattern.
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=+?][^}]*)?\}")


def _name_problem(kind: str, name: str, analysed: bool, generated: bool) -> str | None:
    value = name + "x" if generated else name
    if not analysed or _PLACEHOLDER.search(value):
        return path_segment_problem(value)
    if kind == "Namespace":
        return label_problem(value)
    if kind == "Service":
        return dns1035_problem(value)
    return subdomain_problem(value)


def _namespace_problem(value: str) -> str | None:
    return path_segment_problem(value) if _PLACEHOLDER.search(value) else label_problem(value)


# Names built from the characters the rules and the placeholder pattern tell apart.
NAMES = st.one_of(
    st.text(alphabet="az09-._/%${}:=+?AZ \x00\x7f", max_size=20),
    st.from_regex(_PLACEHOLDER).map(lambda text: text[:40]),
    st.text(max_size=12),
)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["Pod", "Namespace", "Service", "Ingress"]), NAMES, st.booleans(), st.booleans())
def test_name_problem_is_the_plain_rule(kind: str, name: str, analysed: bool, generated: bool) -> None:
    assert name_problem(kind, name, analysed, generated) == _name_problem(kind, name, analysed, generated)


@settings(max_examples=500, deadline=None)
@given(NAMES)
def test_namespace_problem_is_the_plain_rule(value: str) -> None:
    assert namespace_problem(value) == _namespace_problem(value)


def test_templates_are_held_to_the_path_segment_rule_only() -> None:
    assert name_problem("Pod", "web-${ENV}", analysed=True) is None
    assert name_problem("Pod", "web-${ENV}/x", analysed=True) == "contains '/'"
    assert name_problem("Pod", "web-$ENV", analysed=True) is not None
    assert namespace_problem("team-${ENV:=dev}") is None
