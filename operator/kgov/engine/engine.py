"""The operator's engine: watch events in, the writes that make Findings match the cluster out.

No kopf, no client, no network: the kopf layer feeds it events and the Findings it lists or writes, and
carries out the `WritePlan` it returns. Events update the object store and mark the subjects they touch;
`evaluate` re-runs the checks on those subjects only (everything on the first call) through the same
`kgov.analysis.evaluate` the CLI uses, and diffs the desired Findings against the existing ones.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from kgov.analysis import Capabilities, evaluate, select_checks, subjects
from kgov.catalogue import load_catalogue
from kgov.checks.params import PrefixParams
from kgov.checks.registry import CheckSpec, Need, Reach, Registry, Subject
from kgov.config import Config
from kgov.domain.measured import reload_series, window_hours
from kgov.engine import churn as ch
from kgov.engine.dirty import Dirty
from kgov.engine.failures import Failure, collect, undecided
from kgov.engine.held import Entry, HeldFindings
from kgov.engine.history import ScaleHistory
from kgov.engine.live import Change, LiveInventory
from kgov.engine.measured import KeptEvidence, close, same_measurements
from kgov.engine.relations import Relations, build_relations
from kgov.engine.resources import (
    FINDING_KINDS,
    MANAGER,
    REPORT,
    REPORT_KEY,
    ReportFacts,
    finding_body,
    finding_key,
    report_body,
    timestamp,
)
from kgov.engine.store import ObjectStore, ProjectionCache, trimmed
from kgov.engine.subjects import SubjectIndex
from kgov.findings.diff import MANAGED_BY, ObjectKey, WritePlan, diff, key_of, merge_patch
from kgov.findings.model import Finding
from kgov.inventory import Inventory
from kgov.inventory.projection import ProjectionError, project
from kgov.inventory.templates import template_images
from kgov.inventory.views import Key
from kgov.migration.parity import MigrationIndex, built_index
from kgov.model import load_lazy_modules
from kgov.model.errors import InputError
from kgov.model.evidence import (
    NOT_CONFIGURED,
    ChurnEstimate,
    Evidence,
    EvidenceHealth,
    EvidenceSource,
    EvidenceUnavailable,
    Signal,
)
from kgov.model.facts import ClassKey, Facts, HPAKey, ScaleEvents
from kgov.model.gateway import ROUTE_KINDS
from kgov.model.kinds import CHURN_ONLY_KINDS, Invalidates, invalidation
from kgov.model.networking import LEGACY_CLASS_ANNOTATION
from kgov.model.objects import KubeObject
from kgov.model.pods import LivePod

# The engine runs in the operator's threads: no model module may be left to load lazily there.
load_lazy_modules()


class Engine:
    def __init__(
        self,
        registry: Registry,
        config: Config,
        params: dict[str, BaseModel],
        *,
        capabilities: Capabilities,
        max_findings: int = 5000,
        churn_window_s: float = 3600,
        clock: Callable[[], float] = time.time,
        evidence_max_age_s: float = 900,
    ) -> None:
        self.registry = registry
        self.capabilities = capabilities
        self.max_findings = max_findings
        self.clock = clock
        self.store = ObjectStore()
        self.churn = ch.ChurnCounter(churn_window_s)
        self.scale_history = ScaleHistory(churn_window_s)
        self._scales: dict[HPAKey, ScaleEvents] = {}
        self.evidence = NOT_CONFIGURED
        self.measured: Evidence | None = None  # what the checks read (see kgov.engine.measured)
        self._kept = KeptEvidence(evidence_max_age_s)
        self.errors: list[InputError] = []  # check failures and unreadable objects of the last evaluation
        self.failures = 0  # (check, subject) evaluations that raised, all told
        self._check_failures: dict[tuple[str, Key], str] = {}  # raised, not re-run since → why
        self._withheld: set[ObjectKey] = set()  # existing Findings nothing decided: not deleted
        self.dropped = 0
        self._catalogue = load_catalogue()
        self._relations = Relations()
        self._dirty = Dirty()
        self._subjects = SubjectIndex()  # where each namespace's subjects are, between evaluations
        self._desired = HeldFindings()
        self._existing: dict[ObjectKey, dict[str, Any]] = {}
        self._written: set[ObjectKey] = set()  # desired keys within the cap
        self._pending: set[ObjectKey] = set()  # keys whose desired or existing side moved
        self._report: dict[str, Any] | None = None  # as it exists in the cluster
        self._last_full: str | None = None
        self._estimates: dict[ClassKey, ChurnEstimate] = {}
        self._inventory: LiveInventory | None = None
        self._changes: list[tuple[KubeObject | None, KubeObject | None]] = []
        self._rebuild = False
        self._relations_stale = True
        # The routing models of the migration checks, by annotation prefix, kept for the network view
        # they model and brought up to date with the changes applied to it in place.
        self._routing: dict[str, MigrationIndex] = {}
        self._routed: object | None = None
        self.reconfigure(config, params)

    # ---- input -----------------------------------------------------------------------------------

    def reconfigure(self, config: Config, params: dict[str, BaseModel]) -> None:
        self.config = config
        self.params = params
        self._checks: list[CheckSpec] = select_checks(self.registry, config)
        self._specs = {spec.id: spec for spec in self._checks}
        self._prefixes = {p.annotation_prefix for p in params.values() if isinstance(p, PrefixParams)}
        self._dirty = Dirty(everything=True)

    def apply_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """ADDED / MODIFIED / DELETED (or None, kopf's initial listing) of a watched object."""
        kind = body.get("kind")
        if kind in FINDING_KINDS or kind == REPORT:
            if event_type == "DELETED":
                self.forget_finding(str(kind), *key_of(body)[1:])
            else:
                self.observe_finding(body)
            return
        change = self.store.apply(event_type, body)
        if change is None:
            return
        old, new = change
        obj = new or old
        assert obj is not None
        if obj.kind not in CHURN_ONLY_KINDS:
            self._changes.append(change)
        if (
            (old is None or new is None)
            and self.store.is_workload(obj.kind)
            and self.store.descendants(obj.key)
        ):
            self._rebuild = True  # pods already there roll up to a different subject now
        if not self._dirty.everything and not _same_for_checks(old, new, self.store.projections):
            self._mark(old, new)  # (everything is evaluated anyway: the initial listing, a reload)
        if not _same_for_relations(old, new):
            self._relations_stale = True
        if event_type is not None and self._last_full is not None:
            self._count_churn(old, new)  # the initial listing is the state, not churn

    def observe_finding(self, body: Mapping[str, Any]) -> None:
        key = key_of(body)
        if key[0] == REPORT:
            self._report = {"status": dict(body.get("status") or {})}
            return
        labels = (body.get("metadata") or {}).get("labels") or {}
        if key[0] not in FINDING_KINDS or labels.get(MANAGED_BY) != MANAGER:
            return  # not ours: never touched
        kept = trimmed(body)
        self._existing[key] = {
            "metadata": kept.get("metadata") or {},
            "spec": kept.get("spec") or {},
            "status": kept.get("status") or {},
        }
        self._pending.add(key)

    def forget_finding(self, kind: str, namespace: str | None, name: str) -> None:
        if kind == REPORT:
            self._report = None
            return
        key = (kind, namespace or None, name)
        if self._existing.pop(key, None) is not None or key in self._desired:
            self._pending.add(key)

    def set_evidence_health(self, configured: bool, reachable: bool, last_error: str | None) -> None:
        self.evidence = EvidenceHealth(configured=configured, reachable=reachable, last_error=last_error)

    def set_evidence(self, evidence: Evidence | None) -> None:
        """Prometheus evidence from a collection (None: Prometheus not configured). Sets the evidence
        health, and marks the evidence-backed checks for re-evaluation when what they read changed."""
        if evidence is None:
            self._kept.clear()
            measured = None
            self.set_evidence_health(False, False, None)
        else:
            measured = self._kept.update(evidence, self.clock())
            health = evidence.health
            up = health.reachable and not health.failures
            self.set_evidence_health(True, up, health.last_error)
        if not same_measurements(self.measured, measured):
            self._dirty.checks |= self.measured_checks
        self.measured = measured

    def facts(self) -> Facts:
        """What the engine measured, as the checks read it: Prometheus evidence, reload churn and scale
        history, read-only views of maps the engine replaces whole (never changes in place), so a
        value handed out does not move with the watch."""
        return Facts(
            evidence=self.measured,
            churn=MappingProxyType(self._estimates),
            scale_history=MappingProxyType(self._scales),
        )

    @property
    def measured_checks(self) -> set[str]:
        """The selected checks that read Prometheus evidence."""
        return {spec.id for spec in self._checks if Need.PROMETHEUS in spec.needs}

    def evidence_subjects(self) -> Inventory | None:
        """A copy of the inventory's pods and autoscalers that the evidence layer can read off the event
        loop while the evaluator goes on updating the inventory; None before the first evaluation."""
        return None if self._inventory is None else self._inventory.detached()

    @property
    def inventory(self) -> Inventory | None:
        """What the last evaluation read (None before the first)."""
        return self._inventory

    def measured_reload_rates(self) -> dict[ClassKey, float]:
        """Reloads per hour per IngressClass from the controllers' reload counters (the busiest pod of
        the class, as `ingress.reload-churn` reads them)."""
        evidence, inventory = self.measured, self._inventory
        if evidence is None or inventory is None:
            return {}
        rates: dict[ClassKey, float] = {}
        for view in inventory.network.ingress_classes:
            try:
                series = reload_series(view, evidence)
                hours = window_hours(evidence, Signal.RELOADS)
            except EvidenceUnavailable:
                continue
            if series and hours > 0:
                rates[("IngressClass", view.obj.name)] = max(s.value for s in series) / hours
        return rates

    # ---- marking what changed ---------------------------------------------------------------------

    def _mark(self, old: KubeObject | None, new: KubeObject | None) -> None:
        obj = new or old
        assert obj is not None
        dirty, namespace = self._dirty, obj.namespace
        dirty.keys.add(obj.key)
        match invalidation(obj.kind):
            case Invalidates.TOP_OWNER:
                dirty.keys.add(self.store.top_owner(obj).key)
            case Invalidates.NAMED_NAMESPACE:
                dirty.namespaces.add(obj.name)
            case Invalidates.OWN_NAMESPACE:
                dirty.namespaces.add(namespace)
            case Invalidates.AUTOSCALED | Invalidates.AUTOSCALED_AND_NETWORK as how:
                self._mark_autoscaled(old, new)
                if how is Invalidates.AUTOSCALED_AND_NETWORK and not _same_spec(old, new):
                    dirty.network(namespace)
            case Invalidates.WORKLOAD:
                self._mark_workload(old, new, obj)
            case Invalidates.SERVICE:
                dirty.network(namespace)
                for other in self._relations.route_namespaces_by_backend.get(namespace, ()):
                    dirty.network(other)
            case Invalidates.HOSTS:
                dirty.network(namespace)
                self._mark_host_sharers(old, new)
            case Invalidates.ALL_NETWORK:
                dirty.all_network = True
            case Invalidates.NOTHING:
                pass

    def _mark_autoscaled(self, old: KubeObject | None, new: KubeObject | None) -> None:
        for version in (old, new):
            target = self.store.autoscaler_target(version) if version else None
            if target is not None:
                self._dirty.keys.add(self.store.top_owner(target).key)

    def _mark_host_sharers(self, old: KubeObject | None, new: KubeObject | None) -> None:
        """Migration parity and dual-served hosts read every Ingress and route of a host, across
        namespaces: re-run the namespaces that share a host with either version of the object."""
        for version in (old, new):
            if version is None:
                continue
            sharing = self._relations.namespaces_sharing_hosts(version)
            if sharing is None:
                self._dirty.all_network = True
                return
            for other in sharing:
                self._dirty.network(other)

    def _mark_workload(self, old: KubeObject | None, new: KubeObject | None, obj: KubeObject) -> None:
        dirty = self._dirty
        top = self.store.top_owner(obj)
        dirty.keys.add(top.key)
        if old is None or new is None:
            # Owners appearing or going change which subject their pods roll up to.
            dirty.keys.update(self.store.descendants(obj.key))
            if top is obj:
                dirty.namespaces.add(obj.namespace)
        if _same_spec(old, new):
            return
        if any(self._catalogue.for_image(i) for v in (old, new) if v for i in template_images(v)):
            dirty.network(obj.namespace)
            dirty.all_network = True
        elif (
            top is obj
            and old is not None
            and new is not None
            and self.store.template_labels(old) != self.store.template_labels(new)
        ):
            # Of other workloads the network reads only which pods they select (the template's labels):
            # a rollout, a new replica count or image, an owned ReplicaSet come or gone leave it as it
            # was. One added or removed re-runs its whole namespace (above).
            dirty.network(obj.namespace)

    # ---- churn ------------------------------------------------------------------------------------

    def _count_churn(self, old: KubeObject | None, new: KubeObject | None) -> None:
        obj = new or old
        assert obj is not None
        now = self.clock()
        if obj.kind == "HorizontalPodAutoscaler":
            self._record_scale(old, new, obj, now)
        for class_key, event in self._churn_events(old, new, obj):
            self.churn.record(class_key, event, f"{obj.namespace or ''}/{obj.kind}/{obj.name}", now)

    def _churn_events(
        self, old: KubeObject | None, new: KubeObject | None, obj: KubeObject
    ) -> list[tuple[ClassKey, str]]:
        kind, relations = obj.kind, self._relations
        if kind == "Ingress":
            events = ch.ingress_events(old, new)
            name = ch.ingress_class_name(obj) or relations.default_ingress_class
            return [(("IngressClass", name), e) for e in events] if name else []
        if kind in ROUTE_KINDS:
            classes = ch.route_classes(obj, relations.class_of_gateway)
            return [(c, ch.SPEC) for c in classes] if ch.spec_changed(old, new) else []
        if kind == "Pod" and ch.endpoint_changed(old, new):
            return [(c, ch.ENDPOINTS) for c in relations.classes_for_labels(obj.namespace, obj.labels)]
        if kind == "HorizontalPodAutoscaler" and ch.scaled(old, new):
            target = self.store.autoscaler_target(obj)
            labels = self.store.template_labels(target) if target else {}
            return [(c, ch.HPA_SCALE) for c in relations.classes_for_labels(obj.namespace, labels)]
        if kind in ch.ROLLOUT_KINDS and ch.rolled_out(old, new):
            labels = self.store.template_labels(obj)
            return [(c, ch.ROLLOUT) for c in relations.classes_for_labels(obj.namespace, labels)]
        if kind == "Certificate" and ch.renewed(old, new):
            secret = ch.certificate_secret(obj)
            classes = relations.classes_of_secret.get((obj.namespace, secret), set()) if secret else set()
            return [(c, ch.CERTIFICATE) for c in classes]
        return []

    def _record_scale(
        self, old: KubeObject | None, new: KubeObject | None, obj: KubeObject, now: float
    ) -> None:
        key = (obj.namespace, obj.name)
        if new is None:
            self.scale_history.forget(key)
        elif ch.scaled(old, new):
            replicas = ch.desired_replicas(new)
            if replicas is not None:
                self.scale_history.record(key, now, replicas)

    def _refresh_history(self, now: float) -> None:
        scales = self.scale_history.snapshot(now)
        for namespace, name in set(scales) | set(self._scales):
            if scales.get((namespace, name)) != self._scales.get((namespace, name)):
                self._dirty.keys.add(("HorizontalPodAutoscaler", namespace, name))
        self._scales = scales

    def _refresh_churn(self, now: float) -> None:
        estimates = self.churn.estimates(now)
        for key in set(estimates) | set(self._estimates):
            if estimates.get(key) != self._estimates.get(key):
                self._dirty.keys.add((key[0], None, key[1]))
        self._estimates = estimates

    # ---- evaluation -------------------------------------------------------------------------------

    def evaluate(self, held: Collection[ObjectKey] = ()) -> WritePlan:
        """The writes that bring the cluster to the findings, but for the objects in `held` (their
        writes failed and wait out their backoff): those stay to be planned by a later evaluation."""
        # An evaluation (checks, diff and report) allocates many short-lived objects that reference
        # counting frees. Left on, the cyclic collector would promote them and walk the whole store in
        # a full collection on most evaluations.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._evaluate(held)
        finally:
            if collecting:
                gc.enable()

    def _evaluate(self, held: Collection[ObjectKey]) -> WritePlan:
        now = self.clock()
        stamp = timestamp(now)
        self._refresh_churn(now)
        self._refresh_history(now)
        if self._dirty:
            self._rerun(now)
        self._apply_cap()
        self._withhold_undecided()
        keys = self._pending.difference(held)
        plan = diff({k: self._desired[k][1] for k in keys if k in self._written}, self._existing, keys, stamp)
        self._pending -= keys
        self._assume_written(plan)
        plan.report = None if REPORT_KEY in held else self._report_update()
        return plan

    def _rerun(self, now: float) -> None:
        dirty = self._dirty
        try:
            self._run_checks(now)
        except Exception:
            # Nothing decided (the findings change only once the checks have run): every finding
            # stays as held, everything is evaluated again next time.
            self._dirty, self._rebuild = dirty, True
            self._dirty.everything = True
            raise

    def _run_checks(self, now: float) -> None:
        dirty, self._dirty = self._dirty, Dirty(everything=False)
        # One change per object: the versions between were never evaluated, so neither the inventory
        # nor the routing models build (or hold projections of) them.
        changes, self._changes = _folded(self._changes), []
        inventory = self._inventory_now(changes)
        self._keep_routing(inventory, changes)
        for class_key in inventory.network.ingress_classes:
            self.churn.controllers[("IngressClass", class_key.obj.name)] = class_key.controller
        for gclass in inventory.network.gateway_classes:
            self.churn.controllers[("GatewayClass", gclass.obj.name)] = gclass.controller
        if self._relations_stale:
            self._relations = build_relations(inventory)
            self._relations_stale = False
        result = evaluate(
            inventory,
            self._checks,
            self.config,
            self.params,
            self.capabilities,
            now=datetime.fromtimestamp(now, UTC),
            pick=None if dirty.everything else _Picker(inventory, dirty, self._subjects),
            facts=self.facts(),
        )
        self._take_routing(inventory)
        replaced = self._replaced(dirty)
        self.errors = result.errors + inventory.errors
        self.failures += len(result.failed)
        specs = self._specs
        self._check_failures = {
            (check, key): why
            for (check, key), why in self._check_failures.items()
            if check in specs and not dirty.reruns(specs[check], key)
        } | result.failed
        self._keep_undecided(replaced, result.failed, inventory.unreadable)
        for finding in result.findings:
            key = finding_key(finding)
            held = replaced.get(key)
            if held is not None and (held[0] == finding or _same_measurement(held[0], finding)):
                self._desired.put(
                    key, held
                )  # found again as it was (or only measured numbers moved a little)
            else:
                self._desired.put(key, (finding, finding_body(finding)))
                self._pending.add(key)
        # What is desired moved only where a finding is new, changed or gone.
        self._pending.update(key for key in replaced if key not in self._desired)
        if dirty.everything:
            self._last_full = timestamp(now)

    def _replaced(self, dirty: Dirty) -> dict[ObjectKey, Entry]:
        """The held findings on the subjects re-checked: taken out, to be replaced by what the checks
        found. Only the findings of the checks re-run in whole and of the namespaces touched are
        asked about."""
        specs = self._specs
        if dirty.everything:
            candidates: Iterable[ObjectKey] = list(self._desired)
        else:
            whole = [s.id for s in self._checks if s.id in dirty.checks or dirty.covers_all(s.reach)]
            namespaces = dirty.namespaces | dirty.network_namespaces | {key[1] for key in dirty.keys}
            candidates = self._desired.candidates(whole, namespaces)
        replaced: dict[ObjectKey, Entry] = {}
        for key in candidates:
            finding = self._desired[key][0]
            spec = specs.get(finding.check)
            if spec is None or dirty.reruns(spec, finding.target.key):
                replaced[key] = self._desired[key]
                self._desired.pop(key)
        return replaced

    def _keep_undecided(
        self,
        replaced: dict[ObjectKey, tuple[Finding, dict[str, Any]]],
        failed: Mapping[tuple[str, Key], str],
        unreadable: Mapping[Key, str],
    ) -> None:
        """A check that raised on a subject, or an object that could not be read, decided nothing:
        the findings there (on it, or naming it) are kept as they were, never deleted for it."""
        for key, (finding, body) in replaced.items():
            refs = (finding.target, *finding.related)
            if (finding.check, finding.target.key) in failed or any(ref.key in unreadable for ref in refs):
                self._desired.put(key, (finding, body))

    def _withhold_undecided(self) -> None:
        """Existing Findings that are not desired but were not decided either (a restart with a
        malformed object, a check raising there): their delete is withheld, and asked again each time."""
        self._pending |= self._withheld
        left_out = self._left_out()
        self._withheld = {
            key
            for key in self._pending
            if key not in self._written
            and key in self._existing
            and undecided(self._existing[key].get("spec") or {}, left_out, self._check_failures)
        }
        self._pending -= self._withheld

    def _left_out(self) -> set[Key]:
        unreadable = self._inventory.unreadable if self._inventory is not None else {}
        return {*self.store.errors, *unreadable}

    def current_failures(self) -> list[Failure]:
        """Objects left out and checks that raised, as of the last evaluation."""
        unreadable = self._inventory.unreadable if self._inventory is not None else {}
        return collect(self.store.errors, unreadable, self._check_failures)

    def _inventory_now(self, changes: list[tuple[KubeObject | None, KubeObject | None]]) -> LiveInventory:
        """The live inventory brought up to date with the changes since the last evaluation, or built
        again from the store when a change reshapes the subjects. The checks read it as it is now."""
        inventory = self._inventory
        reusable = inventory is not None and not self._rebuild
        if inventory is not None and reusable and all(inventory.update(o, n) for o, n in changes):
            inventory.refresh_network()
            return inventory
        self._rebuild = False
        self._inventory = LiveInventory(self.store.objects(), self.store.projections)
        return self._inventory

    def _keep_routing(
        self, inventory: LiveInventory, changes: list[tuple[KubeObject | None, KubeObject | None]]
    ) -> None:
        """Hands the checks the routing models of the last evaluation, updated with the changes the
        network view took in place; a new view, or a change the models cannot take in place, leaves
        them to the checks to build again from every object."""
        kept = self._routing if inventory.network is self._routed else {}
        if not all(index.update(changes) for index in kept.values()):
            kept = {}
        self._routing, self._routed = kept, inventory.network
        for index in kept.values():
            inventory.keep_index(index)

    def _take_routing(self, inventory: Inventory) -> None:
        for prefix in self._prefixes:
            index = built_index(inventory, prefix)
            if index is not None:
                self._routing[prefix] = index

    def _apply_cap(self) -> None:
        changed, self._desired.changed = self._desired.changed, set()
        if len(self._desired) <= self.max_findings and not self.dropped:
            # Every finding is written, before and now: only the keys that changed move.
            for key in changed:
                if key in self._desired and key not in self._written:
                    self._written.add(key)
                    self._pending.add(key)
                elif key not in self._desired and key in self._written:
                    self._written.discard(key)
                    self._pending.add(key)
            return
        if len(self._desired) <= self.max_findings:
            written = set(self._desired)
        else:
            ranked = sorted(
                self._desired, key=lambda k: (-self._desired[k][0].severity.rank, k[0], k[1] or "", k[2])
            )
            written = set(ranked[: self.max_findings])
        self._pending |= written ^ self._written
        self._written = written
        self.dropped = len(self._desired) - len(written)

    def _assume_written(self, plan: WritePlan) -> None:
        """Take the plan as done; the writer corrects this with observe_finding / forget_finding."""
        for body in plan.creates:
            self._existing[key_of(body)] = body
        for patch in plan.patches:
            existing = self._existing[patch.key]
            want = self._desired[patch.key][1]
            self._existing[patch.key] = {**want, "status": patch.status or existing.get("status", {})}
        for key in plan.deletes:
            self._existing.pop(key, None)

    def _report_update(self) -> dict[str, Any] | None:
        capped = bool(self.dropped)
        facts = ReportFacts(
            severities=Counter(self._desired[k][0].severity.value for k in self._written)
            if capped
            else self._desired.severities,
            checks=Counter(self._desired[k][0].check for k in self._written)
            if capped
            else self._desired.checks,
            dropped=self.dropped,
            max_findings=self.max_findings,
            last_full_evaluation=self._last_full,
            prometheus=self.evidence,
            failures=self.current_failures(),
        )
        body = report_body(facts)
        if self._report is not None and not merge_patch(self._report["status"], body["status"]):
            return None
        self._report = {"status": body["status"]}
        return body

    # ---- introspection ----------------------------------------------------------------------------

    @property
    def desired_findings(self) -> list[Finding]:
        return [self._desired[k][0] for k in sorted(self._written, key=str)]

    def desired_bodies(self) -> dict[ObjectKey, dict[str, Any]]:
        return {k: self._desired[k][1] for k in self._written}

    @property
    def churn_estimates(self) -> dict[ClassKey, ChurnEstimate]:
        return dict(self._estimates)


class _Picker:
    """The subjects to re-check for each check: every subject of its kind for a check re-run in whole,
    else the dirty ones, found once per (subject kind, reach) and evaluation where the index of
    subjects by namespace and key says they are."""

    def __init__(self, inventory: LiveInventory, dirty: Dirty, index: SubjectIndex) -> None:
        self.inventory = inventory
        self.dirty = dirty
        self.index = index
        self._found: dict[tuple[Subject[Any], Reach], Sequence[Any]] = {}

    def __call__(self, spec: CheckSpec) -> Sequence[Any]:
        kind = spec.subject
        if spec.id in self.dirty.checks:
            return subjects(self.inventory, kind)
        found = self._found.get((kind, spec.reach))
        if found is None:
            every = subjects(self.inventory, kind)
            positions = self.index.positions(self.inventory, kind, every)
            found = self._found[(kind, spec.reach)] = self.dirty.pick(spec.reach, every, positions)
        return found


def _folded(changes: list[Change]) -> list[Change]:
    """One change per object key, from its version before the batch to its version after: an object
    changed several times in one batch is one change (the versions between were never evaluated), and
    one added and removed again is none."""
    spans: dict[Key, Change] = {}
    for old, new in changes:
        key = (new or old).key  # type: ignore[union-attr]
        first = spans.get(key)
        spans[key] = (old if first is None else first[0], new)
    return [(old, new) for old, new in spans.values() if old is not None or new is not None]


def _same_measurement(held: Finding, new: Finding) -> bool:
    """Measured evidence (Prometheus) or an estimate from the watch (reload churn, scaling history)
    that moved only a little (see `close`): the held Finding stands, nothing is rewritten."""
    return (
        new.source is not None
        and (new.source.measured or new.source is EvidenceSource.WATCH)
        and held.source is new.source
        and held.severity == new.severity
        and held.related == new.related
        and close(held.evidence, new.evidence)
    )


def _same_spec(old: KubeObject | None, new: KubeObject | None) -> bool:
    if old is None or new is None:
        return False
    return old.raw.get("spec") == new.raw.get("spec") and old.labels == new.labels


def _same_for_relations(old: KubeObject | None, new: KubeObject | None) -> bool:
    """A change `build_relations` cannot see: anything but the classes, Gateways and ListenerSets, and
    the spec and class annotation of Ingresses, routes and Services."""
    obj = new or old
    if obj is None or obj.kind not in _RELATED_KINDS:
        return True
    if old is None or new is None or obj.kind in _RELATION_HOLDERS:
        return False
    if old.annotations.get(LEGACY_CLASS_ANNOTATION) != new.annotations.get(LEGACY_CLASS_ANNOTATION):
        return False
    return bool(old.raw.get("spec") == new.raw.get("spec"))


# What build_relations reads: every field of the first, the spec (and class annotation) of the rest.
_RELATION_HOLDERS = frozenset({"IngressClass", "GatewayClass", "Gateway", "ListenerSet"})
_RELATED_KINDS = _RELATION_HOLDERS | {"Ingress", "Service", *ROUTE_KINDS}


def _same_for_checks(old: KubeObject | None, new: KubeObject | None, projections: ProjectionCache) -> bool:
    """A pod status update the checks cannot see (readiness, conditions, IPs: most pod events). Checks
    read a live pod's metadata, spec and its `LivePod` projection, nothing else."""
    if old is None or new is None or new.kind != "Pod":
        return False
    if old.raw.get("spec") != new.raw.get("spec") or old.labels != new.labels:
        return False
    if old.annotations != new.annotations or old.owners != new.owners:
        return False
    try:
        seen = projections.get(new, LivePod, lambda: project(LivePod, new.raw))
        return projections.get(old, LivePod, lambda: project(LivePod, old.raw)) == seen
    except ProjectionError:
        return False
