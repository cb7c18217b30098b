"""GitHub-flavoured Markdown for a pull-request comment: verdict, one table, details folded away.

The first line is a hidden marker (`<!-- kgov-report -->`) so a CI step can find and update its own
comment. The table is capped at `MAX_ROWS` rows to stay well inside GitHub's comment size limit.
"""

from __future__ import annotations

import re
from collections import Counter

from kgov.analysis import Skipped
from kgov.checks.registry import CheckSpec
from kgov.findings.model import Finding, Severity
from kgov.model.errors import InputError
from kgov.model.objects import Location
from kgov.report.model import SEVERITY_ORDER, ScanReport
from kgov.report.sarif import docs_url, location_text

MARKER = "<!-- kgov-report -->"
MAX_ROWS = 100
NO_FINDINGS = "No findings."

SEVERITY_ICONS: dict[Severity, str] = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🔴",
    Severity.MEDIUM: "🟠",
    Severity.LOW: "🟡",
    Severity.INFO: "🔵",
}

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """Text for a table cell or a list item: no raw HTML, no cell breaks, one line."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|")
    return _NEWLINES.sub("<br>", text.strip())


def code(text: str, *, cell: bool = False) -> str:
    """A code span that survives backticks in the text; in a table `cell`, pipes are escaped (GFM
    unescapes `\\|` inside code spans in tables, and only there)."""
    text = _NEWLINES.sub(" ", text)
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _location(location: Location | None) -> str:
    where = location_text(location)
    return "—" if where is None else code(where, cell=True)


def _check_link(check: str, specs: dict[str, CheckSpec], *, cell: bool = False) -> str:
    spec = specs.get(check)
    name = code(check, cell=cell)
    return f"[{name}]({docs_url(spec)})" if spec else name


def _scanned(report: ScanReport) -> str:
    objects = plural(report.objects, "object")
    if report.documents:
        return f"{objects} in {plural(report.documents, 'document')} scanned"
    return f"{objects} scanned"


def verdict(report: ScanReport) -> str:
    findings = report.findings
    if not findings:
        return f"✅ **{NO_FINDINGS}** {_scanned(report)}."
    counts = Counter(f.severity for f in findings)
    by_severity = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s])
    return f"❌ **{plural(len(findings), 'finding')}**: {by_severity} — {_scanned(report)}."


def _table(findings: list[Finding], specs: dict[str, CheckSpec]) -> list[str]:
    lines = ["| Severity | Check | Target | Message | Location |", "|---|---|---|---|---|"]
    for finding in findings[:MAX_ROWS]:
        severity = f"{SEVERITY_ICONS[finding.severity]} {finding.severity.value}"
        cells = [
            severity,
            _check_link(finding.check, specs, cell=True),
            code(finding.target.display(), cell=True),
            escape(finding.message),
            _location(finding.location),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(findings) > MAX_ROWS:
        more = len(findings) - MAX_ROWS
        lines += ["", f"…and {plural(more, 'more finding')}: see the full report (`-o json`)."]
    return lines


def _details(summary: str, body: list[str]) -> list[str]:
    return ["", "<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _remediation(findings: list[Finding], specs: dict[str, CheckSpec]) -> list[str]:
    first: dict[str, Finding] = {}
    for finding in findings:
        first.setdefault(finding.check, finding)
    lines = []
    for check, finding in first.items():
        spec = specs.get(check)
        title = f" {escape(spec.title)}" if spec else ""
        lines.append(f"- **{_check_link(check, specs)}**{title}: {escape(finding.remediation)}")
    return _details(f"Remediation ({plural(len(first), 'check')})", lines)


def _skipped(skipped: list[Skipped], specs: dict[str, CheckSpec]) -> list[str]:
    lines = []
    for skip in skipped[:MAX_ROWS]:
        what = (
            "undecided"
            if skip.undecided
            else "not run"
            if skip.target is None
            else code(skip.target.display())
        )
        lines.append(f"- {_check_link(skip.check, specs)} {what}: {escape(skip.reason)}")
    if len(skipped) > MAX_ROWS:
        lines.append(f"- …and {len(skipped) - MAX_ROWS} more")
    exempted = sum(1 for s in skipped if s.target is not None)
    undecided = sum(1 for s in skipped if s.undecided)
    not_run = len(skipped) - exempted - undecided
    counts = (
        f"{not_run} not run" if not_run else "",
        f"{exempted} exempted" if exempted else "",
        f"{undecided} undecided" if undecided else "",
    )
    parts = [p for p in counts if p]
    return _details(f"Skipped ({', '.join(parts)})", lines)


def _errors(errors: list[InputError]) -> list[str]:
    lines = []
    for error in errors[:MAX_ROWS]:
        kind = " (internal error)" if error.kind == "internal" else ""
        where = error.file if error.line is None else f"{error.file}:{error.line}"
        lines.append(f"- {code(where)}{kind}: {escape(error.message)}")
    if len(errors) > MAX_ROWS:
        lines.append(f"- …and {len(errors) - MAX_ROWS} more")
    return _details(f"⚠️ Input errors ({len(errors)})", lines)


def render_markdown(report: ScanReport) -> str:
    specs = {spec.id: spec for spec in report.checks}
    findings = report.findings
    evaluation = report.evaluation
    lines = [MARKER, f"### {escape(report.title)}", "", verdict(report)]
    if findings:
        lines += ["", *_table(findings, specs)]
        lines += _remediation(findings, specs)
    if evaluation.skipped:
        lines += _skipped(evaluation.skipped, specs)
    if evaluation.errors:
        lines += _errors(evaluation.errors)
    expired = [w for w in evaluation.expired_waivers if w.expires is not None]
    if expired:
        body = [
            f"- {code(w.check)} on {code(w.target)} expired {w.expires}: {escape(w.reason)}" for w in expired
        ]
        lines += _details(f"Expired waivers ({len(expired)})", body)
    return "\n".join(lines) + "\n"
