"""SARIF 2.1.0 for GitHub code scanning and other viewers: one run, one rule per selected check.

Severity maps to SARIF `level` (critical/high → error, medium → warning, low/info → note) and to the
`security-severity` property GitHub uses to rank alerts. Input errors become tool execution
notifications; a check that could not run at all (missing capability) a configuration notification.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from kgov.checks.registry import CheckSpec
from kgov.findings.model import Finding, Severity
from kgov.model.errors import InputError
from kgov.model.objects import Location, ObjectRef
from kgov.report.fingerprint import fingerprint
from kgov.report.jsontext import indented
from kgov.report.locations import STDIN, STDIN_NAME, file_of
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport, input_notes

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "kube-governor"
INFORMATION_URI = "https://github.com/kube-governor/kube-governor"
# helpUri must be absolute: the check reference rendered on the project's page.
DOCS_BASE = f"{INFORMATION_URI}/blob/main/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "kgovFinding/v2"  # the value is the report's fingerprint (kgov/report/fingerprint.py)

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.5",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}

_WORD = re.compile(r"[A-Za-z0-9]+")


def docs_url(spec: CheckSpec) -> str:
    """The absolute address of a check's entry in the check reference."""
    return DOCS_BASE + spec.docs


def rule_name(check_id: str) -> str:
    """`qos.best-effort` → `QosBestEffort` (SARIF's `name` is an identifier-like string)."""
    return "".join(word[:1].upper() + word[1:] for word in _WORD.findall(check_id))


def target_path(ref: ObjectRef) -> str:
    """`Kind/namespace/name`, or `Kind/name` for a cluster-scoped object."""
    parts = [ref.kind, ref.namespace, ref.name] if ref.namespace else [ref.kind, ref.name]
    return "/".join(parts)


def artifact_location(file: str) -> dict[str, Any]:
    """A relative path stays relative (to `%SRCROOT%`); an absolute one becomes a `file:` URI."""
    if PurePosixPath(file).is_absolute():
        return {"uri": PurePosixPath(file).as_uri()}
    windows = PureWindowsPath(file)
    if windows.drive and windows.is_absolute():
        return {"uri": windows.as_uri()}
    return {"uri": quote(file.replace("\\", "/"), safe="/-._~"), "uriBaseId": SRCROOT}


def physical_location(location: Location | None) -> dict[str, Any] | None:
    """The file and region; stdin as `<stdin>` (no file to annotate, but a location with its line,
    which GitHub requires of every result)."""
    file = STDIN_NAME if location is not None and location.file == STDIN else file_of(location)
    if file is None or location is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(file)}
    if location.line is not None and location.line >= 1:
        physical["region"] = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            physical["region"]["startColumn"] = location.column
    return physical


def _jsonable(value: Any) -> Any:
    """Evidence values as plain JSON (the same `default=str` rule as the JSON output)."""
    return json.loads(json.dumps(value, default=str))


def _rule(spec: CheckSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": rule_name(spec.id),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.condition},
        "help": {
            "text": spec.remediation,
            "markdown": f"{spec.remediation}\n\n[`{spec.id}` in the check reference]({docs_url(spec)})",
        },
        "helpUri": docs_url(spec),
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {
            "tags": [spec.category.value],
            "security-severity": SECURITY_SEVERITY[spec.severity],
        },
    }


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    target = target_path(finding.target)
    result: dict[str, Any] = {"ruleId": finding.check}
    if finding.check in rule_index:
        result["ruleIndex"] = rule_index[finding.check]
    result["level"] = LEVELS[finding.severity]
    result["message"] = {"text": finding.message}
    physical = physical_location(finding.location)
    # No location at all without a file: GitHub rejects the whole upload for a location that has no
    # artifact location ("locationFromSarifResult: expected artifact location"). The target is still
    # in `properties.target`.
    if physical is not None:
        logical = {"name": finding.target.name, "fullyQualifiedName": target, "kind": "resource"}
        result["locations"] = [{"physicalLocation": physical, "logicalLocations": [logical]}]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(finding)}
    result["properties"] = {
        "severity": finding.severity.value,
        "category": finding.category.value,
        "target": target,
        "evidence": _jsonable(finding.evidence),
    }
    if finding.location is not None and finding.location.template is not None:
        result["properties"]["template"] = finding.location.template  # the chart template rendered
    return result


def _rule_reference(check: str, rule_index: dict[str, int]) -> dict[str, Any]:
    reference: dict[str, Any] = {"id": check}
    if check in rule_index:
        reference["index"] = rule_index[check]
    return reference


def _error_notification(error: InputError) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "descriptor": {"id": f"kgov/{error.kind}-error"},
        "level": "error",
        "message": {"text": error.message},
    }
    physical = physical_location(Location(error.file, error.line))
    if physical is not None:
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def sarif_log(report: ScanReport) -> dict[str, Any]:
    """The SARIF log as a dict (`render_sarif` serialises it)."""
    evaluation = report.evaluation
    rules = [_rule(spec) for spec in report.checks]
    rule_index = {spec.id: i for i, spec in enumerate(report.checks)}
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(e.kind == "internal" for e in evaluation.errors),
    }
    notifications = [_error_notification(e) for e in evaluation.errors]
    notifications += [
        {"descriptor": {"id": "kgov/input-note"}, "level": "note", "message": {"text": note}}
        for note in input_notes(report)
    ]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    not_run = [s for s in evaluation.skipped if s.target is None]
    if not_run:
        invocation["toolConfigurationNotifications"] = [
            {
                "descriptor": {"id": "kgov/undecided" if s.undecided else "kgov/check-not-run"},
                "associatedRule": _rule_reference(s.check, rule_index),
                "level": "note",
                "message": {"text": f"{s.check} {'undecided' if s.undecided else 'not run'}: {s.reason}"},
            }
            for s in not_run
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "informationUri": INFORMATION_URI,
                "version": report.version,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "results": [_result(f, rule_index) for f in report.findings],
        "properties": {
            "documents": report.documents,
            "objects": report.objects,
            "notManifests": report.not_manifests,
            "exempted": sum(1 for s in evaluation.skipped if s.target is not None),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return indented(sarif_log(report), ascii_only=False, default=None)
