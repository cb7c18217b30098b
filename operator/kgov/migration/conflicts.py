"""One conflict, one finding. A path two ingress-nginx Ingresses route to different backends, in an order
the input does not tell (files carry no creation times), is found by two checks: `ingress.conflicting-paths`
(one backend gets no traffic) and `migration.order-unknown` (which answer a migration must keep is not
known). Each reports it by its own rule and params; a scan then shows it once, as conflicting-paths'
finding with the order-unknown one folded into it (`evidence.merged`). The migration gate runs only the
migration checks and reads `migration.order-unknown`'s finding itself."""

from __future__ import annotations

import dataclasses
from typing import Any

from kgov.findings.model import Finding

CONFLICTING_PATHS = "ingress.conflicting-paths"
ORDER_UNKNOWN = "migration.order-unknown"

ConflictKey = tuple[tuple[str, str | None, str], str, str, str]  # (target, the other Ingress, host, subject)


def path_subject(path: str, path_type: str) -> str:
    """How an order-unknown finding names the path two Ingresses define (`Exact` or `Prefix`)."""
    return f"path {path} ({path_type})"


def _host(host: str) -> str:
    # A rule without a host and one whose host is `*` claim the same server.
    return "*" if host in ("", "*") else host


def _claimed(finding: Finding) -> list[ConflictKey]:
    """The conflicts of a conflicting-paths finding whose order the input does not tell."""
    conflicts: list[dict[str, Any]] = finding.evidence.get("conflicts", [])
    return [
        (finding.target.key, c["other"], _host(c["host"]), path_subject(c["path"], c["pathType"]))
        for c in conflicts
        if c["older"] is None
    ]


def _order_key(finding: Finding) -> ConflictKey:
    evidence = finding.evidence
    return (finding.target.key, evidence["kept"], _host(evidence["host"]), evidence["subject"])


def fold_order_conflicts(findings: list[Finding]) -> None:
    """Fold, in place, each order-unknown finding into the conflicting-paths findings on the same Ingress
    (every copy of it the input holds) that report the same conflict; a conflict only one of the two
    checks reports keeps its finding."""
    claimed: dict[ConflictKey, list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.check == CONFLICTING_PATHS:
            for key in _claimed(finding):
                claimed.setdefault(key, []).append(index)
    folded = [f for f in findings if f.check == ORDER_UNKNOWN and _order_key(f) in claimed]
    merged = {index for f in folded for index in claimed[_order_key(f)]}
    dropped = {id(f) for f in folded}
    findings[:] = [
        dataclasses.replace(f, evidence={**f.evidence, "merged": [ORDER_UNKNOWN]}) if i in merged else f
        for i, f in enumerate(findings)
        if id(f) not in dropped
    ]
