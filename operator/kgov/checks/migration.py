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

from kgov.checks import fields
from kgov.checks.params import PrefixParams
from kgov.checks.registry import Check, CheckContext, Issue, Need, SubjectKind
from kgov.domain.controller import controller_config_map
from kgov.findings.model import Category, Severity
from kgov.inventory.network import IngressView, RouteView
from kgov.migration.parity import Mismatch, Parity, ingress_hosts, migration_index
from kgov.migration.surface import Mapped, annotation_surface, semantic_gaps
from kgov.migration.values import ALIASES
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
            path=fields.annotation(found[0].key),
        )


def policy_required(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    found = _by_class(view, context, "I")
    if found:
        yield Issue(
            f"{view.obj.display()} uses {len(found)} annotation(s) that need an implementation-specific "
            f"policy on Gateway API ({_keys(found)})",
            _annotation_evidence(found),
            path=fields.annotation(found[0].key),
        )


def experimental_required(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    found = _by_class(view, context, "X")
    if found:
        yield Issue(
            f"{view.obj.display()} uses {len(found)} annotation(s) whose Gateway API equivalent is in "
            f"the Experimental channel only ({_keys(found)})",
            _annotation_evidence(found),
            path=fields.annotation(found[0].key),
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
            path=("metadata", "annotations") if gaps[0].kind == "annotation" else ("spec",),
        )


# Access control a Gateway API conversion loses unless a policy of the implementation replaces it.
ACCESS_CONTROL = ("auth-url", "auth-type", "allowlist-source-range", "denylist-source-range", "satisfy")


def invalid_annotation_value(view: IngressView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    notes = model.annotations(view)
    for invalid in sorted(notes.check(model.types).values(), key=lambda i: i.key):
        yield Issue(
            f"{view.obj.display()}: annotation {model.prefix}{invalid.key}: {invalid.message()}",
            {
                "key": model.prefix + invalid.key,
                "value": invalid.value,
                "type": invalid.kind,
                "effect": invalid.effect,
                "source": "spec",
            },
            discriminator=invalid.key,
        )


def order_unknown(view: IngressView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    for conflict in model.conflicts:
        if view is not conflict.kept and view is not conflict.other:
            continue
        other = conflict.other if view is conflict.kept else conflict.kept
        yield Issue(
            f"{view.obj.display()} and {other.obj.display()} both define {conflict.subject} of host "
            f"{conflict.host or '*'}: ingress-nginx keeps the older one's, and the input carries no creation "
            f"times (the gate assumed {conflict.kept.obj.display()}, the order of equal times)",
            {
                "host": conflict.host,
                "subject": conflict.subject,
                "kept": conflict.kept.obj.display(),
                "other": conflict.other.obj.display(),
                "source": "spec",
            },
            related=(other.obj.ref,),
            discriminator=f"{conflict.host}:{conflict.subject}",
        )


def nginx_config_rejected(view: IngressView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    for host in ingress_hosts(view):
        server = model.servers.get(host)
        dupes = model.duplicates(server) if server is not None else []
        if dupes:
            yield Issue(
                f"host {host or '*'} of {view.obj.display()} makes ingress-nginx write {dupes[0]} twice "
                "(Prefix /a and Prefix /a/ both become location /a/): NGINX refuses the whole configuration, "
                "so the controller keeps serving an older one and what the files say is not what runs",
                {"host": host, "duplicates": dupes, "source": "spec"},
                discriminator=host,
            )


def access_control_dropped(view: IngressView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    prefix = params.annotation_prefix
    keys = sorted(
        key[len(prefix) :]
        for key in view.obj.annotations
        if key.startswith(prefix) and ALIASES.get(key[len(prefix) :], key[len(prefix) :]) in ACCESS_CONTROL
    )
    if keys:
        yield Issue(
            f"{view.obj.display()} restricts who may reach it ({', '.join(keys)}); Gateway API routes have "
            "no such control, so a migration drops it: map it to a policy of the target implementation and "
            "name that policy in a waiver (`replacement:`)",
            {"annotations": [prefix + k for k in keys], "source": "spec"},
        )


# Controller ConfigMap keys that change what the model answers (it applies their defaults).
CONFIG_KEYS = ("ssl-redirect", "force-ssl-redirect", "http-redirect-code", "preserve-trailing-slash")


def unknown_fact(view: IngressView, context: CheckContext[Any]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    network = context.inventory.network
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    secrets = [entry.secret_name for entry in view.ingress.spec.tls if entry.secret_name]
    listed = {h.lower() for entry in view.ingress.spec.tls for h in entry.hosts}
    for host in [h for h in ingress_hosts(view) if h and h not in listed] if secrets else []:
        yield Issue(
            f"{view.obj.display()}: whether ingress-nginx terminates TLS for {host} (and redirects its plain "
            f"HTTP to HTTPS) depends on whether the certificate of Secret {', '.join(secrets)} names it "
            "(controller.go extractTLSSecretName checks the SANs of a host not listed under tls); kgov "
            "does not read Secrets: list the host under tls, or check the certificate",
            {"host": host, "secrets": secrets, "source": "spec"},
            discriminator=f"tls:{host}",
        )
    secure = [h for h in ingress_hosts(view) if (s := model.servers.get(h)) is not None and s.tls]
    if not secure:
        return
    config, evidence = controller_config_map(view, network)
    if config is None:
        yield Issue(
            f"{view.obj.display()}: the HTTPS redirect of {', '.join(secure)} follows the ingress-nginx "
            "controller ConfigMap (ssl-redirect, http-redirect-code), which is not in the input; the "
            "defaults (redirect with 308) were assumed",
            {"keys": list(CONFIG_KEYS), "source": "spec", **evidence},
            discriminator="configmap",
        )
        return
    changed = {k: config.data[k] for k in CONFIG_KEYS if k in config.data}
    if changed:
        shown = ", ".join(f"{k}: {v}" for k, v in changed.items())
        yield Issue(
            f"{view.obj.display()}: the controller ConfigMap sets {shown}, which changes the HTTPS "
            "redirect; the gate assumed the defaults (redirect with 308)",
            {"keys": changed, "source": "spec", **evidence},
            discriminator="configmap",
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
        path=("spec", "rules"),
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
                path=("spec", "rules"),
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
        id="migration.access-control-dropped",
        title="Access control lost in the migration",
        category=Category.MIGRATION,
        severity=Severity.HIGH,
        subject=SubjectKind.INGRESS,
        condition="The Ingress sets auth-url, auth-type, whitelist-source-range (allowlist-source-range), "
        "denylist-source-range or satisfy: HTTPRoutes cannot carry any of them, so the converted routes "
        "let everyone in. Only a waiver that names the replacement policy (`replacement:`) accepts it.",
        remediation="Write the equivalent policy of the target implementation (an authorization or "
        "external-auth policy) and add a waiver for this check with `replacement:` naming it.",
        fn=access_control_dropped,
        params=PrefixParams,
        waiver_needs_replacement=True,
    ),
    Check(
        id="migration.invalid-annotation-value",
        title="Annotation value ingress-nginx ignores",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="An ingress-nginx annotation of a typed value (bool, int, size, CIDR list, URL in the "
        'catalogue) whose value the controller\'s parser rejects: `ssl-redirect: "no"` is not a Go '
        "boolean, so the default (redirect) applies. Invalid redirect values make the controller drop the "
        "Ingress; invalid source ranges deny its paths (503).",
        remediation="Write the value the annotation accepts (for booleans: true or false), or remove the "
        "annotation if the default is what you want.",
        fn=invalid_annotation_value,
        params=PrefixParams,
    ),
    Check(
        id="migration.unknown-fact",
        title="What ingress-nginx does depends on something not in the input",
        category=Category.MIGRATION,
        severity=Severity.LOW,
        subject=SubjectKind.INGRESS,
        condition="A rule host is not listed under `tls` while the Ingress has TLS Secrets (the "
        "controller serves HTTPS for it when a certificate names it, which kgov cannot read), or the "
        "Ingress has TLS hosts and the controller ConfigMap (its ssl-redirect and http-redirect-code) is "
        "not in the input or sets those keys.",
        remediation="List every host under `tls`; add the controller's ConfigMap to the input (or gate "
        "with `--cluster`).",
        fn=unknown_fact,
        params=PrefixParams,
    ),
    Check(
        id="migration.order-unknown",
        title="Which Ingress wins depends on creation times the input lacks",
        category=Category.MIGRATION,
        severity=Severity.MEDIUM,
        subject=SubjectKind.INGRESS,
        condition="Two Ingresses of one class define the same host and path (or the host's default "
        "backend) differently, and at least one has no creationTimestamp (files never do): ingress-nginx "
        "keeps the older one's, so which answer the migration must preserve is not known.",
        remediation="Keep one definition (remove the other path), or gate the cluster's objects "
        "(`--cluster`), which carry creation times.",
        fn=order_unknown,
        params=PrefixParams,
    ),
    Check(
        id="migration.nginx-config-rejected",
        title="Ingresses that make NGINX refuse the configuration",
        category=Category.MIGRATION,
        severity=Severity.HIGH,
        subject=SubjectKind.INGRESS,
        condition="The locations the controller writes for a host of the Ingress include the same "
        "location twice (`Prefix /a` and `Prefix /a/` both become `location /a/`): `nginx -t` fails and "
        "the controller keeps its previous configuration, so what runs is not what the files say.",
        remediation="Keep one of the two paths.",
        fn=nginx_config_rejected,
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
