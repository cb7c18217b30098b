"""kgov convert against ingress2gateway's own fixture pairs (../shared/corpus/manifests/ingress2gateway*).

Each pair's verdict is recorded in tests/data/i2gw_expectations.yaml: agree, differs-on-purpose or
not-supported (with the aspects that differ and why), or not-applicable (not an Ingress conversion).
A verdict that no longer holds fails, whichever way it changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import i2gw_compare as compare
from conftest import require_shared

pytestmark = pytest.mark.corpus

EXPECTATIONS = Path(__file__).parent / "data" / "i2gw_expectations.yaml"
VERDICTS = {"agree", "differs-on-purpose", "not-supported", "not-applicable"}


def recorded() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))
    return dict(data["pairs"])


def test_every_pair_is_recorded() -> None:
    found = {pair for pair, _, _ in compare.pairs(require_shared("corpus/manifests"))}
    assert found == set(recorded())
    assert len(found) > 60


def test_records_are_well_formed() -> None:
    for pair, entry in recorded().items():
        assert entry["verdict"] in VERDICTS, pair
        assert (entry["verdict"] == "agree") == ("reason" not in entry), pair


@pytest.mark.parametrize("pair", sorted(recorded()))
def test_recorded_verdict_holds(pair: str) -> None:
    root = require_shared("corpus/manifests")
    entry = recorded()[pair]
    source = next((s for p, s, _ in compare.pairs(root) if p == pair), None)
    assert source is not None, f"{pair} is no longer in the corpus"
    expected = compare.load(root / pair)
    if expected is None or not compare.has_ingress(source):
        assert entry["verdict"] == "not-applicable"
        assert "aspects" not in entry
        return
    aspects = compare.differing(expected, compare.kgov_output(source))
    if entry["verdict"] == "agree":
        assert aspects == [], compare.explain(expected, compare.kgov_output(source))
    else:
        assert aspects == entry.get("aspects"), compare.explain(expected, compare.kgov_output(source))


def test_comparison_sees_differences() -> None:
    """The summary is not blind: a changed weight, filter or listener is a difference."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {
            "hostnames": ["a.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"name": "a", "port": 80, "weight": 1},
                        {"name": "b", "port": 80, "weight": 1},
                    ],
                }
            ],
        },
    }
    same = yaml.safe_load(yaml.safe_dump(route))
    same["spec"]["rules"][0]["backendRefs"] = [
        {"name": "b", "port": 80, "weight": 5},
        {"name": "a", "port": 80, "weight": 5},
    ]
    assert compare.differing([route], [same]) == []
    other = yaml.safe_load(yaml.safe_dump(route))
    other["spec"]["rules"][0]["backendRefs"][0]["weight"] = 3
    other["spec"]["rules"][0]["filters"] = [{"type": "URLRewrite", "urlRewrite": {"hostname": "x"}}]
    assert compare.differing([route], [other]) == ["backends", "filters"]
    host_header = yaml.safe_load(yaml.safe_dump(other))
    host_header["spec"]["rules"][0]["filters"] = [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "Host", "value": "x"}]}}
    ]
    assert compare.differing([other], [host_header]) == []
