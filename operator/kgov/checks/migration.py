"""Migration checks (`category: migration`): how ready an Ingress is to move to Gateway API, and whether
the Gateway API objects beside it route the same requests the same way.

They run under `kgov scan`, in the operator and in `kgov gate migration`; `migration.new-ingress`
needs a baseline and runs only in the gate with `--base`. Facts: reference
ingress-nginx-annotations.md §5, gateway-api-semantics.md; the annotation catalogue's `class` column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import PrivateAttr

from kgov.checks.params import PrefixParams
from kgov.checks.registry import Check, CheckContext, Issue, Need, SubjectKind
from kgov.findings.model import Category, Severity
from kgov.inventory.network import IngressView, RouteView
from kgov.migration.parity import Mismatch, Parity, ingress_hosts, migration_index
from kgov.migration.surface import Mapped, annotation_surface, semantic_gaps
from kgov.model.evidence import EvidenceSource

MAX_LISTED = 20  # mismatches carried in a finding's evidence


def surface(view: IngressView, context: CheckContext[Any]) -> list[Mapped]:
    params: PrefixParams = context.params
    return annotation_surface(view, context.inventory.network, params.annotation_prefix)


def _by_class(view: IngressView, context: CheckContext[Any], klass: str) -> list[Mapped]:
    return [m for m in surface(view, context) if m.klass == klass]


def _keys(mapped: list[Mapped]) -> str:
    return ", ".join(m.key.rsplit("/", 1)[-1] for m in mapped)


def _annotation_evidence(mapped: list[Mapped]) -> dict[str, Any]:
    return {
        "annotations": [{"key": m.key, "gatewayAPI": m.equivalent, "note": m.note} for m in mapped],
        "source": EvidenceSource.SPEC,
    }


def untranslatable_annotation(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    found = _by_class(view, context, "—")
    if found:
        yield Issue(
            f"{view.obj.display()} uses {len(found)} annotation(s) with no Gateway API equivalent "
            f"({_keys(found)}): the behaviour must be redesigned or dropped before migrating",
            _annotation_evidence(found),
        )


def policy_required(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    found = _by_class(view, context, "I")
    if found:
        yield Issue(
            f"{view.obj.display()} uses {len(found)} annotation(s) that need an implementation-specific "
            f"policy on Gateway API ({_keys(found)})",
            _annotation_evidence(found),
        )


def experimental_required(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    found = _by_class(view, context, "X")
    if found:
        yield Issue(
            f"{view.obj.display()} uses {len(found)} annotation(s) whose Gateway API equivalent is in "
            f"the Experimental channel only ({_keys(found)})",
            _annotation_evidence(found),
        )


def semantic_gap(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    gaps = semantic_gaps(view, surface(view, context), model)
    if gaps:
        subjects = ", ".join(
            dict.fromkeys(g.subject.rsplit("/", 1)[-1] if g.kind == "annotation" else g.subject for g in gaps)
        )
        yield Issue(
            f"{view.obj.display()} relies on ingress-nginx behaviour that Gateway API maps with known "
            f"differences ({subjects}): review each before migrating",
            {"gaps": [g.as_dict() for g in gaps], "source": EvidenceSource.SPEC},
        )


def parity_of(view: IngressView, context: CheckContext[Any]) -> Parity:
    """The Ingress's parity; one that could not be decided skips the check for it, with the reason."""
    params: PrefixParams = context.params
    parity = migration_index(context.inventory, params.annotation_prefix).parity(view)
    if parity.undecided is not None:
        raise parity.undecided
    return parity


def _mismatch_issue(view: IngressView, parity: Parity, found: list[Mismatch], what: str) -> Issue:
    first = found[0]
    return Issue(
        f"{view.obj.display()} and the Gateway API objects for its hosts {what} on {len(found)} probe(s); "
        f"e.g. {first.probe}: the Ingress gives {first.ingress}, the routes give {first.routes}",
        {
            "mismatches": [m.as_dict() for m in found[:MAX_LISTED]],
            "count": len(found),
            "probes": parity.probes,
            "gateways": parity.planes,
            "source": EvidenceSource.SPEC,
        },
        related=tuple(route.obj.ref for route in parity.routes[:MAX_LISTED]),
    )


def route_parity(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    parity = parity_of(view, context)
    found = parity.route_mismatches
    if found:
        yield _mismatch_issue(view, parity, found, "route differently")


def tls_parity(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    parity = parity_of(view, context)
    found = parity.tls_mismatches
    if found:
        yield _mismatch_issue(view, parity, found, "differ on TLS or the HTTPS redirect")


def dual_served_host(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    by_hostname = migration_index(context.inventory, params.annotation_prefix).gateways.by_hostname
    for host in ingress_hosts(view):
        serving = _routes_naming(by_hostname, host) if host else []
        if serving:
            names = ", ".join(r.obj.display() for r in serving)
            yield Issue(
                f"host {host} is served by {view.obj.display()} and by {names} at once: which one answers "
                "depends on DNS and the load balancers in front",
                {"host": host, "routes": [r.obj.display() for r in serving], "source": EvidenceSource.SPEC},
                related=tuple(r.obj.ref for r in serving),
                discriminator=host,
            )


def _routes_naming(by_hostname: dict[str, list[RouteView]], host: str) -> list[RouteView]:
    """Routes naming the host itself or a wildcard covering it (`*.example.com` covers any number of
    labels in front of `example.com`, as Gateway API hostnames do)."""
    labels = host.lower().split(".")
    keys = [host.lower(), *("*." + ".".join(labels[i:]) for i in range(1, len(labels)))]
    found = {id(route): route for key in keys for route in by_hostname.get(key, [])}
    return list(found.values())


class NewIngressParams(PrefixParams):
    """The baseline is set by `kgov gate migration --base`, never from config."""

    _baseline: frozenset[str] | None = PrivateAttr(default=None)

    @classmethod
    def with_baseline(cls, base: PrefixParams, existing: frozenset[str]) -> NewIngressParams:
        params = cls(annotation_prefix=base.annotation_prefix)
        params._baseline = existing
        return params

    @property
    def baseline(self) -> frozenset[str] | None:
        return self._baseline


def ingress_key(namespace: str | None, name: str) -> str:
    return f"{namespace or ''}/{name}"


def new_ingress(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params = context.params
    baseline = params.baseline if isinstance(params, NewIngressParams) else None
    if baseline is None or ingress_key(view.obj.namespace, view.obj.name) in baseline:
        return
    yield Issue(
        f"{view.obj.display()} is new relative to the base, and policy forbids new Ingresses: "
        "write Gateway API routes instead",
        {"policy": "migration.forbid_new_ingress", "source": EvidenceSource.SPEC},
    )


_REMEDIATION_CLASS = "Run `kgov gate migration` and `kgov convert` on it; "

CHECKS = (
    Check(
        id="migration.untranslatable-annotation",
        title="Annotation with no Gateway API equivalent",
        category=Category.MIGRATION,
        severity=Severity.HIGH,
        subject=SubjectKind.INGRESS,
        condition="An annotation the catalogue maps to no Gateway API equivalent (class `—`): "
        "snippets, NGINX tuning keys, auth extras. Blocks the migration.",
        remediation="Redesign the behaviour (a Gateway API filter, a policy of the target "
        "implementation, or the application itself), or drop the annotation if it is not needed.",
        fn=untranslatable_annotation,
        params=PrefixParams,
    ),
    Check(
        id="migration.policy-required",
        title="Annotation that needs an implementation policy",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="An annotation whose Gateway API home is an implementation-specific policy "
        "(class `I`): IP allow lists, rate limits, body size, buffering, auth, WAF.",
        remediation="Choose the target implementation's policy resource for each listed key and "
        "write it next to the routes.",
        fn=policy_required,
        params=PrefixParams,
    ),
    Check(
        id="migration.experimental-required",
        title="Annotation that needs the Experimental channel",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="An annotation whose Gateway API equivalent exists only in the Experimental channel "
        "(class `X`): external auth, retries, session persistence.",
        remediation="Install the Experimental channel CRDs where the implementation supports them, or "
        "find an implementation policy for the listed keys.",
        fn=experimental_required,
        params=PrefixParams,
    ),
    Check(
        id="migration.semantic-gap",
        title="Behaviour that Gateway API maps with differences",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="An annotation of class `N~`, or a path behaviour of ingress-nginx with no exact "
        "Gateway API match: regex paths (case-insensitive prefixes applied to every path of the "
        "host across Ingresses), ImplementationSpecific string prefixes, trailing-slash redirects, "
        "redirects that drop the query string, per-read timeouts.",
        remediation=_REMEDIATION_CLASS + "check each listed behaviour against the routes and accept "
        "or correct the difference.",
        fn=semantic_gap,
        params=PrefixParams,
    ),
    Check(
        id="migration.route-parity",
        title="Gateway API routes differ from the Ingress",
        category=Category.MIGRATION,
        severity=Severity.HIGH,
        subject=SubjectKind.INGRESS,
        condition="Gateway API routes for the Ingress's hosts are in the input, and some probe "
        "request (a rule's path, sub-path, element boundary, trailing slash, case variant, canary "
        "header, neighbouring host) gets a different Service, port, weight, rewrite or redirect from "
        "the routes than from ingress-nginx, or is routed where the Ingress would not route.",
        remediation="Correct the routes (matches, backendRefs, weights, filters) until every probe "
        "agrees; the evidence lists each probe with both answers.",
        fn=route_parity,
        params=PrefixParams,
    ),
    Check(
        id="migration.tls-parity",
        title="TLS or HTTPS redirect lost in the migration",
        category=Category.MIGRATION,
        severity=Severity.HIGH,
        subject=SubjectKind.INGRESS,
        condition="Gateway API objects for the Ingress's hosts are in the input, and a TLS host of the "
        "Ingress has no HTTPS listener with a certificateRef (or TLS passthrough listener) on their "
        "Gateways, or plain HTTP or HTTPS requests are answered differently (ssl-redirect lost).",
        remediation="Add an HTTPS listener with a certificateRef for each TLS host, and an HTTP "
        "route with a RequestRedirect to https (status 308) where ingress-nginx redirected.",
        fn=tls_parity,
        params=PrefixParams,
    ),
    Check(
        id="migration.dual-served-host",
        title="Host served by an Ingress and a route at once",
        category=Category.MIGRATION,
        severity=Severity.INFO,
        subject=SubjectKind.INGRESS,
        condition="A hostname of the Ingress is also listed by an HTTPRoute, GRPCRoute or TLSRoute; "
        "one finding per host, on the Ingress.",
        remediation="Finish the cut-over: move DNS to the Gateway, then delete the Ingress; until then "
        "keep both configurations in step.",
        fn=dual_served_host,
        params=PrefixParams,
    ),
    Check(
        id="migration.new-ingress",
        title="New Ingress while Ingresses are frozen",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="Config `migration.forbid_new_ingress: true` and the Ingress (namespace/name) is not "
        "in the baseline given with `kgov gate migration --base` (a git ref or a folder).",
        remediation="Write Gateway API routes for the new service instead of an Ingress, or waive the "
        "finding for this Ingress with a reason.",
        fn=new_ingress,
        params=PrefixParams,
        needs=frozenset({Need.BASE}),
    ),
)
