"""Known findings: adopt kgov on an existing repository without fixing everything first.

`kgov scan --write-baseline FILE` records the fingerprint of every finding of the run (see
`fingerprint.py`); `kgov scan --baseline FILE` leaves the findings it records out of the report and
out of the exit code, so only new findings fail the build. Matching is by fingerprint and by count:
a baseline that holds a fingerprint twice hides two findings with it, not a third. Entries that no
longer match anything are counted as fixed, a hint to write the baseline again.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from kgov.findings.model import Finding
from kgov.report.fingerprint import fingerprint, source_file

SCHEMA_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read: the message names the file and the problem."""


class BaselineResult(NamedTuple):
    file: str
    known: int  # findings left out because the baseline records them
    fixed: int  # baseline entries that matched no finding

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "known": self.known, "fixed": self.fixed}

    def note(self) -> str:
        known = f"{self.known} known finding{'' if self.known == 1 else 's'} in {self.file} not shown"
        return known + (f"; {self.fixed} of its entries fixed" if self.fixed else "")


def baseline_dict(findings: list[Finding], version: str) -> dict[str, Any]:
    entries = [
        {
            "fingerprint": fingerprint(f),
            "check": f.check,
            "target": f.target.display(),
            "file": source_file(f) or None,
        }
        for f in findings
    ]
    entries.sort(key=lambda e: (str(e["fingerprint"]), str(e["check"])))
    return {"schemaVersion": SCHEMA_VERSION, "kgov": version, "findings": entries}


def baseline_text(findings: list[Finding], version: str) -> str:
    return json.dumps(baseline_dict(findings, version), indent=2) + "\n"


def read_baseline(path: str) -> Counter[str]:
    """The fingerprints a baseline file records, with how many findings each stands for."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a kgov baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("schemaVersion") != SCHEMA_VERSION:
        raise BaselineError(f"{path}: not a kgov baseline (schemaVersion {SCHEMA_VERSION} expected)")
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: not a kgov baseline (findings must be a list of fingerprints)")
    return Counter(e["fingerprint"] for e in entries)


def apply_baseline(
    findings: list[Finding], known: Counter[str], file: str
) -> tuple[list[Finding], BaselineResult]:
    """The findings the baseline does not record, and how many it hid and how many it no longer
    matches."""
    remaining = Counter(known)
    new: list[Finding] = []
    hidden = 0
    for finding in findings:
        key = fingerprint(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            hidden += 1
        else:
            new.append(finding)
    return new, BaselineResult(file, hidden, sum(remaining.values()))
