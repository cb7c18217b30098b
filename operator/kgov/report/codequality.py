"""GitLab Code Quality (a subset of the Code Climate issue format): one issue per finding.

GitLab shows these in the merge request's Code Quality widget and on the diff. Each issue has
`description` (the object and the message), `check_name`, `fingerprint` (the finding's, so GitLab
tells new findings from old ones across pipelines), `severity` (critical → blocker, high →
critical, medium → major, low → minor, info → info) and `location` (`path` and `lines.begin`, with
`positions.begin.column` when known). GitLab requires a path: a finding on an object read from a
cluster is placed at `cluster/<Kind>/<namespace>/<name>`, line 1. Input errors are not issues; they
change the exit code.
"""

from __future__ import annotations

from typing import Any

from kgov.findings.model import Finding, Severity
from kgov.report.fingerprint import fingerprint, source_file
from kgov.report.jsontext import indented
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport
from kgov.report.sarif import target_path

SEVERITIES: dict[Severity, str] = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}


def _location(finding: Finding) -> dict[str, Any]:
    path = source_file(finding)
    location = finding.location
    if not path or location is None:
        return {"path": f"cluster/{target_path(finding.target)}", "lines": {"begin": 1}}
    line = location.line if location.line is not None and location.line >= 1 else 1
    if location.column is not None and location.column >= 1:
        return {"path": path, "positions": {"begin": {"line": line, "column": location.column}}}
    return {"path": path, "lines": {"begin": line}}


def issue(finding: Finding) -> dict[str, Any]:
    return {
        "type": "issue",
        "description": f"{finding.target.display()}: {finding.message}",
        "check_name": finding.check,
        "fingerprint": fingerprint(finding),
        "severity": SEVERITIES[finding.severity],
        "location": _location(finding),
    }


def render_codequality(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return indented([issue(f) for f in report.findings], ascii_only=False, default=None)
