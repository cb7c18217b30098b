"""Findings as policy reports, so Policy Reporter and other readers show them beside Kyverno's.

`-o policyreport` writes OpenReports (`openreports.io/v1alpha1` Report per namespace, ClusterReport
for cluster-scoped targets); `-o policyreport-wgpolicyk8s` writes the older `wgpolicyk8s.io/v1alpha2`
PolicyReport / ClusterPolicyReport. Each finding is one result: the check id is the policy, the target
the resource; critical, high and medium findings are `fail`, low and info `warn`. Checks that could
not run are `skip` results in the cluster-scoped report.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from kgov.findings.diff import MANAGED_BY
from kgov.findings.model import Finding, Severity
from kgov.model.kinds import BY_KIND
from kgov.model.objects import ObjectRef
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport

SOURCE = "kube-governor"
REPORT_NAME = "kgov"
# kubectl puts a namespaced object that names no namespace into this one.
DEFAULT_NAMESPACE = "default"
_FAILING = frozenset({Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM})


@dataclass(frozen=True, slots=True)
class ReportApi:
    api_version: str
    namespaced_kind: str
    cluster_kind: str
    source_field: bool  # OpenReports has a top-level `source`


OPENREPORTS = ReportApi("openreports.io/v1alpha1", "Report", "ClusterReport", source_field=True)
WGPOLICYK8S = ReportApi("wgpolicyk8s.io/v1alpha2", "PolicyReport", "ClusterPolicyReport", source_field=False)
# By the name `kgov run --policy-reports` and the chart's `policyReports.api` take.
APIS = {"openreports": OPENREPORTS, "wgpolicyk8s": WGPOLICYK8S}


def report_namespace(ref: ObjectRef) -> str | None:
    """The namespace whose report holds a finding on `ref`; None for cluster-scoped targets."""
    spec = BY_KIND.get(ref.kind)
    if spec is not None and not spec.namespaced:
        return None
    if ref.namespace:
        return ref.namespace
    return DEFAULT_NAMESPACE if spec is not None else None


def _resource(ref: ObjectRef) -> dict[str, str]:
    resource = {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name}
    namespace = report_namespace(ref)
    if namespace is not None:
        resource["namespace"] = namespace
    if ref.uid:
        resource["uid"] = ref.uid
    return resource


def _properties(finding: Finding) -> dict[str, str]:
    properties = {"remediation": finding.remediation}
    if finding.location is not None:
        line = f":{finding.location.line}" if finding.location.line else ""
        properties["location"] = f"{finding.location.file}{line}"
    for key, value in finding.evidence.items():
        properties[f"evidence.{key}"] = (
            str(value) if isinstance(value, str) else json.dumps(value, default=str)
        )
    return properties


def _result(finding: Finding, timestamp: dict[str, int]) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "policy": finding.check,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "result": "fail" if finding.severity in _FAILING else "warn",
        "message": finding.message,
        "resources": [_resource(finding.target), *(_resource(r) for r in finding.related)],
        "properties": _properties(finding),
        "timestamp": timestamp,
        "scored": True,
    }


def result_counts(results: list[dict[str, Any]]) -> dict[str, int]:
    """A report's `summary`: its results counted by outcome."""
    counts = {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}
    for result in results:
        counts[result["result"]] += 1
    return counts


def _document(api: ReportApi, namespace: str | None, results: list[dict[str, Any]]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": REPORT_NAME,
        "labels": {MANAGED_BY: SOURCE},
    }
    if namespace is not None:
        metadata["namespace"] = namespace
    document: dict[str, Any] = {
        "apiVersion": api.api_version,
        "kind": api.namespaced_kind if namespace is not None else api.cluster_kind,
        "metadata": metadata,
    }
    if api.source_field:
        document["source"] = SOURCE
    document["summary"] = result_counts(results)
    document["results"] = results
    return document


def policy_reports(report: ScanReport, api: ReportApi, now: datetime | None = None) -> list[dict[str, Any]]:
    """One report per namespace with findings, then the cluster-scoped one (findings and skipped checks)."""
    moment = now or datetime.now(UTC)
    timestamp = {"seconds": int(moment.timestamp()), "nanos": 0}
    grouped: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for finding in report.findings:
        grouped[report_namespace(finding.target)].append(_result(finding, timestamp))
    for skipped in report.evaluation.skipped:
        grouped[None].append(
            {"source": SOURCE, "policy": skipped.check, "result": "skip", "message": skipped.reason}
            | {"timestamp": timestamp}
        )
    namespaces = sorted(ns for ns in grouped if ns is not None)
    documents = [_document(api, ns, grouped[ns]) for ns in namespaces]
    if None in grouped:
        documents.append(_document(api, None, grouped[None]))
    return documents


def _render(report: ScanReport, api: ReportApi) -> str:
    return yaml.safe_dump_all(policy_reports(report, api), sort_keys=False, allow_unicode=True)


def render_openreports(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return _render(report, OPENREPORTS)


def render_wgpolicyk8s(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return _render(report, WGPOLICYK8S)
