"""Everything one operator run holds: the engine, its feed from the informers, the debounced
evaluator, the writer, the config file watcher, metrics and health."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgov.analysis import Capabilities, resolve_params
from kgov.checks.builtin import default_registry
from kgov.config import Config, ConfigError
from kgov.engine import Engine, ObjectKey, WritePlan
from kgov.operator.backoff import Backoff, Holds
from kgov.operator.configmaps import ConfigMapRefs
from kgov.operator.credentials import Credentials
from kgov.operator.informer import WatchSettings
from kgov.operator.kinds import CONFIG_MAPS, OWN, WATCHED, WatchedKind
from kgov.operator.metrics import Metrics
from kgov.operator.options import NamespaceScope, RunOptions, load_operator_config
from kgov.operator.ownership import OwnedFindings
from kgov.operator.peering import PEERING_PATH, announced, is_active
from kgov.operator.policyreports import policy_reports_writer
from kgov.operator.watches import Watches
from kgov.operator.writer import RateLimiter, Writer, WriteResult

logger = logging.getLogger(__name__)

# How often the evaluator looks whether the watches are listed and this replica is the active one.
READY_POLL_SECONDS = 0.05


class Runtime:
    def __init__(self, options: RunOptions, config: Config) -> None:
        self.options = options
        self.registry = default_registry()
        self.config = config
        self.engine = Engine(
            self.registry,
            config,
            resolve_params(self.registry, config),
            capabilities=_capabilities(config),
            max_findings=config.operator.max_findings,
            churn_window_s=config.operator.churn_window_seconds,
            evidence_max_age_s=config.operator.evidence_max_age_seconds,
        )
        self.metrics = Metrics()
        self.scope = NamespaceScope(options.namespaces, options.exclude_namespaces)
        self.dirty = asyncio.Event()
        self.credentials = Credentials()
        self.watches = Watches(
            (*WATCHED, *OWN),
            self.credentials.client,
            self.event,
            WatchSettings(
                relist_seconds=config.operator.relist_interval_seconds,
                retry=Backoff(options.watch_retry_seconds, options.watch_retry_cap_seconds),
                relist_after_failing=options.relist_after_failing_seconds,
            ),
            unauthorized=self.credentials.refresh,
        )
        self.config_maps = ConfigMapRefs()  # the ConfigMaps the checks read: the only ones watched
        self.watches.want(CONFIG_MAPS, self.config_maps.wanted())
        self.owned = OwnedFindings()
        # One policy for every write, and for an evaluation that raised.
        self.write_retry = Backoff(options.write_retry_seconds, options.write_retry_cap_seconds)
        self.writer = Writer(
            self.engine,
            self.credentials.client,
            self.metrics,
            RateLimiter(options.write_rate, options.write_burst),
            Holds(self.write_retry),
            left_to_gc=self.owned.left_to_gc,
            unauthorized=self.credentials.refresh,
        )
        self.policy_reports = policy_reports_writer(
            options.policy_reports, self.writer, config.operator.relist_interval_seconds, self.write_retry
        )
        self.tasks: list[asyncio.Task[None]] = []
        self.started = False
        self.port: int | None = None  # the /healthz and /metrics port once bound
        self.config_errors = 0  # config files refused since the start
        self.evaluation_failing = False  # the last evaluation raised
        self.failing: set[str] = set()  # check failures and unreadable objects of the last evaluation
        self.evaluations = 0  # evaluations run so far
        self.events = 0  # watch events applied so far
        self.evaluated_events = 0  # of those, the ones the last evaluation started from
        self.idle = False  # waiting for events, every write of the last evaluation done
        self.collections = 0  # Prometheus evidence collections finished so far
        self.evidence_changed = asyncio.Event()  # set when a collection ends; tests wait on it
        # False while a peer of higher priority does the work (see peering.py); a peered replica
        # starts paused and lists nothing until the peering object says it is the active one.
        self.active = options.standalone

    # ---- feed from the informers ------------------------------------------------------------------

    def event(self, kind: WatchedKind, event_type: str | None, body: Mapping[str, Any]) -> None:
        """One object from a listing (`event_type` None on the first one) or a watch event."""
        metadata = body.get("metadata") or {}
        own = kind in OWN
        if not own and not self.scope.allows_object(
            body.get("kind"), metadata.get("namespace"), metadata.get("name")
        ):
            return
        if own:
            self.owned.finding_event(event_type, body)
        elif event_type == "DELETED":
            self.owned.object_deleted(metadata.get("uid"))
        if self.config_maps.event(event_type, body):
            self.watches.want(CONFIG_MAPS, self.config_maps.wanted())
        if kind.plural == "customresourcedefinitions" and event_type is not None:
            self.watches.rediscover()  # an optional kind may be served now, or not any more
        self.engine.apply_event(event_type, body)
        self.events += 1
        self.dirty.set()

    # ---- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.active:
            self.watches.start()
        self.tasks = [
            asyncio.create_task(self._evaluator(), name="kgov evaluator"),
            asyncio.create_task(self._config_watcher(), name="kgov config watcher"),
            asyncio.create_task(self._evidence_collector(), name="kgov evidence collector"),
        ]
        if self.options.peering is not None:
            self.tasks.append(asyncio.create_task(self._peering_watcher(), name="kgov peering watcher"))
        self.started = True

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.watches.stop()
        await self.credentials.close()

    # ---- evaluation -------------------------------------------------------------------------------

    async def _evaluator(self) -> None:
        await self._ready()
        logger.info("initial listing complete: evaluating every check")
        raised = 0  # evaluations that raised, in a row
        while True:
            await self._ready()
            self.dirty.clear()
            self.evaluated_events = self.events
            outcome = await self._evaluate_and_write()
            if outcome.written or outcome.failed:
                logger.info("wrote %d objects, %d writes failed", outcome.written, outcome.failed)
            raised = raised + 1 if self.evaluation_failing else 0
            if raised:
                # An evaluation that raised costs a whole one each time and will most likely raise
                # again: events do not shorten its backoff.
                await asyncio.sleep(self.write_retry.delay(raised))
                continue
            due = self._writes_due()
            if outcome.again:  # an object adopted (409) or gone (404): its write is planned anew
                due = time.monotonic() + self.config.operator.debounce_seconds
            await self._wait(due)

    def _writes_due(self) -> float | None:
        """When the first write held back after a failure may be tried again (None: none held)."""
        due = self.writer.holds.next_due()
        if self.policy_reports is not None:
            due = _earliest(due, self.policy_reports.holds.next_due())
        return due

    async def _wait(self, due: float | None) -> None:
        """Until events come (then the debounce: a burst of events, a rollout or a helm upgrade,
        settles into one evaluation) or `due` (a held write may be tried again), or at most
        `resync_seconds` (churn windows slide, waivers expire without any event)."""
        timeout = self.options.resync_seconds
        if due is not None:
            timeout = min(timeout, max(0.0, due - time.monotonic()))
        self.idle = due is None
        try:
            await asyncio.wait_for(self.dirty.wait(), timeout=timeout)
        except TimeoutError:
            return
        finally:
            self.idle = False
        await asyncio.sleep(self.config.operator.debounce_seconds)

    async def _ready(self) -> None:
        """Wait until this replica is the active one and every served kind is listed: the engine
        never evaluates half a cluster (and never deletes the Findings of the other half)."""
        while not (self.active and self.watches.synced()):
            await asyncio.sleep(READY_POLL_SECONDS)

    async def _evaluate_and_write(self) -> WriteResult:
        try:
            held = self.writer.holds.held()
            plan = self.evaluate(held)
            outcome = await self.writer.execute(plan, held)
            held_reports = 0
            if self.policy_reports is not None:
                await self.policy_reports.sync(self.engine.desired_findings, outcome)
                held_reports = len(self.policy_reports.holds)
            self.metrics.writes_held.set(len(self.writer.holds) + held_reports)
            return outcome
        except Exception:  # a bug must not stop the operator for good: log it, try again later
            logger.exception("evaluation failed (nothing written, every Finding kept); trying again")
            self.evaluation_failing = True
            self.metrics.evaluation_failures.labels("evaluation").inc()
            return WriteResult(failed=1)

    def evaluate(self, held: Collection[ObjectKey] = ()) -> WritePlan:
        started = time.perf_counter()
        plan = self.engine.evaluate(held)
        self.metrics.evaluation.observe(time.perf_counter() - started)
        self.evaluations += 1
        self.evaluation_failing = False
        self._report_new_failures()
        self._refresh_metrics()
        return plan

    def _report_new_failures(self) -> None:
        """Each failing check or object left out is logged and counted once while it lasts (it is
        listed in the GovernanceReport's status.failures meanwhile)."""
        current = {str(failure): failure for failure in self.engine.current_failures()}
        for message, failure in current.items():
            if message not in self.failing:
                logger.error("%s", message)
                self.metrics.evaluation_failures.labels(failure.type).inc()
        self.failing = set(current)

    def _refresh_metrics(self) -> None:
        engine, metrics = self.engine, self.metrics
        metrics.set_findings(engine.desired_findings)
        metrics.dropped.set(engine.dropped)
        metrics.add_churn_totals(engine.churn.totals)
        metrics.set_churn_rates(engine.churn.estimates(engine.clock()))
        metrics.set_measured_churn_rates(engine.measured_reload_rates())
        if engine.evidence.configured:
            metrics.evidence_up.labels("prometheus").set(1 if engine.evidence.reachable else 0)
        else:
            metrics.evidence_up.clear()

    # ---- Prometheus evidence ----------------------------------------------------------------------

    async def _evidence_collector(self) -> None:
        """Every `operator.evidence_interval`, measure the selected evidence-backed checks' signals for
        the current subjects (the synchronous client runs in a thread), and hand them to the engine."""
        while True:
            try:
                if self.active and await self.collect_evidence():
                    self.dirty.set()  # the engine marked what must be re-evaluated; the report may change
            except Exception:  # a bug must not stop the operator: log it, try at the next interval
                logger.exception("evidence collection failed")
            self.evidence_changed.set()
            await asyncio.sleep(self.config.operator.evidence_interval_seconds)

    async def collect_evidence(self) -> bool:
        """One collection; false when Prometheus is not configured and nothing changed."""
        settings = self.config.prometheus
        if not settings.configured:
            changed = self.engine.evidence.configured or self.engine.measured is not None
            if changed:
                self.engine.set_evidence(None)
            return changed
        from kgov.evidence import collect_evidence, signals_for

        subjects = self.engine.evidence_subjects()
        while subjects is None:  # the first evaluation has not built the inventory yet
            await asyncio.sleep(0.2)
            subjects = self.engine.evidence_subjects()
        signals = signals_for(self.engine.measured_checks)
        evidence = await asyncio.to_thread(collect_evidence, subjects, settings, signals)
        self.collections += 1
        self.engine.set_evidence(evidence)
        if not evidence.health.reachable or evidence.health.failures:
            logger.warning("Prometheus evidence unavailable: %s", evidence.health.last_error)
        return True

    # ---- peering ----------------------------------------------------------------------------------

    async def _peering_watcher(self) -> None:
        path = PEERING_PATH.format(name=self.options.peering)
        while True:
            try:
                client = await self.credentials.client()
                body = await client.get(path)
            except Exception as exc:  # unknown: keep the last state, kopf pauses on its own terms
                logger.debug("peering object not read: %s", exc)
            else:
                status = body.get("status") or {}
                active = is_active(status, self.options.priority, datetime.now(UTC))
                if active != self.active and (announced(status, self.options.priority) or not active):
                    await self._set_active(active)
            await asyncio.sleep(self.options.peering_poll_seconds)

    async def _set_active(self, active: bool) -> None:
        """Paused: the watches stop (a standby holds none). Resumed: every kind is listed again and
        reconciled with what this replica knew, so objects deleted meanwhile are not carried over."""
        logger.info("peering: %s", "active" if active else "paused in favour of a peer")
        self.active = active
        if active:
            self.watches.start()
            if self.policy_reports is not None:
                self.policy_reports.relist()  # the replica that was active may have written
            self.dirty.set()
        else:
            await self.watches.stop()

    # ---- config file ------------------------------------------------------------------------------

    async def _config_watcher(self) -> None:
        path = self.options.config_path
        if path is None:
            return
        seen = _stamp(path)
        while True:
            await asyncio.sleep(self.options.config_poll_seconds)
            stamp = _stamp(path)
            if stamp == seen:
                continue
            seen = stamp
            self.reload()

    def reload(self) -> bool:
        """Re-read the config file; a bad file is logged and the running config kept."""
        try:
            config = load_operator_config(self.options)
            params = resolve_params(self.registry, config)
        except ConfigError as exc:
            self.config_errors += 1
            logger.error("config not reloaded, keeping the previous one: %s", exc)
            return False
        if config == self.config:
            return False
        self.config = config
        self.engine.max_findings = config.operator.max_findings
        self.engine.capabilities = _capabilities(config)
        self.engine.reconfigure(config, params)
        self.dirty.set()
        logger.info("config reloaded from %s", self.options.config_path)
        return True

    # ---- health -----------------------------------------------------------------------------------

    def alive(self) -> tuple[bool, str]:
        """Liveness: the operator's own tasks run. An API outage or a failing evaluation is not a
        reason to restart (a restart loses the watch history and lists everything again)."""
        for task in self.tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                return False, f"{task.get_name()} failed: {task.exception()!r}"
        return True, "alive"

    def health(self) -> tuple[bool, str]:
        if not self.started:
            return True, "starting"
        for task in self.tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                return False, f"{task.get_name()} failed: {task.exception()!r}"
        if not self.active:
            return True, "paused in favour of a peer"
        problems = self.watches.problems()
        if self.evaluation_failing:
            problems.insert(0, "evaluation failing (see the log); every Finding is kept meanwhile")
        if problems:
            more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
            return False, "; ".join(problems[:3]) + more
        if not self.watches.synced():
            return True, "listing"
        return True, "ok"


def _capabilities(config: Config) -> Capabilities:
    return Capabilities(live=True, history=True, prometheus=config.prometheus.configured)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()  # follows the symlinks a mounted ConfigMap swaps on update
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)
