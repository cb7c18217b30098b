"""JUnit XML for CI test tabs: one testsuite per check, one testcase per finding.

A finding at or above `--fail-on` is a failing testcase; one below it is a passing testcase with the
finding in its `system-out`, so the test tab agrees with the exit code. Testcases of findings read
from a file carry `file` and `line` attributes (GitLab and most viewers link them). A check that ran
and found nothing gets one passing testcase ("no findings") so a green check shows up; a check that
could not run, and each exempted or waived target, is a skipped testcase. Input and internal errors
go to a separate `errors` testsuite; what the input held besides manifests (files that are not
manifests, inputs not scanned) to an `inputs` testsuite without testcases. No timestamps or durations: the same report always renders to
the same bytes.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from kgov import escape
from kgov.analysis import Skipped
from kgov.findings.model import Finding, Severity
from kgov.model.errors import InputError
from kgov.model.objects import ObjectRef
from kgov.report.locations import file_of, location_text
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport, input_notes

NO_FINDINGS = "no findings"
NOT_RUN = "not run"
UNDECIDED = "undecided"
ERRORS_SUITE = "errors"
INPUTS_SUITE = "inputs"


# Characters XML 1.0 cannot carry at all (a YAML error message can quote any byte of the input).
def _clean(text: str) -> str:
    return escape.xml(text)


def case_name(ref: ObjectRef, discriminator: str = "") -> str:
    """`Deployment shop/web` (or `Namespace shop` for a cluster-scoped target)."""
    name = ref.display()
    return f"{name} [{discriminator}]" if discriminator else name


def failure_text(finding: Finding) -> str:
    lines = [finding.message]
    where = location_text(finding.location)
    if where is not None:
        lines.append(f"Location: {where}")
    lines.append(f"Remediation: {finding.remediation}")
    return "\n".join(lines)


@dataclass(slots=True)
class _Suite:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _counts(element: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))


def _where(finding: Finding) -> dict[str, str]:
    location = finding.location
    file = file_of(location)
    if file is None or location is None:
        return {}
    where = {"file": file}
    if location.line is not None:
        where["line"] = str(location.line)
    return where


def _check_suite(root: ET.Element, check: str, suite: _Suite, fail_on: Severity) -> tuple[int, int, int]:
    element = _sub(root, "testsuite", name=check)
    not_run = [s for s in suite.skipped if s.target is None and not s.undecided]
    undecided = [s for s in suite.skipped if s.undecided]
    exempted = [s for s in suite.skipped if s.target is not None]
    failures = 0
    for finding in suite.findings:
        case = _sub(
            element,
            "testcase",
            classname=check,
            name=case_name(finding.target, finding.discriminator),
            **_where(finding),
        )
        if finding.severity.at_least(fail_on):
            failures += 1
            _sub(case, "failure", failure_text(finding), message=finding.message, type=finding.severity.value)
        else:
            note = f"{finding.severity.value}, below --fail-on {fail_on.value}: not a failure"
            _sub(case, "system-out", f"{failure_text(finding)}\n({note})")
    for skip in not_run:
        case = _sub(element, "testcase", classname=check, name=NOT_RUN)
        _sub(case, "skipped", message=skip.reason)
    for skip in undecided:
        case = _sub(element, "testcase", classname=check, name=UNDECIDED)
        _sub(case, "skipped", message=skip.reason)
    for skip in exempted:
        assert skip.target is not None
        case = _sub(element, "testcase", classname=check, name=case_name(skip.target))
        _sub(case, "skipped", message=skip.reason)
    passed = 0
    if not suite.findings and not not_run:
        _sub(element, "testcase", classname=check, name=NO_FINDINGS)
        passed = 1
    tests = len(suite.findings) + len(suite.skipped) + passed
    _counts(element, tests, failures, 0, len(suite.skipped))
    return tests, failures, len(suite.skipped)


def _error_suite(root: ET.Element, errors: list[InputError]) -> None:
    element = _sub(root, "testsuite", name=ERRORS_SUITE)
    for error in errors:
        where = error.file if error.line is None else f"{error.file}:{error.line}"
        case = _sub(element, "testcase", classname=f"kgov.{error.kind}", name=where)
        _sub(case, "error", str(error), message=error.message, type=error.kind)
    _counts(element, len(errors), 0, len(errors), 0)


def _inputs_suite(root: ET.Element, report: ScanReport) -> None:
    notes = input_notes(report)
    if not notes:
        return
    element = _sub(root, "testsuite", name=INPUTS_SUITE)
    properties = _sub(element, "properties")
    _sub(properties, "property", name="not_manifests", value=str(report.not_manifests))
    _sub(element, "system-out", "\n".join(notes))
    _counts(element, 0, 0, 0, 0)


def junit_tree(report: ScanReport, fail_on: Severity = Severity.INFO) -> ET.Element:
    """The `<testsuites>` element (`render_junit` serialises it)."""
    # One suite per selected check in the registry's order (then any other check that reported).
    suites = {spec.id: _Suite() for spec in report.checks}
    for finding in report.findings:
        suites.setdefault(finding.check, _Suite()).findings.append(finding)
    for skip in report.evaluation.skipped:
        suites.setdefault(skip.check, _Suite()).skipped.append(skip)

    root = ET.Element("testsuites", {"name": _clean(report.title)})
    tests = failures = skipped = 0
    for check, suite in suites.items():
        t, f, s = _check_suite(root, check, suite, fail_on)
        tests, failures, skipped = tests + t, failures + f, skipped + s
    errors = report.evaluation.errors
    if errors:
        _error_suite(root, errors)
    _inputs_suite(root, report)
    _counts(root, tests + len(errors), failures, len(errors), skipped)
    return root


def render_junit(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    tree = ET.ElementTree(junit_tree(report, options.fail_on))
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue().decode("utf-8") + "\n"
