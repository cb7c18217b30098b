"""GitHub Actions workflow commands: one annotation per finding on the file and line it concerns.

`::error file=F,line=L,col=C,title=CHECK::MESSAGE`, with `error` for critical and high, `warning` for
medium, `notice` for low and info. Values are escaped as the runner expects (`%`, CR and LF
everywhere; `:` and `,` too in properties), so a message cannot end the command or start another.
A finding without a file (read from a cluster) is annotated on the workflow run itself. Input errors
are `error` annotations on their file; what a check could not decide for lack of an object is a
`notice` on the run.
"""

from __future__ import annotations

from kgov import escape
from kgov.findings.model import Finding, Severity
from kgov.model.errors import InputError
from kgov.report.locations import NO_FILE, file_of
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport

COMMANDS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def escape_data(text: str) -> str:
    text = "\r".join(escape.terminal(part) for part in text.split("\r"))  # CR is encoded below
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    given = [f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None]
    props = " " + ",".join(given) if given else ""
    return f"::{name}{props}::{escape_data(message)}"


def finding_command(finding: Finding) -> str:
    location = finding.location
    file = file_of(location)
    message = f"{finding.target.display()}: {finding.message}"
    if file is None or location is None:
        return command(COMMANDS[finding.severity], message, title=finding.check)
    return command(
        COMMANDS[finding.severity],
        message,
        file=file,
        line=location.line,
        col=location.column,
        title=finding.check,
    )


def error_command(error: InputError) -> str:
    title = "kgov internal error" if error.kind == "internal" else "kgov input error"
    file = None if error.file in NO_FILE else error.file  # an error names a file, never a Location
    return command("error", error.message, file=file, line=error.line if file else None, title=title)


def render_github(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    lines = [finding_command(f) for f in report.findings]
    lines += [error_command(e) for e in report.evaluation.errors]
    # What a check could not decide for lack of an object: a notice on the run, never a failure.
    lines += [
        command("notice", s.reason, title=f"{s.check}: undecided")
        for s in report.evaluation.skipped
        if s.undecided
    ]
    return "".join(line + "\n" for line in lines)
