"""The finding: one check's verdict on one target, shared by the CLI reporters and the Finding CRs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kgov.findings.severity import Severity as Severity  # where it is declared; imported from here too
from kgov.model.evidence import EvidenceSource
from kgov.model.objects import Location, ObjectRef


class Category(StrEnum):
    RESOURCES = "resources"
    AUTOSCALING = "autoscaling"
    INGRESS = "ingress"
    GATEWAY = "gateway"
    MIGRATION = "migration"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    category: Category
    severity: Severity
    target: ObjectRef
    message: str
    remediation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    related: tuple[ObjectRef, ...] = ()
    location: Location | None = None
    # Distinguishes several findings of one check on one target (rare; empty for most checks).
    discriminator: str = ""
    # The field the finding is about, in the target object (see `Issue.path`); empty for the whole object.
    path: tuple[str | int, ...] = ()
    source: EvidenceSource | None = None  # evidence["source"], typed

    def __post_init__(self) -> None:
        if self.source is None and "source" in self.evidence:
            object.__setattr__(self, "source", EvidenceSource(self.evidence["source"]))

    @property
    def name(self) -> str:
        return finding_name(self.target, self.check, self.discriminator)


_INVALID = re.compile(r"[^a-z0-9-]+")
_NAME_BUDGET = 253 - 1 - 8  # DNS-1123 subdomain, minus "-" and the hash


def finding_name(target: ObjectRef, check: str, discriminator: str = "") -> str:
    """`<target-kind>-<target-name>-<check-short>-<hash>`: a DNS-1123 name, the same on every run."""
    identity = "\0".join(
        (
            check,
            target.api_version.split("/")[0],
            target.kind,
            target.namespace or "",
            target.name,
            discriminator,
        )
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    readable = f"{target.kind}-{target.name}-{check}".lower().replace(".", "-")
    readable = _INVALID.sub("-", readable).strip("-")[:_NAME_BUDGET].rstrip("-")
    return f"{readable}-{digest}"
