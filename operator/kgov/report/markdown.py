"""GitHub-flavoured Markdown for a pull-request comment or a job summary, within a size budget.

The first line is a hidden marker (`<!-- kgov-report -->`) so a CI step can find and update its own
comment. Then the verdict, a summary table (one row per check, most severe first), the findings
most severe first, and folded sections (remediation, skipped checks, input errors, expired
waivers). The whole text stays within `RenderOptions.max_chars` (default 60,000; GitHub rejects
comments over 65,536): what does not fit is cut from the least important end, and a line says how
many findings (or rows) were left out.
"""

from __future__ import annotations

from collections import Counter

from kgov.analysis import Skipped
from kgov.checks.registry import CheckSpec
from kgov.findings.model import Finding, Severity
from kgov.model.errors import InputError
from kgov.model.objects import Location
from kgov.report.budget import (
    PRIORITY_DETAILS,
    PRIORITY_ERRORS,
    PRIORITY_HEAD,
    PRIORITY_NOTES,
    PRIORITY_ROWS,
    PRIORITY_SUMMARY,
    Block,
    fit,
)
from kgov.report.locations import location_text
from kgov.report.mdtext import DETAILS_CLOSE, MARKER, code, details_open, escape, plural, row
from kgov.report.migration import readiness_blocks
from kgov.report.model import DEFAULT_OPTIONS, SEVERITY_ORDER, RenderOptions, ScanReport, input_notes
from kgov.report.sarif import docs_url

NO_FINDINGS = "No findings."
FULL_REPORT = "`-o json` has them all"

SEVERITY_ICONS: dict[Severity, str] = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🔴",
    Severity.MEDIUM: "🟠",
    Severity.LOW: "🟡",
    Severity.INFO: "🔵",
}


def _location(location: Location | None) -> str:
    where = location_text(location)
    return "—" if where is None else code(where, cell=True)


def _check_link(check: str, specs: dict[str, CheckSpec], *, cell: bool = False) -> str:
    """A reference link (`[`id`][id]`): the address is written once, at the end (`_link_targets`)."""
    name = code(check, cell=cell)
    return f"[{name}][{check}]" if check in specs else name


def _link_targets(report: ScanReport) -> Block:
    used = {f.check for f in report.evaluation.findings} | {s.check for s in report.evaluation.skipped}
    targets = [f"[{spec.id}]: {docs_url(spec)}" for spec in report.checks if spec.id in used]
    return Block(["", *targets] if targets else [], priority=PRIORITY_HEAD)


def _severity(severity: Severity) -> str:
    return f"{SEVERITY_ICONS[severity]} {severity.value}"


def _scanned(report: ScanReport) -> str:
    objects = plural(report.objects, "object")
    if report.documents:
        return f"{objects} in {plural(report.documents, 'document')} scanned"
    return f"{objects} scanned"


def verdict(report: ScanReport) -> str:
    findings = report.findings
    known = f" Baseline: {escape(report.baseline.note())}." if report.baseline is not None else ""
    if not findings:
        return f"✅ **{NO_FINDINGS}** {_scanned(report)}.{known}"
    counts = Counter(f.severity for f in findings)
    by_severity = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s])
    return f"❌ **{plural(len(findings), 'finding')}**: {by_severity} — {_scanned(report)}.{known}"


def _summary(findings: list[Finding], specs: dict[str, CheckSpec]) -> Block:
    """One row per check (most severe first, then most findings): the table that is always shown."""
    counts = Counter((f.severity, f.check) for f in findings)
    order = sorted(counts, key=lambda key: (-key[0].rank, -counts[key], key[1]))
    rows = []
    for severity, check in order:
        spec = specs.get(check)
        title = escape(spec.title) if spec else ""
        rows.append(
            row(
                [
                    _severity(severity),
                    _check_link(check, specs, cell=True),
                    str(counts[severity, check]),
                    title,
                ]
            )
        )
    head = ["", "| Severity | Check | Findings | Title |", "|---|---|--:|---|"]
    return Block(head, rows, priority=PRIORITY_SUMMARY, more=lambda n: f"\n…and {plural(n, 'more check')}.")


def _rows(findings: list[Finding], specs: dict[str, CheckSpec]) -> Block:
    rows = [
        row(
            [
                _severity(finding.severity),
                _check_link(finding.check, specs, cell=True),
                code(finding.target.display(), cell=True),
                escape(finding.message),
                _location(finding.location),
            ]
        )
        for finding in findings
    ]
    head = [
        "",
        "#### Findings, most severe first",
        "",
        "| Severity | Check | Target | Message | Location |",
        "|---|---|---|---|---|",
    ]
    total = len(findings)

    def more(n: int) -> str:
        return f"\n…and {plural(n, 'more finding')} not shown ({total - n} of {total} above; {FULL_REPORT})."

    return Block(head, rows, priority=PRIORITY_ROWS, more=more)


def _remediation(findings: list[Finding], specs: dict[str, CheckSpec]) -> Block:
    first: dict[str, Finding] = {}
    for finding in findings:
        first.setdefault(finding.check, finding)
    items = []
    for check, finding in first.items():
        spec = specs.get(check)
        title = f" {escape(spec.title)}" if spec else ""
        items.append(f"- **{_check_link(check, specs)}**{title}: {escape(finding.remediation)}")
    head = details_open(f"Remediation ({plural(len(first), 'check')})")
    return Block(head, items, DETAILS_CLOSE, priority=PRIORITY_DETAILS, optional=True)


def _skipped(skipped: list[Skipped], specs: dict[str, CheckSpec]) -> Block:
    items = []
    for skip in skipped:
        what = (
            "undecided"
            if skip.undecided
            else "not run"
            if skip.target is None
            else code(skip.target.display())
        )
        items.append(f"- {_check_link(skip.check, specs)} {what}: {escape(skip.reason)}")
    exempted = sum(1 for s in skipped if s.target is not None)
    undecided = sum(1 for s in skipped if s.undecided)
    not_run = len(skipped) - exempted - undecided
    counts = (
        f"{not_run} not run" if not_run else "",
        f"{exempted} exempted" if exempted else "",
        f"{undecided} undecided" if undecided else "",
    )
    parts = [p for p in counts if p]
    head = details_open(f"Skipped ({', '.join(parts)})")
    return Block(head, items, DETAILS_CLOSE, priority=PRIORITY_NOTES, optional=True)


def _errors(errors: list[InputError]) -> Block:
    items = []
    for error in errors:
        kind = " (internal error)" if error.kind == "internal" else ""
        where = error.file if error.line is None else f"{error.file}:{error.line}"
        items.append(f"- {code(where)}{kind}: {escape(error.message)}")
    head = details_open(f"⚠️ Input errors ({len(errors)})")
    return Block(head, items, DETAILS_CLOSE, priority=PRIORITY_ERRORS)


def finding_blocks(report: ScanReport) -> list[Block]:
    """Everything below the verdict: summary, findings, and the folded sections."""
    specs = {spec.id: spec for spec in report.checks}
    findings = report.findings
    evaluation = report.evaluation
    blocks = []
    notes = input_notes(report)
    if notes:
        blocks.append(Block([""], [f"- {escape(note)}" for note in notes], priority=PRIORITY_SUMMARY))
    if findings:
        blocks += [_summary(findings, specs), _rows(findings, specs), _remediation(findings, specs)]
    if evaluation.skipped:
        blocks.append(_skipped(evaluation.skipped, specs))
    if evaluation.errors:
        blocks.append(_errors(evaluation.errors))
    expired = [w for w in evaluation.expired_waivers if w.expires is not None]
    if expired:
        items = [
            f"- {code(w.check)} on {code(w.target)} expired {w.expires}: {escape(w.reason)}" for w in expired
        ]
        head = details_open(f"Expired waivers ({len(expired)})")
        blocks.append(Block(head, items, DETAILS_CLOSE, priority=PRIORITY_NOTES, optional=True))
    return blocks


def render_markdown(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    head = [MARKER, f"### {escape(report.title)}", ""]
    if report.migration is None:
        blocks = [Block([*head, verdict(report)], priority=PRIORITY_HEAD)]
    else:
        blocks = readiness_blocks(report.migration, head)
        blocks.append(Block(["", "#### Checks", "", verdict(report)], priority=PRIORITY_HEAD))
    return fit([*blocks, *finding_blocks(report), _link_targets(report)], options.max_chars)
