"""The static Gateway API checks agree with the Gateway API v1.6.1 conformance suite.

`tests/data/gateway_conformance_expectations.yaml` records, for the conformance manifests in
`../shared/corpus/manifests/gateway-api/conformance/`, what the upstream Go tests
(kubernetes-sigs/gateway-api `conformance/tests/*.go`) assert about each route, parent and listener, and
which kgov check must fire. Every case a manifest-only tool can decide is verified here: negative cases
must raise the named check on the object (for that parent), positive ones must raise no static
gateway finding about that parent. Negative cases the checks deliberately leave undecided are listed
in `UNDECIDED` with the reason, and the test holds them to that: the named check stays quiet.
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

# (file, object name, parent or listener) → why the static checks leave it undecided.
_KIND = (
    "a reference of a group or kind other than the core one may be served by the implementation "
    "(implementation-specific support); only the controller can say it is invalid"
)
UNDECIDED: dict[tuple[str, str, str | None], str] = {
    (
        "tests/gateway-invalid-tls-backend-configuration.yaml",
        "gateway-client-certificate-unsupported-group",
        None,
    ): _KIND,
    (
        "tests/gateway-invalid-tls-backend-configuration.yaml",
        "gateway-client-certificate-unsupported-kind",
        None,
    ): _KIND,
    ("tests/gateway-invalid-tls-configuration.yaml", "gateway-certificate-unsupported-group", "https"): _KIND,
    ("tests/gateway-invalid-tls-configuration.yaml", "gateway-certificate-unsupported-kind", "https"): _KIND,
    (
        "tests/gateway-with-invalid-clientcertificate-validation.yaml",
        "gateway-with-invalid-client-cert-validation",
        "https-invalid-kind",
    ): _KIND,
    (
        "tests/httproute-invalid-backendref-unknown-kind.yaml",
        "invalid-backend-ref-unknown-kind",
        "gateway-conformance-infra/same-namespace",
    ): _KIND,
    (
        "tests/tlsroute-invalid-backendref-unknown-kind.yaml",
        "invalid-backend-ref-unknown-kind",
        "gateway-conformance-infra/gateway-tlsroute-invalid-backend-ref-unknown-kind",
    ): _KIND,
}


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
    return run_checks(base + "\n---\n" + text, STATIC_CHECKS, name=file)


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
    key = (case["file"], case["object"]["name"], case.get("parent") or case.get("listener"))
    evaluation = _evaluate(case["file"])
    assert not evaluation.errors, [str(e) for e in evaluation.errors]
    about = [f for f in evaluation.findings if _about(f, case)]
    if key in UNDECIDED:
        assert case["check"] not in {f.check for f in about}, UNDECIDED[key]
    elif case["check"] == "none":
        assert not about, f"{case['why']}: {[f.check + ': ' + f.message for f in about]}"
    else:
        assert case["check"] in {f.check for f in about}, (
            f"{case['check']} expected ({case['why']}); got {[f.check + ': ' + f.message for f in about]}"
        )
