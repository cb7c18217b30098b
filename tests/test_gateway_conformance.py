"""The static Gateway API checks agree with the Gateway API v1.6.1 conformance suite.

`tests/data/gateway_conformance_expectations.yaml` records, for the conformance manifests in
`../shared/corpus/manifests/gateway-api/conformance/`, what the upstream Go tests
(kubernetes-sigs/gateway-api `conformance/tests/*.go`) assert about each route, parent and listener, and
which kgov check must fire. Every case a manifest-only tool can decide is verified here: negative cases
must raise the named check on the object (for that parent), positive ones must raise no static
gateway finding about that parent.

The suite applies the base manifests and one test file to a cluster that holds nothing else but the
Gateway API CRDs, so the scan declares its input complete (`scope.complete`): a Service, Gateway,
ReferenceGrant or CRD the two files do not define does not exist. Secrets and ConfigMaps stay unknown
(the suite creates them at run time, and kgov never reads Secrets).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import require_shared
from helpers import run_checks
from kgov.analysis import Evaluation
from kgov.config import Config, ScopeSettings
from kgov.findings.model import Finding

EXPECTATIONS = Path(__file__).parent / "data" / "gateway_conformance_expectations.yaml"
STATIC_CHECKS = [
    "gateway.parent-not-found",
    "gateway.listener-not-allowed",
    "gateway.hostname-mismatch",
    "gateway.missing-reference-grant",
    "gateway.unresolved-refs",
    "gateway.listener-conflict",
    "gateway.invalid-route",
]
ATTACHMENT_CHECKS = {"gateway.parent-not-found", "gateway.listener-not-allowed", "gateway.hostname-mismatch"}


def _cases() -> list[dict[str, Any]]:
    data = yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))
    return [c for c in data["cases"] if c["static"]]


def _case_id(case: dict[str, Any]) -> str:
    where = case.get("parent") or case.get("listener") or ""
    return f"{Path(case['file']).stem}:{case['object']['name']}@{where}"


@cache
def _evaluate(file: str) -> Evaluation:
    root = require_shared("corpus/manifests/gateway-api/conformance")
    base = (root / "base" / "manifests.yaml").read_text(encoding="utf-8")
    text = (root / file).read_text(encoding="utf-8")
    config = Config(scope=ScopeSettings(complete=True))
    return run_checks(base + "\n---\n" + text, STATIC_CHECKS, name=file, config=config)


def _parent_matches(evidence_parent: str, parent: str) -> bool:
    """`Gateway ns/name listener s port p` (evidence) against `ns/name[/section]` (expectations)."""
    kind = "ListenerSet" if parent.startswith("ListenerSet:") else "Gateway"
    parts = parent.removeprefix("ListenerSet:").split("/")
    words = evidence_parent.split()
    if not words or words[0] != kind or words[1] != f"{parts[0]}/{parts[1]}":
        return False
    section = parts[2] if len(parts) > 2 else None
    shown = words[words.index("listener") + 1] if "listener" in words else None
    return section == shown


def _about(finding: Finding, case: dict[str, Any]) -> bool:
    """Whether a finding on the case's object concerns the case's parent (attachment checks are
    per parent; the others are about the object as a whole)."""
    obj = case["object"]
    target = finding.target
    if (target.kind, target.namespace, target.name) != (obj["kind"], obj.get("namespace"), obj["name"]):
        return False
    parent = case.get("parent")
    if finding.check in ATTACHMENT_CHECKS and parent:
        return any(_parent_matches(p["parentRef"], parent) for p in finding.evidence["parents"])
    if finding.check == "gateway.unresolved-refs" and case.get("listener") and target.kind != "HTTPRoute":
        return any(case["listener"] in ref["listener"].split(", ") for ref in finding.evidence["listeners"])
    if finding.check == "gateway.missing-reference-grant" and case.get("listener"):
        return any(case["listener"] in ref["listeners"] for ref in finding.evidence["refs"])
    if finding.check == "gateway.listener-conflict":
        # Per listener: about the case's listener if that one is out of service; about the whole
        # object only when none of its listeners is left (otherwise it stays Accepted).
        out = set(finding.evidence["conflictedListeners"])
        if case.get("listener"):
            return case["listener"] in out
        return out >= set(_listener_names(case))
    return True


@cache
def _all_listeners(file: str) -> dict[tuple[str, str | None, str], list[str]]:
    root = require_shared("corpus/manifests/gateway-api/conformance")
    found: dict[tuple[str, str | None, str], list[str]] = {}
    for doc in yaml.safe_load_all((root / file).read_text(encoding="utf-8")):
        if isinstance(doc, dict) and doc.get("kind") in ("Gateway", "ListenerSet"):
            meta = doc["metadata"]
            found[(doc["kind"], meta.get("namespace"), meta["name"])] = [
                listener["name"] for listener in doc["spec"].get("listeners") or []
            ]
    return found


def _listener_names(case: dict[str, Any]) -> list[str]:
    obj = case["object"]
    return _all_listeners(case["file"]).get((obj["kind"], obj.get("namespace"), obj["name"]), [])


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_conformance_case(case: dict[str, Any]) -> None:
    evaluation = _evaluate(case["file"])
    assert not evaluation.errors, [str(e) for e in evaluation.errors]
    about = [f for f in evaluation.findings if _about(f, case)]
    if case["check"] == "none":
        assert not about, f"{case['why']}: {[f.check + ': ' + f.message for f in about]}"
    else:
        assert case["check"] in {f.check for f in about}, (
            f"{case['check']} expected ({case['why']}); got {[f.check + ': ' + f.message for f in about]}"
        )
