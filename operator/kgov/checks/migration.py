"""Migration checks (`category: migration`): how ready an Ingress is to move to Gateway API, and whether
the Gateway API objects beside it route the same requests the same way.

They run under `kgov scan`, in the operator and in `kgov gate migration`; `migration.new-ingress`
needs a baseline and runs only in the gate with `--base`. Facts: reference
ingress-nginx-annotations.md §5, gateway-api-semantics.md; the annotation catalogue's `class` column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from kgov.checks import fields
from kgov.checks.params import PrefixParams
from kgov.checks.registry import CheckContext, CheckFunction, Issue, Undecided
from kgov.domain.controller import controller_config_map
from kgov.inventory.network import IngressView, RouteView
from kgov.migration.parity import Mismatch, Parity, ingress_hosts, migration_index
from kgov.migration.surface import Mapped, annotation_surface, semantic_gaps
from kgov.migration.values import ALIASES
from kgov.model.evidence import EvidenceSource

MAX_LISTED = 20  # mismatches carried in a finding's evidence
_GATEWAY_UNKNOWN = Undecided(
    "Ingress whose TLS and HTTPS redirect are decided by a Gateway not in the input",
    "Ingresses whose TLS and HTTPS redirect are decided by Gateways not in the input",
)

CheckFn = Callable[[IngressView, CheckContext[PrefixParams]], Iterator[Issue]]


def surface(view: IngressView, context: CheckContext[Any]) -> list[Mapped]:
    params: PrefixParams = context.params
    return annotation_surface(view, context.inventory.network, params.annotation_prefix)


def _keys(mapped: list[Mapped]) -> str:
    return ", ".join(m.key.rsplit("/", 1)[-1] for m in mapped)


def _annotation_evidence(mapped: list[Mapped]) -> dict[str, Any]:
    return {
        "annotations": [{"key": m.key, "gatewayAPI": m.equivalent, "note": m.note} for m in mapped],
        "source": EvidenceSource.SPEC,
    }


def annotations_of_class(klass: str, what: str) -> CheckFn:
    """The check of one class of the annotation catalogue (`—` no equivalent, `I` a policy of the
    implementation, `X` the Experimental channel): the Ingress's annotations of that class, with
    `what` saying what that means (`{keys}` is replaced by their names)."""

    def check(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
        mapped = surface(view, context)
        # One annotation, one finding: access control (and the keys of its feature) is
        # migration.access-control-dropped's.
        dropped = _access_controlled(view, context, mapped)
        found = [m for m in mapped if m.klass == klass and m.key not in dropped]
        if found:
            yield Issue(
                f"{view.obj.display()} uses {len(found)} annotation(s) {what.format(keys=_keys(found))}",
                _annotation_evidence(found),
                path=fields.annotation(found[0].key),
            )

    return check


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


def invalid_annotation_value(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
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


def order_unknown(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    model = migration_index(context.inventory, params.annotation_prefix).model_for(view)
    for conflict in model.conflicts:
        # One finding per conflict, on the Ingress the gate takes for the newer (a scan folds it into
        # ingress.conflicting-paths' finding on the same conflict: kgov.migration.conflicts); two copies
        # of one object are scope.conflicting-copies' business.
        if view is not conflict.other or conflict.kept.obj.key == view.obj.key:
            continue
        other = conflict.kept
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


def nginx_config_rejected(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
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


def _access_keys(view: IngressView, prefix: str) -> list[str]:
    """The access-control annotations of the Ingress, without the prefix."""
    return sorted(
        key[len(prefix) :]
        for key in view.obj.annotations
        if key.startswith(prefix) and ALIASES.get(key[len(prefix) :], key[len(prefix) :]) in ACCESS_CONTROL
    )


def _access_controlled(
    view: IngressView, context: CheckContext[PrefixParams], mapped: list[Mapped]
) -> set[str]:
    """The annotation keys migration.access-control-dropped reports: the access-control ones and the keys
    of their catalogue group (auth-realm and auth-secret configure auth-type)."""
    prefix = context.params.annotation_prefix
    keys = {prefix + key for key in _access_keys(view, prefix)}
    groups = {m.group for m in mapped if m.key in keys and m.group}
    return keys | {m.key for m in mapped if m.group in groups}


def access_control_dropped(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    params: PrefixParams = context.params
    prefix = params.annotation_prefix
    keys = _access_keys(view, prefix)
    if keys:
        covered = _access_controlled(view, context, surface(view, context)) - {prefix + k for k in keys}
        configuring = sorted(k.removeprefix(prefix) for k in covered)
        also = f"; with {', '.join(configuring)}" if configuring else ""
        evidence: dict[str, Any] = {"annotations": [prefix + k for k in keys], "source": "spec"}
        if configuring:
            evidence["configuring"] = sorted(covered)
        yield Issue(
            f"{view.obj.display()} restricts who may reach it ({', '.join(keys)}{also}); Gateway API routes "
            "have no such control, so a migration drops it: map it to a policy of the target implementation "
            "and name that policy in a waiver (`replacement:`)",
            evidence,
        )


# Controller ConfigMap keys that change what the model answers (it applies their defaults).
CONFIG_KEYS = ("ssl-redirect", "force-ssl-redirect", "http-redirect-code", "preserve-trailing-slash")


def unknown_fact(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
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


def parity_mismatches(of: Callable[[Parity], list[Mismatch]], what: str) -> CheckFn:
    """The check of one kind of parity mismatch (`of` picks them from the Ingress's parity), `what`
    saying how the two sides differ."""

    def check(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
        parity = parity_of(view, context)
        found = of(parity)
        if found:
            yield _mismatch_issue(view, parity, found, what)

    return check


def tls_parity(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue | Undecided]:
    """TLS mismatches on Gateways of the input; what only an assumed Gateway answers (its listeners'
    certificates, plain HTTP, which a redirect route beside it usually takes) is undecided."""
    parity = parity_of(view, context)
    if parity.tls_mismatches:
        yield _mismatch_issue(view, parity, parity.tls_mismatches, "differ on TLS or the HTTPS redirect")
    if parity.unknown:
        yield _GATEWAY_UNKNOWN


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


def new_ingress(view: IngressView, context: CheckContext[PrefixParams]) -> Iterator[Issue]:
    baseline = context.facts.baseline
    if baseline is None or baseline.has_ingress(view.obj.namespace, view.obj.name):
        return
    yield Issue(
        f"{view.obj.display()} is new relative to the base, and policy forbids new Ingresses: "
        "write Gateway API routes instead",
        {"policy": "migration.forbid_new_ingress", "source": EvidenceSource.SPEC},
    )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "migration.untranslatable-annotation": annotations_of_class(
        "—",
        "with no Gateway API equivalent ({keys}): the behaviour must be redesigned or dropped before migrating",
    ),
    "migration.policy-required": annotations_of_class(
        "I", "that need an implementation-specific policy on Gateway API ({keys})"
    ),
    "migration.experimental-required": annotations_of_class(
        "X", "whose Gateway API equivalent is in the Experimental channel only ({keys})"
    ),
    "migration.semantic-gap": semantic_gap,
    "migration.route-parity": parity_mismatches(lambda parity: parity.route_mismatches, "route differently"),
    "migration.tls-parity": tls_parity,
    "migration.access-control-dropped": access_control_dropped,
    "migration.invalid-annotation-value": invalid_annotation_value,
    "migration.unknown-fact": unknown_fact,
    "migration.order-unknown": order_unknown,
    "migration.nginx-config-rejected": nginx_config_rejected,
    "migration.dual-served-host": dual_served_host,
    "migration.new-ingress": new_ingress,
}
