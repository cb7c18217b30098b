"""One line per finding, for grep and editors: `file:line:column: severity check message`.

The location is as precise as known: `file:line:` without a column, `file:` without a line, and the
object (`Deployment shop/web:`) for an object read from a cluster. Newlines in a message become
spaces, so one finding is always one line. Input errors follow in the same shape with `error` as the
severity; then what a check could not decide for lack of an object, as `# undecided: CHECK: REASON`
lines that no `file:line:` pattern matches.
"""

from __future__ import annotations

import re

from kgov import escape
from kgov.findings.model import Finding
from kgov.model.errors import InputError
from kgov.report.locations import location_text
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport

_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def one_line(text: str) -> str:
    return escape.line(_BREAKS.sub(" ", text.strip()))


def finding_line(finding: Finding) -> str:
    where = location_text(finding.location) or finding.target.display()
    return f"{where}: {finding.severity.value} {finding.check} {one_line(finding.message)}"


def error_line(error: InputError) -> str:
    where = error.file if error.line is None else f"{error.file}:{error.line}"
    kind = "internal-error" if error.kind == "internal" else "input-error"
    return f"{where}: error {kind} {one_line(error.message)}"


def render_compact(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    lines = [finding_line(f) for f in report.findings]
    lines += [error_line(e) for e in report.evaluation.errors]
    lines += [
        f"# undecided: {s.check}: {one_line(s.reason)}" for s in report.evaluation.skipped if s.undecided
    ]
    return "".join(line + "\n" for line in lines)
