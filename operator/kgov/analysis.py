"""Run the registered checks over an inventory: the one function the CLI and the operator share."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from kgov.checks.registry import CheckContext, CheckSpec, Need, Registry, Subject, Undecided
from kgov.config import Config, ConfigError, Waiver
from kgov.findings.model import Finding, Severity
from kgov.inventory import Inventory
from kgov.model.errors import InputError
from kgov.model.evidence import EvidenceUnavailable
from kgov.model.facts import NO_FACTS, Facts
from kgov.model.objects import KubeObject, ObjectRef

IGNORE_ANNOTATION = "kgov.io/ignore"
IGNORE_REASON_ANNOTATION = "kgov.io/ignore-reason"

_NEED_REASONS = {
    Need.LIVE: "needs live object status: run `kgov scan --cluster` or the operator",
    Need.HISTORY: "needs the operator's watch history",
    Need.PROMETHEUS: "needs Prometheus evidence, which is not configured",
    Need.MANIFESTS: "only meaningful on manifests (a live object always has this field set)",
    Need.BASE: "needs a baseline: run `kgov gate migration --base GIT_REF|FOLDER`",
}


class Capabilities(NamedTuple):
    """What this run can see. Files give spec only; a cluster adds status; the operator adds history."""

    live: bool = False
    history: bool = False
    prometheus: bool = False

    def missing(self, spec: CheckSpec, facts: Facts = NO_FACTS) -> list[Need]:
        have = {
            Need.LIVE: self.live,
            Need.HISTORY: self.history,
            Need.PROMETHEUS: self.prometheus,
            Need.MANIFESTS: not self.live,
            Need.BASE: facts.baseline is not None,
        }
        lacking = [need for need in sorted(spec.needs) if not have[need]]
        if spec.alternatives and len(lacking) < len(spec.needs):
            return []
        return lacking


class Skipped(NamedTuple):
    """A check that did not run (no target), a target exempted or waived (target), or what a check
    could not decide for lack of an object (`undecided`, target None, counted)."""

    check: str
    reason: str
    target: ObjectRef | None = None
    undecided: int = 0


@dataclass(slots=True)
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    expired_waivers: list[Waiver] = field(default_factory=list)
    # (check id, subject key) pairs whose check raised → why: their findings are unknown, not absent.
    failed: dict[tuple[str, tuple[str, str | None, str]], str] = field(default_factory=dict)


def resolve_params(registry: Registry, config: Config) -> dict[str, BaseModel]:
    """Validate every check's params from config against its params model; unknown ids are errors.
    A check the config gives no params gets its model's defaults, constructed: validating `{}` gives
    the same (pydantic does not validate defaults) but first builds the model's validator."""
    unknown = sorted(set(config.checks) - set(registry.ids()))
    if unknown:
        raise ConfigError(f"config names checks that do not exist: {', '.join(unknown)}")
    resolved = {}
    for spec in registry:
        given = config.settings(spec.id).params
        try:
            resolved[spec.id] = spec.params.model_validate(given) if given else spec.params.model_construct()
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"checks.{spec.id}.params: {problems}") from None
    return resolved


def select_checks(
    registry: Registry, config: Config, only: Collection[str] = (), skip: Collection[str] = ()
) -> list[CheckSpec]:
    unknown = sorted((set(only) | set(skip)) - set(registry.ids()))
    if unknown:
        raise ConfigError(f"no such check: {', '.join(unknown)} (see `kgov checks`)")
    return [
        spec
        for spec in registry
        if config.settings(spec.id).enabled and (not only or spec.id in only) and spec.id not in skip
    ]


SubjectPicker = Callable[[CheckSpec], Sequence[Any]]


def evaluate(
    inventory: Inventory,
    checks: Iterable[CheckSpec],
    config: Config,
    params: dict[str, BaseModel],
    capabilities: Capabilities,
    now: datetime | None = None,
    pick: SubjectPicker | None = None,
    facts: Facts = NO_FACTS,
) -> Evaluation:
    """Run `checks` over the inventory's subjects, with what the run knows besides the objects
    (`facts`); with `pick`, only over the subjects it picks for each check (the operator re-evaluates
    just the subjects an event touched)."""
    now = now or datetime.now(UTC)
    result = Evaluation()
    active_waivers = [w for w in config.waivers if not w.expired(now.date())]
    result.expired_waivers = [w for w in config.waivers if w.expired(now.date())]
    allowed: dict[str | None, bool] = {}  # namespace → in scope, asked once per namespace
    for spec in checks:
        lacking = capabilities.missing(spec, facts)
        if lacking:
            result.skipped.append(Skipped(spec.id, _NEED_REASONS[lacking[0]]))
            continue
        context = CheckContext(inventory, params[spec.id], now, facts)
        override = config.settings(spec.id).severity
        undecided: dict[tuple[str, str], int] = {}
        for subject in subjects(inventory, spec.subject) if pick is None else pick(spec):
            obj: KubeObject = subject.obj
            in_scope = allowed.get(obj.namespace)
            if in_scope is None:
                in_scope = allowed[obj.namespace] = config.namespaces.allows(obj.namespace)
            if not in_scope:
                continue
            for finding in _run(spec, subject, context, override, result, undecided):
                reason = _exemption(finding, obj, inventory, config, active_waivers, spec)
                if reason is None:
                    result.findings.append(finding)
                else:
                    result.skipped.append(Skipped(spec.id, reason, finding.target))
        result.skipped += [
            Skipped(spec.id, f"{count} {one if count == 1 else many}", undecided=count)
            for (one, many), count in undecided.items()
        ]
    return result


def subjects(inventory: Inventory, kind: Subject[Any]) -> Sequence[Any]:
    return kind.enumerate(inventory)


def _run(
    spec: CheckSpec,
    subject: Any,
    context: CheckContext[Any],
    override: Severity | None,
    result: Evaluation,
    undecided: dict[tuple[str, str], int],
) -> list[Finding]:
    obj: KubeObject = subject.obj
    try:
        findings = []
        for issue in spec.fn(subject, context):
            if isinstance(issue, Undecided):
                key = (issue.one, issue.many)
                undecided[key] = undecided.get(key, 0) + 1
                continue
            findings.append(
                Finding(
                    check=spec.id,
                    category=spec.category,
                    severity=override or issue.severity or spec.severity,
                    target=obj.ref,
                    message=issue.message,
                    remediation=spec.remediation,
                    evidence=issue.evidence,
                    related=issue.related,
                    location=obj.location,
                    discriminator=issue.discriminator,
                    path=issue.path,
                )
            )
        return findings
    except EvidenceUnavailable as exc:  # configured but failing evidence: skipped with why, never a pass
        target = None if exc.whole_check else obj.ref
        if not any(s.check == spec.id and s.target is None for s in result.skipped):
            result.skipped.append(Skipped(spec.id, exc.reason, target))
        return []
    except Exception as exc:  # a bug in a check is reported, never taken as a pass
        result.failed[(spec.id, obj.key)] = f"{type(exc).__name__}: {exc}"
        location = obj.location
        result.errors.append(
            InputError(
                location.file if location else "cluster",
                location.line if location else None,
                f"check {spec.id} failed on {obj.display()}: {type(exc).__name__}: {exc}",
                kind="internal",
            )
        )
        return []


def _exemption(
    finding: Finding,
    obj: KubeObject,
    inventory: Inventory,
    config: Config,
    waivers: list[Waiver],
    spec: CheckSpec,
) -> str | None:
    if spec.waiver_needs_replacement:
        waivers = [w for w in waivers if w.replacement]
    elif config.exemptions.allow_annotations:
        for holder in (obj, inventory.namespace(obj.namespace, near=obj)):
            if holder is not None and _ignores(holder, finding.check):
                reason = holder.annotations.get(IGNORE_REASON_ANNOTATION, "no reason given")
                return f"exempted by {IGNORE_ANNOTATION} on {holder.display()}: {reason}"
    target = finding.target
    for waiver in waivers:
        if waiver.matches(finding.check, target.namespace, target.kind, target.name):
            until = f" until {waiver.expires}" if waiver.expires else ""
            replaced = f" (replaced by {waiver.replacement})" if waiver.replacement else ""
            return f"waived{until}: {waiver.reason}{replaced}"
    return None


def _ignores(obj: KubeObject, check: str) -> bool:
    value = obj.annotations.get(IGNORE_ANNOTATION)
    if not value:
        return False
    listed = {item.strip() for item in value.split(",")}
    return "*" in listed or check in listed
