"""Terminal output: findings grouped by file (or by object when there is no file), then a summary,
skips and errors, laid out for the terminal's width.

Each finding is one row: where in the file, severity, check, message. The message column takes
whatever width the other columns leave and wraps there; a long check id breaks after a `.` or `-`.
Colour only when asked (the CLI passes `color=` from whether stdout is a terminal and `NO_COLOR`).
Every piece of input text is rendered as plain `Text`, never parsed as rich markup, so `[brackets]`
in a message or a file name print as they are.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from kgov import escape
from kgov.analysis import Evaluation, Skipped
from kgov.findings.model import Finding, Severity
from kgov.report.locations import STDIN, STDIN_NAME, file_of, line_column
from kgov.report.migration import render_readiness_table
from kgov.report.model import DEFAULT_OPTIONS, SEVERITY_ORDER, RenderOptions, ScanReport, input_notes

INDENT = 2
GAP = 2
MIN_MESSAGE = 24  # below this the message goes on its own lines under the row
MIN_WIDTH = 40

SEVERITY_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}

_ID_BREAK = re.compile(r"(?<=[.\-_/])")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# ---- grouping --------------------------------------------------------------------------------


@dataclass(slots=True)
class Group:
    heading: str
    findings: list[Finding]


def _file_of(finding: Finding) -> str | None:
    """The group a finding belongs to by file: its file, `<stdin>`, or None (by object)."""
    location = finding.location
    if location is not None and location.file == STDIN:
        return STDIN_NAME
    return file_of(location)


def groups(findings: list[Finding]) -> list[Group]:
    """One group per file in path order, then one per object read from a cluster (or from nowhere);
    in a group, findings by line, then severity (most severe first), then check."""
    by_file: dict[str, list[Finding]] = {}
    by_object: dict[str, list[Finding]] = {}
    for finding in findings:
        file = _file_of(finding)
        if file is None:
            by_object.setdefault(finding.target.display(), []).append(finding)
        else:
            by_file.setdefault(file, []).append(finding)

    def order(f: Finding) -> tuple[int, int, int, str]:
        location = f.location
        line = location.line if location and location.line is not None else 0
        column = location.column if location and location.column is not None else 0
        return (line, column, -f.severity.rank, f.check)

    return [
        Group(heading, sorted(items, key=order))
        for source in (by_file, by_object)
        for heading, items in sorted(source.items())
    ]


# ---- layout ----------------------------------------------------------------------------------


def _where(finding: Finding) -> str:
    """`line:column` (or `line`) inside the group's file; empty when there is no file or line."""
    return line_column(finding.location) if _file_of(finding) else ""


def wrap_id(check: str, width: int) -> list[str]:
    """A check id in lines of at most `width`, broken after `.`, `-`, `_` or `/` where possible."""
    lines: list[str] = []
    current = ""
    for part in _ID_BREAK.split(check):
        while len(part) > width:  # a part longer than the column: fold it
            if current:
                lines.append(current)
                current = ""
            lines.append(part[:width])
            part = part[width:]
        if len(current) + len(part) > width:
            lines.append(current)
            current = ""
        current += part
    if current:
        lines.append(current)
    return lines or [""]


@dataclass(frozen=True, slots=True)
class Columns:
    where: int
    severity: int
    check: int
    message: int  # 0: the message goes under the row, indented

    @classmethod
    def fit(cls, findings: list[Finding], width: int) -> Columns:
        where = max((len(_where(f)) for f in findings), default=0)
        severity = max(len(f.severity.value) for f in findings)
        check = max(len(f.check) for f in findings)
        fixed = INDENT + (where + GAP if where else 0) + severity + GAP
        room = width - fixed - GAP
        # The check id gets at most a third of what is left; the message the rest.
        check = min(check, max(room // 3, 12))
        message = room - check
        if message < MIN_MESSAGE:
            check = min(max(len(f.check) for f in findings), max(width - fixed, 8))
            message = 0
        return cls(where, severity, check, message)


def _lead(finding: Finding, cols: Columns) -> Text:
    """The start of a finding's first line: indent, where in the file, severity."""
    lead = Text(" " * INDENT)
    if cols.where:
        lead.append(_where(finding).ljust(cols.where), style="dim")
        lead.append(" " * GAP)
    lead.append(finding.severity.value.ljust(cols.severity), style=SEVERITY_STYLES[finding.severity])
    lead.append(" " * GAP)
    return lead


def _message_lines(finding: Finding, width: int, console: Console) -> list[Text]:
    message = Text(escape.terminal(finding.message.replace("\r\n", "\n").replace("\r", "\n")))
    lines = list(message.wrap(console, width))
    for line in lines:
        line.rstrip()
    return lines


def _row(finding: Finding, cols: Columns, console: Console) -> Iterator[Text]:
    """The check id and the message side by side, each wrapped in its column; on a terminal too
    narrow for that, the message goes under the row."""
    first = _lead(finding, cols)
    pad = Text(" " * len(first.plain))
    checks = wrap_id(finding.check, cols.check)
    if not cols.message:
        for index, check in enumerate(checks):
            yield (first if index == 0 else pad.copy()) + check
        for line in _message_lines(finding, max(console.width - INDENT * 3, 10), console):
            yield Text(" " * INDENT * 3) + line
        return
    messages = _message_lines(finding, cols.message, console)
    for index in range(max(len(checks), len(messages))):
        line = first if index == 0 else pad.copy()
        line.append((checks[index] if index < len(checks) else "").ljust(cols.check) + " " * GAP)
        if index < len(messages):
            line.append_text(messages[index])
        line.rstrip()
        yield line


def _findings_lines(findings: list[Finding], console: Console) -> Iterator[Text]:
    cols = Columns.fit(findings, console.width)
    for index, group in enumerate(groups(findings)):
        if index:
            yield Text("")
        yield Text(escape.terminal(group.heading), style="bold underline")
        for finding in group.findings:
            yield from _row(finding, cols, console)


# ---- summary and notes -----------------------------------------------------------------------


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


def print_item(console: Console, text: Text, indent: int = INDENT) -> None:
    """One entry of a list, wrapped to the console's width, continuation lines indented twice."""
    for index, line in enumerate(text.wrap(console, max(console.width - indent * 2, 10))):
        line.rstrip()
        pad = " " * (indent if index == 0 else indent * 2)
        console.print(Text(pad) + line, no_wrap=True, overflow="ignore", crop=False)


def _print_notes(console: Console, evaluation: Evaluation, quiet: bool) -> None:
    if evaluation.skipped and not quiet:
        console.print()
        console.print(Text("Skipped:", style="bold"))
        for line in skipped_lines(evaluation.skipped):
            print_item(console, Text(escape.terminal(line), style="dim"))
    if evaluation.errors:
        console.print()
        console.print(Text(f"{plural(len(evaluation.errors), 'error')}:", style="bold red"))
        for error in evaluation.errors:
            kind = "internal error: " if error.kind == "internal" else ""
            where = error.file if error.line is None else f"{error.file}:{error.line}"
            print_item(console, Text(escape.terminal(f"{where}: {kind}{error.message}")))
    expired = [w for w in evaluation.expired_waivers if w.expires is not None]
    if expired:
        console.print()
        console.print(Text("Expired waivers (no longer applied):", style="bold yellow"))
        for waiver in expired:
            print_item(
                console,
                Text(
                    escape.terminal(
                        f"{waiver.check} {waiver.target}: expired {waiver.expires} ({waiver.reason})"
                    )
                ),
            )


def console_for(buffer: io.StringIO, options: RenderOptions) -> Console:
    return Console(
        file=buffer,
        force_terminal=options.color,
        no_color=not options.color,
        width=max(options.width, MIN_WIDTH),
        highlight=False,
        emoji=False,
    )


def render_findings(report: ScanReport, console: Console, options: RenderOptions) -> None:
    findings = report.findings
    if findings:
        for line in _findings_lines(findings, console):
            console.print(line, no_wrap=True, overflow="ignore", crop=False)
        console.print()
    print_item(console, summary_line(report), indent=0)
    for note in input_notes(report):
        print_item(console, Text(note, style="dim"), indent=0)
    if report.baseline is not None:
        print_item(console, Text(f"Baseline: {report.baseline.note()}.", style="dim"), indent=0)
    _print_notes(console, report.evaluation, options.quiet)


def render_table(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    buffer = io.StringIO()
    console = console_for(buffer, options)
    if report.migration is not None:
        render_readiness_table(report.migration, console)
    render_findings(report, console, options)
    return buffer.getvalue()
