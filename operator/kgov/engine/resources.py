"""Finding, ClusterFinding and GovernanceReport bodies as the operator writes them (see the design's
"The Finding resource"): deterministic names, labels, an ownerReference to the target, spec, status."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgov.engine.failures import Failure
from kgov.findings.diff import MANAGED_BY, ObjectKey
from kgov.findings.model import Finding, Severity
from kgov.model.evidence import NOT_CONFIGURED, EvidenceHealth
from kgov.model.objects import ObjectRef

GROUP = "kgov.io"
API_VERSION = f"{GROUP}/v1alpha1"
FINDING = "Finding"
CLUSTER_FINDING = "ClusterFinding"
REPORT = "GovernanceReport"
REPORT_NAME = "cluster"
REPORT_KEY: ObjectKey = (REPORT, None, REPORT_NAME)
FINDING_KINDS = frozenset({FINDING, CLUSTER_FINDING})
MANAGER = "kube-governor"

_LABEL_INVALID = re.compile(r"[^A-Za-z0-9._-]+")
# The Finding CRDs' limits (crds/kgov.io_findings.yaml, clusterfindings too; a test keeps them equal):
# a body over them is refused by the API server with 422, so the operator writes within them.
MAX_RELATED = 100  # spec.related maxItems
MAX_TEXT = 4096  # spec.message and spec.remediation maxLength
# The GovernanceReport CRD's limits on status.failures (crds/kgov.io_governancereports.yaml).
MAX_FAILURES_LISTED = 100  # items maxItems
MAX_REASON = 1024  # items[].reason maxLength
MAX_NAME = 253  # items[].kind, namespace, name and check maxLength
_TRUNCATION_NOTE = 48  # room kept for " … [N more characters not shown]"


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_key(finding: Finding) -> ObjectKey:
    kind = FINDING if finding.target.namespace else CLUSTER_FINDING
    return (kind, finding.target.namespace, finding.name)


def finding_body(finding: Finding) -> dict[str, Any]:
    """The resource without status (status is the writer's: first seen, last changed)."""
    kind, namespace, name = finding_key(finding)
    target = finding.target
    metadata: dict[str, Any] = {"name": name, "labels": _labels(finding)}
    if namespace:
        metadata["namespace"] = namespace
    if target.uid:
        metadata["ownerReferences"] = [
            {
                "apiVersion": target.api_version,
                "kind": target.kind,
                "name": target.name,
                "uid": target.uid,
                "blockOwnerDeletion": False,
            }
        ]
    spec: dict[str, Any] = {
        "check": finding.check,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "severityRank": finding.severity.rank,  # sortable: kubectl get findings --sort-by
        "target": {**_ref(target, with_uid=True), "ref": f"{target.kind}/{target.name}"},
        "related": [_ref(r) for r in finding.related[:MAX_RELATED]],
        "message": fit_text(finding.message),
        "evidence": plain(_evidence(finding)),
        "remediation": fit_text(finding.remediation),
    }
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def fit_text(text: str, limit: int = MAX_TEXT) -> str:
    """The text within the CRD's maxLength, saying how much was cut."""
    if len(text) <= limit:
        return text
    keep = limit - _TRUNCATION_NOTE
    return f"{text[:keep]} … [{len(text) - keep} more characters not shown]"


def _evidence(finding: Finding) -> dict[str, Any]:
    """The finding's evidence, with the count of related objects the body cannot list."""
    if len(finding.related) <= MAX_RELATED:
        return finding.evidence
    return {
        **finding.evidence,
        "relatedTotal": len(finding.related),
        "relatedNotListed": len(finding.related) - MAX_RELATED,
    }


def plain(value: Any) -> Any:
    """JSON data exactly as it comes back from the API server (tuples → lists, None keys dropped), so
    desired and existing bodies compare equal when they mean the same."""
    return _drop_none(json.loads(json.dumps(value, default=str, sort_keys=True)))


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _ref(ref: ObjectRef, with_uid: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": ref.kind, "name": ref.name}
    if ref.api_version:
        found["apiVersion"] = ref.api_version
    if ref.namespace:
        found["namespace"] = ref.namespace
    if with_uid and ref.uid:
        found["uid"] = ref.uid
    return found


def _labels(finding: Finding) -> dict[str, str]:
    return {
        "kgov.io/check": finding.check,
        "kgov.io/category": finding.category.value,
        "kgov.io/severity": finding.severity.value,
        "kgov.io/target-kind": finding.target.kind,
        "kgov.io/target-name": label_value(finding.target.name),
        MANAGED_BY: MANAGER,
    }


def label_value(text: str) -> str:
    """A valid label value: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends."""
    value = _LABEL_INVALID.sub("-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


@dataclass(slots=True)
class ReportFacts:
    severities: Counter[str] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    max_findings: int = 0
    last_full_evaluation: str | None = None
    prometheus: EvidenceHealth = NOT_CONFIGURED
    failures: list[Failure] = field(default_factory=list)


def report_body(facts: ReportFacts) -> dict[str, Any]:
    """`GovernanceReport/cluster`: totals, evidence health, last full evaluation, dropped-by-cap count.
    Everything is status (observed state); the body carries no timestamps that move without cause."""
    status = {
        "findings": sum(facts.severities.values()),
        "bySeverity": {s.value: facts.severities.get(s.value, 0) for s in Severity},
        "byCheck": dict(sorted(facts.checks.items())),
        "droppedByCap": facts.dropped,
        "maxFindings": facts.max_findings,
        "lastFullEvaluation": facts.last_full_evaluation,
        "evidence": {"prometheus": _health(facts.prometheus)},
        "failures": _failures(facts.failures),
    }
    return {
        "apiVersion": API_VERSION,
        "kind": REPORT,
        "metadata": {"name": REPORT_NAME, "labels": {MANAGED_BY: MANAGER}},
        "status": status,
    }


def _failures(failures: list[Failure]) -> dict[str, Any]:
    """What the evaluation could not decide, the first MAX_FAILURES_LISTED of it by name."""
    items = []
    for failure in failures[:MAX_FAILURES_LISTED]:
        item = {"type": failure.type, "kind": failure.kind[:MAX_NAME], "name": failure.name[:MAX_NAME]}
        if failure.namespace:
            item["namespace"] = failure.namespace[:MAX_NAME]
        if failure.check:
            item["check"] = failure.check[:MAX_NAME]
        item["reason"] = fit_text(failure.reason, MAX_REASON)
        items.append(item)
    return {"total": len(failures), "notListed": len(failures) - len(items), "items": items}


def _health(health: EvidenceHealth) -> dict[str, Any]:
    return {"configured": health.configured, "reachable": health.reachable, "lastError": health.last_error}
