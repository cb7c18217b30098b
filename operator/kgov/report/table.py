"""Terminal output: one table of findings in severity sections, then a summary, skips and errors.

Colour only when asked (the CLI passes `color=` from whether stdout is a terminal). Every piece of
input text is rendered as plain `Text`, never parsed as rich markup, so `[brackets]` in a message or
a file name print as they are.
"""

from __future__ import annotations

import io
from collections import Counter
from itertools import groupby

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kgov.analysis import Evaluation, Skipped
from kgov.findings.model import Finding, Severity
from kgov.model.objects import Location
from kgov.report.model import SEVERITY_ORDER, ScanReport
from kgov.report.sarif import location_text

DEFAULT_WIDTH = 120

SEVERITY_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _location(location: Location | None) -> str:
    return location_text(location) or ""


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Target", overflow="fold")
    table.add_column("Message", ratio=1, overflow="fold")
    table.add_column("Location", overflow="fold")
    groups = [list(group) for _, group in groupby(findings, key=lambda f: f.severity)]
    for index, group in enumerate(groups):
        for finding in group:
            table.add_row(
                Text(finding.severity.value, style=SEVERITY_STYLES[finding.severity]),
                Text(finding.check),
                Text(finding.target.display()),
                Text(finding.message),
                Text(_location(finding.location)),
            )
        if index < len(groups) - 1:
            table.add_section()
    return table


def _scanned(report: ScanReport) -> str:
    objects = plural(report.objects, "object")
    if report.documents:
        return f"{objects} in {plural(report.documents, 'document')}"
    return objects


def summary_line(report: ScanReport) -> Text:
    findings = report.findings
    if not findings:
        return Text(f"No findings in {_scanned(report)}.", style="green")
    counts = Counter(f.severity for f in findings)
    line = Text(f"{plural(len(findings), 'finding')}: ", style="bold")
    parts = [s for s in SEVERITY_ORDER if counts[s]]
    for index, severity in enumerate(parts):
        line.append(f"{counts[severity]} {severity.value}", style=SEVERITY_STYLES[severity])
        if index < len(parts) - 1:
            line.append(", ")
    line.append(f" ({_scanned(report)} scanned)")
    return line


def skipped_lines(skipped: list[Skipped]) -> list[str]:
    """One line per check: why it did not run, or how many targets were exempted (and why, when
    they share one reason)."""
    not_run: dict[str, str] = {}
    exempted: dict[str, list[str]] = {}
    undecided: list[str] = []
    for skip in skipped:
        if skip.undecided:
            undecided.append(f"{skip.check}: undecided, {skip.reason}")
        elif skip.target is None:
            not_run.setdefault(skip.check, skip.reason)
        else:
            exempted.setdefault(skip.check, []).append(skip.reason)
    lines = [f"{check}: not run, {reason}" for check, reason in not_run.items()]
    for check, reasons in exempted.items():
        line = f"{check}: {plural(len(reasons), 'target')} exempted"
        distinct = set(reasons)
        line += f" ({reasons[0]})" if len(distinct) == 1 else f" ({len(distinct)} reasons)"
        lines.append(line)
    return lines + undecided


def _print_notes(console: Console, evaluation: Evaluation) -> None:
    if evaluation.skipped:
        console.print()
        console.print(Text("Skipped:", style="bold"))
        for line in skipped_lines(evaluation.skipped):
            console.print(Text(f"  {line}", style="dim"))
    if evaluation.errors:
        console.print()
        console.print(Text(f"{plural(len(evaluation.errors), 'error')}:", style="bold red"))
        for error in evaluation.errors:
            kind = "internal error: " if error.kind == "internal" else ""
            where = error.file if error.line is None else f"{error.file}:{error.line}"
            console.print(Text(f"  {where}: {kind}{error.message}"))
    expired = [w for w in evaluation.expired_waivers if w.expires is not None]
    if expired:
        console.print()
        console.print(Text("Expired waivers (no longer applied):", style="bold yellow"))
        for waiver in expired:
            console.print(
                Text(f"  {waiver.check} {waiver.target}: expired {waiver.expires} ({waiver.reason})")
            )


def render_table(report: ScanReport, color: bool = False, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width or DEFAULT_WIDTH,
        highlight=False,
        emoji=False,
    )
    findings = report.findings
    if findings:
        console.print(_findings_table(findings))
    console.print(summary_line(report))
    _print_notes(console, report.evaluation)
    return buffer.getvalue()
