"""Ingress checks (`category: ingress`). Facts: reference ingress-nginx-annotations.md; the controller and
annotation catalogues under `kgov/data/`."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from kgov.catalogue import INGRESS_NGINX, Controller, image_tag, parse_version
from kgov.checks import fields
from kgov.checks.params import ChurnParams, DriftParams, EolParams, NoParams, PrefixParams, SprawlParams
from kgov.checks.registry import CheckContext, CheckFunction, Issue, LoneNginxConfig, Undecided
from kgov.domain.annotations import controller_keys, value_digest
from kgov.domain.controller import config_map_ref, nginx_controller_for, workload_config_map
from kgov.domain.measured import measured_series, provenance, reload_series, window_hours
from kgov.findings.model import Severity
from kgov.inventory.network import (
    ControllerView,
    ControllerWorkload,
    GatewayClassView,
    IngressClassView,
    IngressSet,
    IngressView,
    Network,
    WebhookView,
)
from kgov.migration.nginx import nginx_primary, order_known, ordered_ingresses
from kgov.model import networking as net
from kgov.model.evidence import ChurnEstimate, EvidenceSource, Series, Signal
from kgov.model.objects import ObjectRef

# ---- ingress.annotation-sprawl ----------------------------------------------------------------------


def annotation_sprawl(view: IngressView, context: CheckContext[SprawlParams]) -> Iterator[Issue]:
    params: SprawlParams = context.params
    keys = controller_keys(view, context.inventory.network, params.annotation_prefix)
    if len(keys) <= params.warn:
        return
    by_category: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_category[key.category].append(key.key)
    biggest = max(by_category, key=lambda c: len(by_category[c]))
    yield Issue(
        f"{view.obj.display()} carries {len(keys)} controller-specific annotations (more than "
        f"{params.warn}; most are {biggest}): behaviour lives in strings no schema checks, and each "
        "one must be carried over by hand in a migration",
        {
            "count": len(keys),
            "threshold": params.warn,
            "high": params.high,
            "byCategory": {c: sorted(k) for c, k in sorted(by_category.items())},
            "source": EvidenceSource.SPEC,
        },
        severity=Severity.HIGH if len(keys) >= params.high else Severity.LOW,
        path=("metadata", "annotations"),
    )


# ---- ingress.snippet-annotation --------------------------------------------------------------------


_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class SnippetPolicy:
    """Whether the ingress-nginx controller serving an Ingress applies snippet annotations."""

    state: str  # allowed | disabled | unknown
    evidence: dict[str, Any]


def _version(image: str | None) -> tuple[int, int] | None:
    tag = image_tag(image) if image else None
    match = _VERSION.match(tag or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def snippet_policy(view: IngressView, network: Network) -> SnippetPolicy:
    """Read `allow-snippet-annotations` and `annotations-risk-level` from the controller's ConfigMap
    (its `--configmap` argument, else the chart's default `ingress-nginx-controller`); keys the
    ConfigMap leaves out take the default of the controller version when its image tag shows it."""
    return workload_snippet_policy(nginx_controller_for(view, network), network)


def workload_snippet_policy(workload: ControllerWorkload | None, network: Network) -> SnippetPolicy:
    """The snippet policy of one ingress-nginx workload (None: the chart's ConfigMap if alone)."""
    version = _version(workload.container.image) if workload else None
    config, evidence = workload_config_map(workload, network)
    if config is None:
        return SnippetPolicy("unknown", evidence)
    return _read_policy(config, version, evidence)


def lone_config_snippet_policy(lone: LoneNginxConfig, network: Network) -> SnippetPolicy:
    """The snippet policy a controller ConfigMap sets on its own: only what it says explicitly (no
    controller image, so no version defaults)."""
    evidence: dict[str, Any] = {"configMap": f"{lone.obj.namespace}/{lone.obj.name}"}
    config = network.config_map(lone.obj.namespace, lone.obj.name, lone.obj)
    if config is None:
        return SnippetPolicy("unknown", evidence)
    return _read_policy(config, None, evidence)


def _read_policy(
    config: net.ConfigMap, version: tuple[int, int] | None, evidence: dict[str, Any]
) -> SnippetPolicy:
    allow = config.data.get("allow-snippet-annotations")
    risk = config.data.get("annotations-risk-level")
    evidence |= {"allow-snippet-annotations": allow, "annotations-risk-level": risk}
    if version is not None:
        evidence["controllerVersion"] = "v{}.{}".format(*version)
        allow = allow if allow is not None else ("true" if version < (1, 9) else "false")
        risk = risk if risk is not None else ("High" if version >= (1, 12) else "Critical")
    if allow is None:
        return SnippetPolicy("unknown", evidence)
    if allow.strip().lower() != "true":
        return SnippetPolicy("disabled", evidence)
    if risk is None:
        return SnippetPolicy("unknown", evidence)
    return SnippetPolicy("allowed" if risk.strip() == "Critical" else "disabled", evidence)


_SNIPPET_SEVERITY = {"allowed": Severity.CRITICAL, "unknown": Severity.HIGH, "disabled": Severity.MEDIUM}
_SNIPPET_WHY = {
    "allowed": "the controller applies them: raw proxy configuration from anyone who can edit an "
    "Ingress, able to read every Secret the controller can",
    "unknown": "whether the controller applies them is not known (its ConfigMap is not in the set); "
    "if it does, anyone who can edit an Ingress injects raw proxy configuration",
    "disabled": "the controller has snippets disabled, so they are silently ignored: the Ingress "
    "does not do what it says",
}


def snippet_annotation(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    network = context.inventory.network
    snippets = [
        k
        for k in controller_keys(view, network, params.annotation_prefix)
        if k.category == "snippet" or (k.is_ingress_nginx and k.short.endswith("-snippet"))
    ]
    if not snippets:
        return
    nginx = [k for k in snippets if k.is_ingress_nginx]
    policy = snippet_policy(view, network) if nginx else SnippetPolicy("unknown", {})
    keys = [{"key": k.key, **value_digest(view.obj.annotations[k.key])} for k in snippets]
    yield Issue(
        f"{view.obj.display()} has snippet annotations ({', '.join(k.key for k in snippets)}); "
        f"{_SNIPPET_WHY[policy.state]}",
        {"keys": keys, "controllerConfig": policy.state, **policy.evidence, "source": EvidenceSource.SPEC},
        severity=_SNIPPET_SEVERITY[policy.state],
        path=fields.annotation(snippets[0].key),
    )


# ---- ingress.snippets-allowed -----------------------------------------------------------------------


def snippets_allowed(
    subject: ControllerWorkload | LoneNginxConfig, context: CheckContext[NoParams]
) -> Iterator[Issue]:
    network = context.inventory.network
    if isinstance(subject, LoneNginxConfig):
        yield from _lone_config_allows_snippets(subject, network)
        return
    if subject.controller.id != INGRESS_NGINX:
        return
    policy = workload_snippet_policy(subject, network)
    if policy.state != "allowed":
        return
    where = policy.evidence.get("configMap", "its ConfigMap")
    yield Issue(
        f"{subject.obj.display()} runs ingress-nginx with snippet annotations allowed "
        f"(allow-snippet-annotations true, annotations-risk-level Critical, from {where} or the "
        "version's defaults): anyone who can create or edit an Ingress of its class can inject raw "
        "NGINX configuration and read every Secret the controller can",
        {**policy.evidence, "source": EvidenceSource.SPEC},
    )


def _lone_config_allows_snippets(lone: LoneNginxConfig, network: Network) -> Iterator[Issue]:
    policy = lone_config_snippet_policy(lone, network)
    if policy.state != "allowed":
        return
    yield Issue(
        f"{lone.obj.display()} is an ingress-nginx controller configuration that allows snippet annotations "
        '(allow-snippet-annotations "true", annotations-risk-level Critical); the controller that '
        "reads it is not in the input, but whichever does lets anyone who can create or edit an "
        "Ingress of its class inject raw NGINX configuration and read every Secret the controller can",
        {**policy.evidence, "source": EvidenceSource.SPEC},
    )


# ---- ingress.conflicting-paths ---------------------------------------------------------------------

Claim = tuple[str, str, str, str]  # (class, host, path, path kind)


def _claims(view: IngressView, network: Network) -> dict[Claim, tuple[str, str]]:
    """(class, host, path, Exact|Prefix) → (namespace, backend) of every path the Ingress routes.
    ingress-nginx serves ImplementationSpecific like Prefix; a namespace-less Ingress is keyed by
    its own namespace (None), as applied together. Once per Ingress in a scan: every Ingress on a
    host looks up the others'."""
    return network.inventory.derived("ingress_claims", view, lambda: _routed(view))


def _routed(view: IngressView) -> dict[Claim, tuple[str, str]]:
    klass = view.ingress_class.obj.name if view.ingress_class else (view.class_name or "")
    found = {}
    for rule in view.ingress.spec.rules:
        for entry in rule.http.paths if rule.http else []:
            kind = "Exact" if entry.path_type == "Exact" else "Prefix"
            found[(klass, (rule.host or "*").lower(), entry.path or "/", kind)] = (
                view.obj.namespace or "",
                _backend(entry.backend),
            )
    return found


def _backend(backend: net.IngressBackend) -> str:
    if backend.service is not None:
        return f"Service {backend.service.name}:{backend.service.port.display()}"
    return f"resource {backend.resource}" if backend.resource else "none"


def _claimants(network: Network, claim: Claim, prefix: str) -> Iterator[tuple[IngressView, str]]:
    """The ingress-nginx Ingresses (canaries by the annotation `prefix` aside) routing the claim's host
    and path, with their backend, in the network's order."""
    # A rule without a host claims `*`, as does one whose host is `*` (which only files can hold).
    hosts = ("", "*") if claim[1] == "*" else (claim[1],)
    for view in network.ingresses_with_host(*hosts):
        if not nginx_primary(view, prefix):
            continue
        found = _claims(view, network).get(claim)
        if found is not None:
            namespace, backend = found
            yield view, f"{namespace}/{backend}" if namespace else backend


def conflicting_paths(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    prefix = context.params.annotation_prefix
    if not nginx_primary(view, prefix):
        return
    network = context.inventory.network
    conflicts = []
    related: dict[str, ObjectRef] = {}
    own = _claims(view, network)
    for claim, (namespace, backend) in own.items():
        mine = f"{namespace}/{backend}" if namespace else backend
        # One finding per pair, on the Ingress whose backend is not served: the newer one, or, when
        # the input has no creation times, the one the controller's order of equal times puts second.
        others = [
            (other, theirs)
            for other, theirs in _claimants(network, claim, prefix)
            if other.obj.key != view.obj.key
            and theirs != mine
            and ordered_ingresses([view, other])[0] is other
        ]
        for other, theirs in others:
            related[other.obj.display()] = other.obj.ref
            conflicts.append(
                {
                    "host": claim[1],
                    "path": claim[2],
                    "pathType": claim[3],
                    "backend": mine,
                    "other": other.obj.display(),
                    "otherBackend": theirs,
                    # "other": the other Ingress comes first (None: the order is not in the input)
                    "older": "other" if order_known(view, other) else None,
                }
            )
    if not conflicts:
        return
    first = conflicts[0]
    evidence: dict[str, Any] = {"conflicts": conflicts, "source": EvidenceSource.SPEC}
    if first["older"] == "other":
        who = (
            "the other Ingress comes first in its order (older, or as old and later by namespace/name), "
            "so this one's backend gets no traffic there"
        )
    else:
        who = (
            "which one is older (and served) is not known from the manifests, so neither is the answer a "
            f"migration must keep (the migration gate assumes {first['other']}, the order of equal times)"
        )
    yield Issue(
        f"{view.obj.display()} routes {first['host']}{first['path']} ({first['pathType']}) to "
        f"{first['backend']} while {first['other']} of the same class routes it to "
        f"{first['otherBackend']}: ingress-nginx serves only the older Ingress's; {who}",
        evidence,
        related=tuple(related.values()),
    )


# ---- ingress.risky-annotation ----------------------------------------------------------------------


def risky_annotation(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    risky = [
        k
        for k in controller_keys(view, context.inventory.network, params.annotation_prefix)
        if k.is_ingress_nginx and k.entry is not None and k.entry.risk == "High"
    ]
    if risky:
        yield Issue(
            f"{view.obj.display()} uses annotations ingress-nginx rates High risk "
            f"({', '.join(k.key for k in risky)}): their values reach the generated configuration and "
            "several were injection vectors (CVE-2025-1097, CVE-2025-1098, CVE-2025-24514)",
            {"keys": [{"key": k.key, "risk": "High"} for k in risky], "source": EvidenceSource.SPEC},
            path=fields.annotation(risky[0].key),
        )


# ---- ingress.unknown-annotation --------------------------------------------------------------------


def unknown_annotation(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    unknown = []
    for key in controller_keys(view, context.inventory.network, params.annotation_prefix):
        if key.catalogue is None or not key.catalogue.complete or key.entry is not None:
            continue
        known = list(key.catalogue.annotations)
        closest = difflib.get_close_matches(key.short, known, n=1, cutoff=0.6)
        prefix = key.key[: len(key.key) - len(key.short)]
        unknown.append({"key": key.key, "closest": prefix + closest[0] if closest else None})
    if not unknown:
        return
    first = unknown[0]
    hint = f" (did you mean {first['closest']}?)" if first["closest"] else ""
    more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
    yield Issue(
        f"{view.obj.display()}: annotation {first['key']}{hint}{more} is not one the controller "
        "defines, so it is silently ignored",
        {"keys": unknown, "source": EvidenceSource.SPEC},
        path=fields.annotation(str(first["key"])),
    )


# ---- ingress.annotation-drift ----------------------------------------------------------------------


def annotation_drift(group: IngressSet, context: CheckContext[DriftParams]) -> Iterator[Issue]:
    params: DriftParams = context.params
    network = context.inventory.network
    by_keys: dict[tuple[str | None, frozenset[str]], list[tuple[IngressView, dict[str, str]]]] = defaultdict(
        list
    )
    for view in group.ingresses:
        block = {
            k.key: view.obj.annotations[k.key]
            for k in controller_keys(view, network, params.annotation_prefix)
        }
        if len(block) >= params.min_keys:
            by_keys[(view.class_name, frozenset(block))].append((view, block))
    for (class_name, keys), members in by_keys.items():
        if len(members) < 2:
            continue
        yield from _drifted(group, class_name, sorted(keys), members)
        yield from _copied(group, class_name, members, params.copies)


def _drifted(
    group: IngressSet,
    class_name: str | None,
    keys: list[str],
    members: list[tuple[IngressView, dict[str, str]]],
) -> Iterator[Issue]:
    differing = [k for k in keys if len({block[k] for _, block in members}) > 1]
    if not differing or len(differing) * 2 >= len(keys):
        return  # identical, or different blocks that merely share their keys
    values = {
        key: {view.obj.name: value_digest(block[key])["sha256"] for view, block in members}
        for key in differing
    }
    names = [view.obj.name for view, _ in members]
    yield Issue(
        f"{len(members)} Ingresses of class {class_name or '(none)'} in {group.obj.display()} share an "
        f"annotation block of {len(keys)} keys but disagree on {', '.join(differing)}: a copied "
        "block that drifted",
        {"ingresses": names, "class": class_name, "keys": keys, "differingKeys": values},
        severity=Severity.LOW,
        related=tuple(view.obj.ref for view, _ in members),
        discriminator="drift-" + _digest(names),
    )


def _copied(
    group: IngressSet, class_name: str | None, members: list[tuple[IngressView, dict[str, str]]], copies: int
) -> Iterator[Issue]:
    blocks: dict[tuple[tuple[str, str], ...], list[IngressView]] = defaultdict(list)
    for view, block_of_view in members:
        blocks[tuple(sorted(block_of_view.items()))].append(view)
    for block, views in blocks.items():
        if len(views) >= copies:
            names = [v.obj.name for v in views]
            yield Issue(
                f"{len(views)} Ingresses of class {class_name or '(none)'} in {group.obj.display()} "
                f"carry the same {len(block)}-key annotation block: a candidate for one shared "
                "policy (or one Gateway-level setting after migration)",
                {"ingresses": names, "class": class_name, "keys": [k for k, _ in block]},
                severity=Severity.INFO,
                related=tuple(v.obj.ref for v in views),
                discriminator="copies-" + _digest(names),
            )


def _digest(names: list[str]) -> str:
    return hashlib.sha256("\0".join(sorted(names)).encode()).hexdigest()[:8]


# ---- ingress.eol-controller ------------------------------------------------------------------------


def controller_versions(network: Network, controller: Controller) -> list[dict[str, Any]]:
    """The controller's images in the scope, the version each tag names (None when it names none)
    and the catalogued CVEs that version is open to, per component."""
    found = []
    for image in sorted({w.image for w in network.controller_workloads if w.controller is controller}):
        version = parse_version(image_tag(image))
        open_cves = [] if version is None else [cve for cve in controller.fixed_cves if cve.affects(version)]
        found.append(
            {
                "image": image,
                "version": ".".join(map(str, version)) if version else None,
                "cves": [{"id": c.id, "component": c.component} for c in open_cves],
            }
        )
    return found


def eol_controller(view: IngressClassView, context: CheckContext[EolParams]) -> Iterator[Issue]:
    params: EolParams = context.params
    controller = view.controller
    if controller is None or not controller.retired:
        return
    network = context.inventory.network
    served = sum(1 for i in network.ingresses if i.ingress_class is view)
    versions = controller_versions(network, controller)
    webhook = any(_nginx_hooks(w) for w in network.webhooks)
    exploitable = sorted(
        {
            cve["id"]
            for v in versions
            for cve in v["cves"]
            if cve["component"] == "controller" or (cve["component"] == "admission-webhook" and webhook)
        }
    )
    message = (
        f"{view.obj.display()} is served by {controller.name}, retired since {controller.lifecycle_since}: "
        f"no more releases or security fixes for the {served} Ingresses it serves"
    )
    if exploitable:
        message += f", and its version is open to {', '.join(exploitable)}"
    yield Issue(
        message,
        {
            "controller": view.spec.spec.controller,
            "retired": controller.lifecycle_since,
            "images": [v["image"] for v in versions],
            "versions": versions,
            "exploitableCves": exploitable,
            "ingresses": served,
            "source": EvidenceSource.SPEC,
        },
        severity=Severity.CRITICAL if params.compliance or exploitable else Severity.HIGH,
        path=("spec", "controller"),
    )


# ---- ingress.admission-webhook ---------------------------------------------------------------------

_NGINX_WEBHOOK = "validate.nginx.ingress.kubernetes.io"


def _nginx_hooks(view: WebhookView) -> list[Any]:
    found = []
    for hook in view.config.webhooks:
        service = hook.client_config.service
        service_name = service.name if service else None
        by_service = bool(service_name and "ingress-nginx" in service_name and "admission" in service_name)
        if hook.name == _NGINX_WEBHOOK or hook.name.endswith("." + _NGINX_WEBHOOK) or by_service:
            found.append(hook)
    return found


def admission_webhook(view: WebhookView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    network = context.inventory.network
    nginx = next((c for c in network.catalogue.controllers if c.id == "ingress-nginx"), None)
    for hook in _nginx_hooks(view):
        service = hook.client_config.service
        namespace = service.namespace if service else None
        # The controller behind the webhook: its workloads in the webhook service's namespace.
        versions = [
            v
            for v in (controller_versions(network, nginx) if nginx else [])
            if namespace is None
            or any(
                w.image == v["image"] and w.obj.namespace == namespace for w in network.controller_workloads
            )
        ]
        open_cves = sorted(
            {c["id"] for v in versions for c in v["cves"] if c["component"] == "admission-webhook"}
        )
        known = bool(versions) and all(v["version"] for v in versions)
        if open_cves:
            state, severity = (
                f"and the controller's version is open to {', '.join(open_cves)}",
                Severity.CRITICAL,
            )
        elif known:
            state = "patched against the catalogued webhook CVEs (by image tag), on a controller that gets no more fixes"
            severity = Severity.MEDIUM
        else:
            state = "the controller's version is not known here, on a controller that gets no more fixes"
            severity = Severity.HIGH
        yield Issue(
            f"{view.obj.display()} registers the ingress-nginx admission webhook {hook.name}, the "
            f"endpoint behind CVE-2025-1974 (unauthenticated code execution from the pod network): {state}",
            {
                "webhook": hook.name,
                "service": f"{service.namespace}/{service.name}" if service else None,
                "path": service.path if service else None,
                "versions": versions,
                "openCves": open_cves,
                "source": EvidenceSource.SPEC,
            },
            severity=severity,
            discriminator=hook.name,
            path=fields.named_item(view.obj.raw, "webhooks", hook.name),
        )


# ---- ingress.reload-churn, ingress.reload-failing: evidence from the watch stream or Prometheus -----


def reload_churn(
    view: IngressClassView | GatewayClassView, context: CheckContext[ChurnParams]
) -> Iterator[Issue]:
    """Measured reloads (Prometheus reload counters) win; the watch-based estimate is used otherwise."""
    params: ChurnParams = context.params
    controller = view.controller
    if controller is None or controller.config_model != "reload-on-change":
        return
    # ingress-nginx's reload counters for the controller pods serving this class
    measured, unavailable = measured_series(
        context.facts.evidence, lambda evidence: reload_series(view, evidence)
    )
    estimate = context.facts.churn.get((view.obj.kind, view.obj.name))
    if measured:
        rate, evidence = _measured_churn(measured, context)
    elif estimate is not None:
        rate, evidence = estimate.weighted_per_hour, _estimated_churn(estimate)
        if unavailable is not None:
            evidence["prometheus"] = unavailable.reason
    elif unavailable is not None:
        raise unavailable
    else:
        return
    if rate < params.warn:
        return
    evidence |= {"value": round(rate, 1), "threshold": params.warn, "high": params.high}
    how = "measured" if measured else "estimated from watched changes"
    yield Issue(
        f"{view.obj.display()} ({controller.name}) reloads about {rate:.0f} times per hour ({how}), at or "
        f"above {params.warn}/h: every reload replaces NGINX workers and cuts long-lived connections",
        evidence,
        severity=Severity.HIGH if rate >= params.high else Severity.MEDIUM,
        path=("spec", "controller"),
    )


def _measured_churn(measured: list[Series], context: CheckContext[Any]) -> tuple[float, dict[str, Any]]:
    evidence = context.facts.evidence
    assert evidence is not None
    hours = window_hours(evidence, Signal.RELOADS)
    pods: list[dict[str, Any]] = sorted(
        (
            {
                "pod": f"{s.labels.get('controller_namespace')}/{s.labels.get('controller_pod')}",
                "class": s.labels.get("controller_class"),
                "reloadsPerHour": round(s.value / hours, 1),
                "samples": s.samples,
            }
            for s in measured
        ),
        key=lambda p: -p["reloadsPerHour"],
    )
    # Every replica reloads for the same changes, so the class rate is the busiest pod's, not the sum.
    rate: float = pods[0]["reloadsPerHour"]
    return rate, {
        "pods": pods,
        "estimated": False,
        **provenance(evidence, Signal.RELOADS),
    }


def _estimated_churn(estimate: ChurnEstimate) -> dict[str, Any]:
    return {
        "eventsByType": dict(estimate.events_by_type),
        "topContributors": [{"object": name, "events": count} for name, count in estimate.top_contributors],
        "window": f"{estimate.window_seconds / 60:g}m",
        "estimated": True,
        "source": EvidenceSource.WATCH,
    }


def reload_failing(view: ControllerView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    evidence = context.facts.evidence
    if evidence is None or view.controller.id != INGRESS_NGINX:
        return
    series = evidence.matching(Signal.RELOAD_FAILURES)
    serial = _serial_reloads(view, context)
    failing = [s for s in series if s.value == 0 or (s.details.get("errors", 0) > 0 and not serial)]
    if not failing:
        return
    pods = [
        {
            "pod": f"{s.labels.get('controller_namespace')}/{s.labels.get('controller_pod')}",
            "class": s.labels.get("controller_class"),
            "lastReloadSuccessful": int(s.value),
            "reloadErrors": round(float(s.details.get("errors", 0)), 1),
            "lastSuccessTime": _time(s.details.get("last_success_time")),
        }
        for s in failing
    ]
    first = pods[0]
    state = "its last reload failed" if first["lastReloadSuccessful"] == 0 else "reloads failed"
    yield Issue(
        f"ingress-nginx pod {first['pod']}: {state} ({first['reloadErrors']:g} reload errors in "
        f"{evidence.result(Signal.RELOAD_FAILURES).window}): it keeps serving an older configuration and "
        "ignores every Ingress change since",
        {
            "pods": pods,
            "value": first["lastReloadSuccessful"],
            "threshold": 1,
            "serialReloads": serial,
            **provenance(evidence, Signal.RELOAD_FAILURES),
        },
    )


def _serial_reloads(view: ControllerView, context: CheckContext[Any]) -> bool:
    """Whether `enable-serial-reloads` is on: then a reload refused while workers are still reloading
    counts as an error although the configuration is fine, so errors alone prove nothing."""
    network = context.inventory.network
    for workload in view.workloads:
        ref = config_map_ref(workload.container.args, workload.obj.namespace)
        config = network.config_map(*ref, workload.obj) if ref else None
        if config is not None and config.data.get("enable-serial-reloads", "").strip().lower() == "true":
            return True
    return False


def _time(value: Any) -> str | None:
    if not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat()


# ---- ingress.autoscaled-backend-on-reload-controller -----------------------------------------------


def autoscaled_backend(view: IngressView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    controller = view.controller
    if controller is None or controller.churn.get("endpoint_change") != "reload":
        return
    network = context.inventory.network
    chains = []
    related: list[ObjectRef] = []
    seen: set[tuple[str, int]] = set()
    for backend in view.ingress.backends():
        if backend.service is None:
            continue
        service = network.service(view.obj.namespace, backend.service.name, view.obj)
        if service is None:
            continue
        for workload in network.workloads_selected(view.obj.namespace, service.service.spec.selector):
            for hpa in workload.hpas:
                if (service.obj.name, id(hpa)) in seen:
                    continue
                seen.add((service.obj.name, id(hpa)))
                chains.append(
                    {"service": service.obj.name, "workload": workload.obj.display(), "hpa": hpa.obj.name}
                )
                related += [service.obj.ref, workload.obj.ref, hpa.obj.ref]
    if chains:
        yield Issue(
            f"{view.obj.display()} routes to HPA-scaled workloads ({chains[0]['workload']}) through "
            f"{controller.name}, which reloads its proxy when endpoints change: every scale event is "
            "a reload that drops long-lived connections",
            {"controller": controller.id, "chains": chains, "source": EvidenceSource.SPEC},
            related=tuple(dict.fromkeys(related)),
            path=("spec", "rules"),
        )


# ---- ingress.controller-hardening ------------------------------------------------------------------


def controller_hardening(subject: ControllerWorkload, context: CheckContext[NoParams]) -> Iterator[Issue]:
    network = context.inventory.network
    workload, container = subject.workload, subject.container
    data_plane = subject.plane == "data"
    failed: list[str] = []
    if workload.obj.kind in ("Deployment", "StatefulSet"):
        replicas = 1 if workload.spec.replicas is None else workload.spec.replicas
        floor = max([replicas, *(h.hpa.min_replicas for h in workload.hpas)])
        if floor < 2:
            outage = (
                "takes its ingress traffic down"
                if data_plane
                else "pauses route and endpoint updates until it is back (traffic keeps flowing)"
            )
            failed.append(f"runs {floor} replica; a restart or node drain {outage}")
    if not network.pdbs_selecting(workload):
        failed.append("no PodDisruptionBudget selects its pods")
    if container.readiness_probe is None:
        failed.append(f"container {container.name} has no readiness probe")
    elif container.readiness_probe == container.liveness_probe:
        failed.append(f"container {container.name} uses the same probe for readiness and liveness")
    if not failed:
        return
    evidence: dict[str, Any] = {
        "controller": subject.controller.id,
        "plane": subject.plane,
        "failed": failed,
        "source": EvidenceSource.SPEC,
    }
    missing = [r for r in ("cpu", "memory") if r not in container.resources.requests]
    if missing:
        # The same root cause as qos.critical-not-guaranteed / qos.best-effort, which report it.
        evidence["requestsMissing"] = {container.name: missing}
    yield Issue(
        f"{workload.obj.display()} runs the {subject.controller.name} {subject.plane} plane and "
        f"{'; '.join(failed)}",
        evidence,
        severity=Severity.MEDIUM if data_plane else Severity.LOW,
        path=fields.container(workload, container.name),
    )


# ---- ingress.no-class, ingress.legacy-class-annotation ---------------------------------------------


_UNKNOWN_DEFAULT_CLASS = Undecided(
    "Ingress without a class, while the cluster's IngressClasses (its default) are not known",
    "Ingresses without a class, while the cluster's IngressClasses (its default) are not known",
)


def no_class(view: IngressView, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    network = context.inventory.network
    if view.class_name is not None or view.ingress_class is not None:
        return
    if not network.inventory.complete("IngressClass", None):
        yield _UNKNOWN_DEFAULT_CLASS  # which class is the cluster default is unknown
        return
    yield Issue(
        f"{view.obj.display()} names no IngressClass and no class is marked default, so no "
        "controller is bound to serve it (or every controller in the cluster does)",
        {
            "ingressClasses": sorted(v.obj.name for v in network.ingress_classes),
            "source": EvidenceSource.SPEC,
        },
        path=("spec",),
    )


def legacy_class_annotation(view: IngressView, context: CheckContext[NoParams]) -> Iterator[Issue]:
    value = view.legacy_class
    if value is None:
        return
    field = view.ingress.spec.ingress_class_name
    also = f" (and spec.ingressClassName {field})" if field else ""
    yield Issue(
        f"{view.obj.display()} selects its class with the deprecated kubernetes.io/ingress.class "
        f"annotation ({value}){also}; use spec.ingressClassName",
        {"value": value, "ingressClassName": field, "source": EvidenceSource.SPEC},
        path=fields.annotation(net.LEGACY_CLASS_ANNOTATION),
    )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "ingress.annotation-sprawl": annotation_sprawl,
    "ingress.snippet-annotation": snippet_annotation,
    "ingress.snippets-allowed": snippets_allowed,
    "ingress.conflicting-paths": conflicting_paths,
    "ingress.risky-annotation": risky_annotation,
    "ingress.unknown-annotation": unknown_annotation,
    "ingress.annotation-drift": annotation_drift,
    "ingress.eol-controller": eol_controller,
    "ingress.admission-webhook": admission_webhook,
    "ingress.reload-churn": reload_churn,
    "ingress.reload-failing": reload_failing,
    "ingress.autoscaled-backend-on-reload-controller": autoscaled_backend,
    "ingress.controller-hardening": controller_hardening,
    "ingress.no-class": no_class,
    "ingress.legacy-class-annotation": legacy_class_annotation,
}
