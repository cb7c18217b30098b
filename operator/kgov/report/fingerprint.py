"""The fingerprint of a finding: the same finding gets the same fingerprint on every run.

It is the first 32 hex digits of a SHA-256 over, in this order: a format tag (`kgov-finding/v1`), the
check id, the target's API group, kind, namespace and name, the check's discriminator (which of
several findings of one check on one target), and the file the target was read from (as given on
the command line, `/`-separated and normalised, so `./deploy/a.yaml` is `deploy/a.yaml`; empty for
an object from a cluster or stdin).

Not hashed: line and column, the message, the severity (config can change it), evidence, and the
order of findings, documents or files. So a finding keeps its fingerprint when its object moves
inside the file, other objects come and go, or a message is reworded; renaming the object, its
namespace or its file gives a new one. The JSON report, the SARIF `partialFingerprints`, GitLab Code
Quality and `--baseline` all use it.
"""

from __future__ import annotations

import hashlib

from kgov.findings.model import Finding
from kgov.report.locations import normalised_file

VERSION = "kgov-finding/v1"


def source_file(finding: Finding) -> str:
    return normalised_file(finding.location)


def fingerprint(finding: Finding) -> str:
    target = finding.target
    parts = (
        VERSION,
        finding.check,
        target.api_version.split("/")[0] if "/" in target.api_version else "",
        target.kind,
        target.namespace or "",
        target.name,
        finding.discriminator,
        source_file(finding),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
