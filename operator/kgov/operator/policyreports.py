"""Policy reports in the cluster (`kgov run --policy-reports API`), so Policy Reporter shows the findings.

One report named `kgov` per namespace with findings, and one cluster-scoped report for the findings on
cluster-scoped objects, built by `policy_reports`, the function behind `kgov scan -o policyreport`.
The operator owns only the reports it created: they carry `app.kubernetes.io/managed-by:
kube-governor`; a report of another tool, or one named `kgov` without that label, is never patched
or deleted.

What exists is learned by one listing (at the start, after a peering takeover, then every
`operator.relist_interval`) and kept up to date from the answers to the writes, so an evaluation
that changes nothing reads and writes nothing. A report is written only when its results change:
the timestamps (each result keeps the one it was first written with) and the summary (counted from
the results) never cause a write. A namespace left without findings loses its report.

Writes share the Findings writer's rate limit, login and metrics, and its fault handling: a report
whose write failed with 429, 5xx, 404 or no connection is held for its own backoff (the Findings
writer's policy) and tried again by the first evaluation after it; a failed listing (or a bug) holds
every report the same way; 403 and 422 are logged and not tried again until the report's content
changes.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kgov.analysis import Evaluation
from kgov.findings.diff import MANAGED_BY
from kgov.findings.model import Finding
from kgov.operator.backoff import Backoff, Holds
from kgov.operator.client import ApiError
from kgov.operator.writer import Writer, WriteResult, failed_write, gather_limited
from kgov.report.model import ScanReport
from kgov.report.policyreport import APIS, REPORT_NAME, SOURCE, ReportApi, policy_reports, result_counts

logger = logging.getLogger(__name__)

# (verb, kind, method, path, body): one request through the Findings writer (rate limit, login, metrics).
Call = Callable[[str, str, str, str, Any], Awaitable[dict[str, Any]]]
Scope = str | None  # the report's namespace; None for the cluster-scoped report
# What a failure holds back: one report (("report", scope)), or all of them (the listing failed, a bug).
HoldKey = tuple[str, Scope]
_ALL: HoldKey = ("all", None)
_OURS = f"{MANAGED_BY}={SOURCE}"
# Largest report written, in bytes of JSON: the API server refuses objects near etcd's 1.5 MiB limit.
MAX_REPORT_BYTES = 1_000_000


def policy_reports_writer(
    api: str | None, writer: Writer, relist_seconds: float, retry: Backoff
) -> PolicyReports | None:
    """The policy reports `kgov run --policy-reports API` keeps, written through `writer`; None without."""
    if api is None:
        return None
    return PolicyReports(
        APIS[api], writer.call, relist_seconds=relist_seconds, retry=retry, concurrency=writer.concurrency
    )


class PolicyReports:
    def __init__(
        self,
        api: ReportApi,
        call: Call,
        *,
        relist_seconds: float,
        retry: Backoff,
        concurrency: int = 8,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api = api
        self._call = call
        self.relist_seconds = relist_seconds
        self.concurrency = concurrency
        self._clock, self._now = clock, now
        self.holds: Holds[HoldKey] = Holds(retry, clock)  # what failed, until its backoff ends
        self.held: dict[Scope, dict[str, Any]] = {}  # our reports as the API server last answered
        self.foreign: set[Scope] = set()  # a `kgov` report there is not ours: left alone
        self.rejected: dict[Scope, str] = {}  # content refused with 403/422: not sent again
        self.unlisted: str | None = None  # why the reports cannot be listed (404: no CRD), once logged
        self._listed_at: float | None = None
        self._done: list[Finding] | None = None  # the findings the reports were last fully written for

    def relist(self) -> None:
        """Read what exists again before the next write (a peering takeover: another replica wrote)."""
        self._listed_at = None

    async def sync(self, findings: Sequence[Finding], outcome: WriteResult) -> None:
        """Make the reports match `findings`; failures are counted in `outcome`, never raised."""
        mine = WriteResult()
        held = self.holds.held()
        try:
            if _ALL not in held:
                await self._sync(findings, held, mine)
        except Exception:  # a bug must not stop the operator (nor cost the Findings): try again later
            logger.exception("policy reports not written; trying again")
            mine.failed += 1
            self.holds.failed(_ALL)
        self.holds.settle(held)
        outcome.written += mine.written
        outcome.failed += mine.failed
        outcome.again = outcome.again or mine.again

    async def _sync(
        self, findings: Sequence[Finding], waiting: frozenset[HoldKey], outcome: WriteResult
    ) -> None:
        due = self._listed_at is None or self._clock() - self._listed_at >= self.relist_seconds
        if due:
            if not await self._list(outcome):
                return
            self._done = None
        self.holds.release(_ALL)
        if self._done is not None and list(findings) == self._done:
            return  # nothing changed since every report was written: no work at all
        report = ScanReport(Evaluation(findings=list(findings)), [])
        wanted = {_scope(doc): doc for doc in policy_reports(report, self.api, self._now())}
        for scope, doc in wanted.items():
            dropped = fit(doc, MAX_REPORT_BYTES)
            if dropped:
                logger.warning(
                    "%s: %d findings left out of the policy report (size limit)", _where(scope), dropped
                )
        jobs: list[Awaitable[None]] = []
        for scope in [*wanted, *(scope for scope in self.held if scope not in wanted)]:
            if ("report", scope) in waiting:
                continue
            want, held = wanted.get(scope), self.held.get(scope)
            if want is None:
                jobs.append(self._delete(scope, outcome))
            elif scope in self.foreign or self.rejected.get(scope) == _content(want):
                continue
            elif held is None:
                jobs.append(self._create(scope, want, outcome))
            elif _content(want) != _content(held):
                _keep_timestamps(want, held)
                jobs.append(self._patch(scope, want, outcome))
        await gather_limited(jobs, self.concurrency)
        done = not (outcome.again or outcome.failed or any(key[0] == "report" for key in waiting))
        self._done = list(findings) if done else None

    # ---- requests ---------------------------------------------------------------------------------

    def _kind(self, scope: Scope) -> str:
        return self.api.namespaced_kind if scope is not None else self.api.cluster_kind

    def _path(self, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        """The path of a report (`name`), or of the collection (in one namespace, or in all)."""
        path = f"/apis/{self.api.api_version}"
        if namespace is not None:
            path += f"/namespaces/{namespace}"
        path += f"/{kind.lower()}s"
        return f"{path}/{name}" if name else path

    async def _list(self, outcome: WriteResult) -> bool:
        """What we own now: our reports of both scopes (`kgov`, labelled as ours)."""
        held: dict[Scope, dict[str, Any]] = {}
        selector = "?labelSelector=" + urllib.parse.quote(_OURS)
        for kind in (self.api.namespaced_kind, self.api.cluster_kind):
            try:
                listing = await self._call("", kind, "GET", self._path(kind) + selector, None)
            except ApiError as exc:
                self._unlisted(kind, exc, outcome)
                return False
            for item in listing.get("items") or []:
                metadata = item.get("metadata") or {}
                if metadata.get("name") == REPORT_NAME and _ours(item):
                    held[metadata.get("namespace") if kind == self.api.namespaced_kind else None] = item
        if self.unlisted is not None:
            logger.info("policy reports: %s served again, writing the reports", self.api.api_version)
        self.unlisted = None
        self.held = held
        self.foreign.clear()
        self.rejected.clear()
        self._listed_at = self._clock()
        return True

    def _unlisted(self, kind: str, exc: ApiError, outcome: WriteResult) -> None:
        """A listing that failed. Transient (429, 5xx, no connection): every report is held for the
        writer's backoff. Otherwise (404: the CRD is not installed; 403: not granted) logged once,
        and tried again at the next evaluation without holding back the Findings' evaluations."""
        if exc.transient:
            outcome.failed += 1
            delay = self.holds.failed(_ALL, exc.retry_after)
            logger.error("could not list %s (trying again in %.1f s): %s", kind, delay, exc)
            return
        if self.unlisted != str(exc.status):
            logger.error("policy reports not written: cannot list %s: %s", kind, exc)
        self.unlisted = str(exc.status)

    async def _create(self, scope: Scope, doc: dict[str, Any], outcome: WriteResult) -> None:
        kind = self._kind(scope)
        try:
            self.held[scope] = await self._call("create", kind, "POST", self._path(kind, scope), doc)
        except ApiError as exc:
            if exc.status == 409:
                await self._adopt(scope, outcome)
            else:
                self._failed("create", kind, scope, exc, outcome, doc)
            return
        outcome.written += 1
        self.holds.release(("report", scope))

    async def _adopt(self, scope: Scope, outcome: WriteResult) -> None:
        """409 on create: ours (a lost answer, another replica) is patched next time; another tool's
        report of the same name is left alone."""
        kind = self._kind(scope)
        outcome.again = True
        try:
            existing = await self._call("", kind, "GET", self._path(kind, scope, REPORT_NAME), None)
        except ApiError as exc:
            self._failed("get", kind, scope, exc, outcome)
            return
        self.holds.release(("report", scope))
        if _ours(existing):
            self.held[scope] = existing
            return
        logger.warning(
            "%s %s exists and is not managed by %s: left alone, no policy report written there",
            kind,
            _where(scope),
            SOURCE,
        )
        self.foreign.add(scope)

    async def _patch(self, scope: Scope, doc: dict[str, Any], outcome: WriteResult) -> None:
        kind = self._kind(scope)
        # A merge patch replaces lists whole: the results are exactly the ones sent.
        body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
        body["metadata"] = {"labels": doc["metadata"]["labels"]}
        try:
            self.held[scope] = await self._call(
                "patch", kind, "PATCH", self._path(kind, scope, REPORT_NAME), body
            )
        except ApiError as exc:
            if exc.status == 404:  # deleted meanwhile: created again next time
                self.held.pop(scope, None)
                self.holds.release(("report", scope))
                outcome.again = True
            else:
                self._failed("patch", kind, scope, exc, outcome, doc)
            return
        outcome.written += 1
        self.holds.release(("report", scope))

    async def _delete(self, scope: Scope, outcome: WriteResult) -> None:
        kind = self._kind(scope)
        try:
            await self._call("delete", kind, "DELETE", self._path(kind, scope, REPORT_NAME), None)
        except ApiError as exc:
            if exc.status != 404:
                self._failed("delete", kind, scope, exc, outcome)
                return
        else:
            outcome.written += 1
        self.held.pop(scope, None)
        self.holds.release(("report", scope))

    def _failed(
        self,
        verb: str,
        kind: str,
        scope: Scope,
        exc: ApiError,
        outcome: WriteResult,
        doc: Mapping[str, Any] | None = None,
    ) -> None:
        """As the Findings writer; content refused (403, 422) is not sent again until it changes."""
        retrying = failed_write(self.holds, ("report", scope), exc, outcome, f"{verb} {kind} {_where(scope)}")
        if not retrying and doc is not None:
            self.rejected[scope] = _content(doc)


# ---- contents -------------------------------------------------------------------------------------


def _scope(doc: Mapping[str, Any]) -> Scope:
    namespace = doc["metadata"].get("namespace")
    return str(namespace) if namespace is not None else None


def _ours(body: Mapping[str, Any]) -> bool:
    labels = (body.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY) == SOURCE)


def _where(scope: Scope) -> str:
    return f"{scope}/{REPORT_NAME}" if scope is not None else REPORT_NAME


def _result_key(result: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "timestamp"}, sort_keys=True)


def _content(doc: Mapping[str, Any]) -> str:
    """What a write is for: the results without their timestamps, in any order, the source and our
    label. The summary is counted from the results, so it adds nothing."""
    results = sorted(_result_key(r) for r in doc.get("results") or [])
    return json.dumps([doc.get("source"), _ours(doc), results])


def fit(doc: dict[str, Any], limit: int) -> int:
    """Keep a report under `limit` bytes by leaving out its least severe results (the last ones: the
    results come most severe first), said in a closing `skip` result; the number left out."""
    results = doc["results"]
    rest = {k: v for k, v in doc.items() if k != "results"}
    budget = limit - len(json.dumps(rest)) - 1024  # room for the note and the summary's digits
    kept, used = 0, 0
    for result in results:
        used += len(json.dumps(result)) + 2
        if used > budget:
            break
        kept += 1
    dropped = len(results) - kept
    if dropped:
        namespace = doc["metadata"].get("namespace")
        where = f"kubectl get findings -n {namespace}" if namespace else "kubectl get clusterfindings"
        note = {
            "source": SOURCE,
            "policy": SOURCE,
            "result": "skip",
            "message": f"{dropped} less severe findings are not listed here: the report would be larger "
            f"than the API server accepts. `{where}` lists them all.",
        }
        if results:
            note["timestamp"] = results[0]["timestamp"]
        doc["results"] = [*results[:kept], note]
        doc["summary"] = result_counts(doc["results"])
    return dropped


def _keep_timestamps(doc: dict[str, Any], held: Mapping[str, Any]) -> None:
    """A result already in the report keeps the time it was first written with."""
    stamps = {_result_key(r): r.get("timestamp") for r in held.get("results") or []}
    for result in doc["results"]:
        stamp = stamps.get(_result_key(result))
        if stamp is not None:
            result["timestamp"] = stamp
