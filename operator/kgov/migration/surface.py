"""The annotation surface of an Ingress mapped through the annotation catalogue, and the semantic gaps
a one-to-one translation to Gateway API would hide.

Classes (catalogue `class`): `N` native, `N~` native with semantic gaps, `X` Experimental channel
only, `I` implementation-specific policy, `—` no equivalent, `?` not in the catalogue (or the
catalogue of that controller has no mapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kgov.catalogue import INGRESS_NGINX
from kgov.domain.annotations import controller_keys
from kgov.inventory.network import IngressView, Network
from kgov.migration.nginx import CATCH_ALL, NginxModel

UNKNOWN_CLASS = "?"


@dataclass(frozen=True, slots=True)
class Mapped:
    key: str
    klass: str
    equivalent: str
    note: str
    group: str = (
        ""  # the catalogue's feature group (BasicDigestAuth: auth-type, auth-realm, auth-secret, ...)
    )

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "class": self.klass, "equivalent": self.equivalent, "note": self.note}


@dataclass(frozen=True, slots=True)
class Gap:
    # annotation | regex-host | trailing-slash | rewrite-captures |
    # redirect-query
    kind: str
    subject: str  # the annotation key or the path
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail}


def annotation_surface(view: IngressView, network: Network, prefix: str) -> list[Mapped]:
    mapped = []
    for key in controller_keys(view, network, prefix):
        entry = key.entry
        if entry is None:
            owner = key.catalogue.controller if key.catalogue else "its controller"
            mapped.append(Mapped(key.key, UNKNOWN_CLASS, "", f"not a key {owner} defines"))
        elif not entry.klass:
            owner = key.catalogue.controller if key.catalogue else "its controller"
            mapped.append(
                Mapped(
                    key.key,
                    UNKNOWN_CLASS,
                    entry.gateway or "",
                    f"no Gateway API mapping in the {owner} catalogue",
                )
            )
        elif entry.is_default(view.obj.annotations.get(key.key, "")):
            # Set to what the controller does anyway: nothing to carry over, so no gap.
            note = f"set to its default ({entry.default})"
            mapped.append(Mapped(key.key, "N", entry.gateway or "", note, entry.group or ""))
        else:
            mapped.append(
                Mapped(key.key, entry.klass, entry.gateway or "", entry.notes or "", entry.group or "")
            )
    return sorted(mapped, key=lambda m: m.key)


def semantic_gaps(view: IngressView, surface: list[Mapped], model: NginxModel) -> list[Gap]:
    gaps = [Gap("annotation", m.key, m.note or m.equivalent) for m in surface if m.klass == "N~"]
    if view.controller is not None and view.controller.id != INGRESS_NGINX:
        return gaps  # the path behaviours below are ingress-nginx's
    notes = model.annotations(view)
    own_regex = any(
        model.own_regex(view, entry.path or "/")
        for rule in view.ingress.spec.rules
        for entry in (rule.http.paths if rule.http else [])
    )
    for rule in view.ingress.spec.rules:
        host = (rule.host or CATCH_ALL).lower()
        server = model.servers.get(host)
        if server is not None and server.regex and not own_regex:
            gaps.append(
                Gap(
                    "regex-host",
                    host or "(any host)",
                    "another Ingress of the host sets use-regex or rewrite-target, so every path of this "
                    "Ingress is a case-insensitive regular expression prefix too",
                )
            )
        for entry in rule.http.paths if rule.http else []:
            path = entry.path or "/"
            regex = server is not None and server.regex
            if not regex and entry.path_type != "Exact" and path != "/" and path.endswith("/"):
                gaps.append(
                    Gap(
                        "trailing-slash",
                        path,
                        f"NGINX answers {path.rstrip('/')} with a 301 to {path}; a Gateway API PathPrefix "
                        "routes it to the backend instead",
                    )
                )
    target = notes.get("rewrite-target") or ""
    if re.search(r"\$\d", target):
        gaps.append(
            Gap(
                "rewrite-captures",
                model.prefix + "rewrite-target",
                f"the target {target!r} uses capture groups of the path's regular expression; URLRewrite "
                "has no captures (an implementation filter is needed)",
            )
        )
    for key in ("permanent-redirect", "temporal-redirect"):
        if notes.get(key):
            gaps.append(
                Gap(
                    "redirect-query",
                    model.prefix + key,
                    "NGINX redirects to the literal URL and drops the request's query string; a "
                    "RequestRedirect keeps it in most implementations, and cannot add one",
                )
            )
    return _unique(gaps)


def _unique(gaps: list[Gap]) -> list[Gap]:
    return list(dict.fromkeys(gaps))
