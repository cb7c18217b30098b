"""What every reporter renders: one scan's findings, skipped checks, errors and totals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from kgov import __version__
from kgov.analysis import Evaluation
from kgov.checks.registry import CheckSpec
from kgov.findings.model import Finding, Severity
from kgov.model.objects import Location, ObjectRef
from kgov.report.baseline import BaselineResult
from kgov.report.choices import DEFAULT_MAX_CHARS
from kgov.report.fingerprint import fingerprint

if TYPE_CHECKING:  # the migration model is imported by `kgov gate migration`, which fills it in
    from kgov.migration.readiness import Readiness

SCHEMA_VERSION = 1  # of the JSON report: kgov/data/report.schema.json
SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]


class RenderOptions(NamedTuple):
    """How to render a report, beyond the report itself (from the command line)."""

    fail_on: Severity = Severity.HIGH  # findings below it are not failures (JUnit)
    width: int = 120  # the terminal's columns (table)
    color: bool = False  # table
    quiet: bool = False  # table: no Skipped block
    max_chars: int = DEFAULT_MAX_CHARS  # Markdown


DEFAULT_OPTIONS = RenderOptions()


@dataclass(frozen=True, slots=True)
class AnnotationCount:
    """How many controller-specific annotations one Ingress carries (the HTML report's sprawl chart)."""

    ingress: ObjectRef
    count: int


@dataclass(slots=True)
class ScanReport:
    evaluation: Evaluation
    checks: list[CheckSpec]  # the checks that were selected for this run (for SARIF rules, JUnit cases)
    documents: int = 0
    objects: int = 0
    version: str = __version__
    title: str = "kgov scan"
    migration: Readiness | None = None  # per-Ingress verdicts (`kgov gate migration`)
    baseline: BaselineResult | None = None  # findings left out because a baseline records them
    # Filled only for the formats that show them (HTML): per-Ingress annotation counts against the
    # sprawl check's (warn, high) bands.
    annotations: list[AnnotationCount] = field(default_factory=list)
    annotation_bands: tuple[int, int] = (5, 20)
    not_manifests: int = 0  # files that hold no Kubernetes object (values, workflows, patches)
    notes: list[str] = field(default_factory=list)  # inputs not scanned: why, and how to scan them

    @property
    def findings(self) -> list[Finding]:
        return sorted(
            self.evaluation.findings,
            key=lambda f: (
                -f.severity.rank,
                f.check,
                f.target.namespace or "",
                f.target.kind,
                f.target.name,
            ),
        )


def input_notes(report: ScanReport) -> list[str]:
    """What the text reports say about the input besides findings: files that are not manifests, and
    inputs not scanned."""
    count = report.not_manifests
    counted = []
    if count == 1:
        counted = ["1 file is not a Kubernetes manifest"]
    elif count:
        counted = [f"{count} files are not Kubernetes manifests"]
    return [*counted, *report.notes]


def ref_dict(ref: ObjectRef) -> dict[str, Any]:
    return {
        "apiVersion": ref.api_version,
        "kind": ref.kind,
        "namespace": ref.namespace,
        "name": ref.name,
    }


def location_dict(location: Location) -> dict[str, Any]:
    """File, line and column; the chart template a rendered document came from, when known."""
    found: dict[str, Any] = {"file": location.file, "line": location.line, "column": location.column}
    if location.template is not None:
        found["template"] = location.template
    return found


def finding_dict(finding: Finding) -> dict[str, Any]:
    location = finding.location
    return {
        "check": finding.check,
        "fingerprint": fingerprint(finding),
        "category": finding.category.value,
        "severity": finding.severity.value,
        "target": ref_dict(finding.target),
        "related": [ref_dict(r) for r in finding.related],
        "message": finding.message,
        "evidence": finding.evidence,
        "remediation": finding.remediation,
        "location": location_dict(location) if location else None,
    }


def report_dict(report: ScanReport) -> dict[str, Any]:
    """The stable JSON shape (also the YAML output)."""
    findings = report.findings
    by_severity = Counter(f.severity.value for f in findings)
    evaluation = report.evaluation
    data = {
        "schemaVersion": SCHEMA_VERSION,
        "kgov": report.version,
        "findings": [finding_dict(f) for f in findings],
        "summary": {
            "documents": report.documents,
            "objects": report.objects,
            "not_manifests": report.not_manifests,
            "findings": len(findings),
            "by_severity": {s.value: by_severity.get(s.value, 0) for s in SEVERITY_ORDER},
            "by_check": dict(sorted(Counter(f.check for f in findings).items())),
        },
        "notes": report.notes,
        "skipped": [
            {"check": s.check, "reason": s.reason}
            | ({"target": ref_dict(s.target)} if s.target else {})
            | ({"undecided": s.undecided} if s.undecided else {})
            for s in evaluation.skipped
        ],
        "errors": [
            {"file": e.file, "line": e.line, "message": e.message, "kind": e.kind} for e in evaluation.errors
        ],
        "expired_waivers": [
            {
                "check": w.check,
                "target": w.target,
                "reason": w.reason,
                "expires": w.expires.isoformat(),
            }
            for w in evaluation.expired_waivers
            if w.expires is not None
        ],
    }
    if report.baseline is not None:
        data["baseline"] = report.baseline.as_dict()
    if report.migration is not None:
        data["migration"] = report.migration.as_dict()
    return data
