"""Per-Ingress readiness verdicts from the migration findings, the annotation surface and parity, by
the rules of `VERDICT_RULES` (the table docs/migration.md shows, checked by a test).

Verdicts follow the findings after severity overrides, waivers and exemptions, so a team that accepts
a gap in config sees the verdict it expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kgov.findings.model import Category, Finding, Severity
from kgov.inventory import Inventory
from kgov.inventory.network import IngressView
from kgov.migration.conflicts import ORDER_UNKNOWN
from kgov.migration.parity import UNDECIDED, Parity, migration_index
from kgov.migration.surface import UNKNOWN_CLASS, Mapped, annotation_surface

READY, NEEDS_REVIEW, BLOCKED = "ready", "needs-review", "blocked"
BLOCKING = Severity.HIGH  # a migration finding at or above it blocks its Ingress
_ORDER = {READY: 0, NEEDS_REVIEW: 1, BLOCKED: 2}


@dataclass(slots=True)
class IngressReadiness:
    view: IngressView
    verdict: str
    annotations: list[Mapped]
    parity: Parity
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.view.obj.namespace,
            "name": self.view.obj.name,
            "verdict": self.verdict,
            "annotations": [m.as_dict() for m in self.annotations],
            "parity": self.parity.status,
            "mismatches": [m.as_dict() for m in self.parity.mismatches],
        }


@dataclass(slots=True)
class Readiness:
    ingresses: list[IngressReadiness]

    @property
    def verdict(self) -> str:
        return max((i.verdict for i in self.ingresses), key=_ORDER.__getitem__, default=READY)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "ingresses": [i.as_dict() for i in self.ingresses]}


@dataclass(frozen=True, slots=True)
class VerdictRule:
    """One row of the verdict table (docs/migration.md shows `verdict_table()`): the first rule whose
    test holds gives the Ingress its verdict."""

    verdict: str
    when: str
    test: Callable[[list[Severity], list[Mapped]], bool]


VERDICT_RULES = (
    VerdictRule(
        BLOCKED,
        "a migration finding on the Ingress at `high` or above: an annotation with no Gateway API "
        "equivalent, access control the routes drop (`auth-url`, `auth-type`, `whitelist-source-range`, "
        "`denylist-source-range`, `satisfy`: only a waiver whose `replacement:` names the policy that takes "
        "over accepts it), a configuration NGINX refuses (a duplicate location), a route-parity or a "
        "TLS-parity mismatch",
        lambda severities, _: any(s.at_least(BLOCKING) for s in severities),
    ),
    VerdictRule(
        NEEDS_REVIEW,
        "a migration finding at `low` or `medium` (an implementation policy or the Experimental channel "
        "is needed, a semantic gap, an annotation value ingress-nginx ignores, a winner among Ingresses of "
        "one host that depends on creation times the input lacks, an answer that depends on what the input "
        "lacks (a certificate's names, the controller ConfigMap), a new Ingress under "
        "`forbid_new_ingress`), an annotation the catalogue cannot map (class `?`), or parity that could not "
        "be decided (a regular expression beyond kgov's bounds, TLS put to a Gateway not in the input)",
        lambda severities, mapped: (
            any(s.at_least(Severity.LOW) for s in severities) or any(m.klass == UNKNOWN_CLASS for m in mapped)
        ),
    ),
    VerdictRule(READY, "nothing else (a dual-served host is information only)", lambda _, __: True),
)


def verdict_table() -> str:
    rows = [f"| `{rule.verdict}` | {rule.when} |" for rule in VERDICT_RULES]
    return "\n".join(["| verdict | when |", "|---|---|", *rows]) + "\n"


def _concerned(finding: Finding) -> list[tuple[str, str | None, str]]:
    """The Ingresses a finding's verdict applies to: its target, and for an order two Ingresses' creation
    times decide, the other one too (the finding is on one of them only)."""
    if finding.check == ORDER_UNKNOWN:
        return [finding.target.key, *(r.key for r in finding.related)]
    return [finding.target.key]


def verdict_of(findings: Iterable[Finding], annotations: Iterable[Mapped]) -> str:
    severities = [f.severity for f in findings if f.category is Category.MIGRATION]
    mapped = list(annotations)
    return next(rule.verdict for rule in VERDICT_RULES if rule.test(severities, mapped))


def readiness(
    inventory: Inventory, ingresses: Iterable[IngressView], findings: Iterable[Finding], prefix: str
) -> Readiness:
    by_target: dict[tuple[str, str | None, str], list[Finding]] = {}
    for finding in findings:
        for key in _concerned(finding):
            by_target.setdefault(key, []).append(finding)
    index = migration_index(inventory, prefix)
    found = []
    for view in sorted(ingresses, key=lambda v: (v.obj.namespace or "", v.obj.name)):
        mine = by_target.get(view.obj.key, [])
        surface = annotation_surface(view, inventory.network, prefix)
        parity = index.parity(view)
        verdict = verdict_of(mine, surface)
        if parity.status == UNDECIDED and verdict == READY:
            verdict = NEEDS_REVIEW  # parity not decided is not parity shown
        found.append(IngressReadiness(view, verdict, surface, parity, mine))
    return Readiness(found)
