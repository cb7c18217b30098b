"""kgov convert against ingress2gateway's own fixture pairs (../shared/corpus/manifests/ingress2gateway*).

Each pair's verdict is recorded in tests/data/i2gw_expectations.yaml: agree, differs-on-purpose or
not-supported (with the aspects that differ and why), or not-applicable (not an Ingress conversion).
A verdict that no longer holds fails, whichever way it changed.

The comparison is semantic, per aspect (hostnames, matches, backends and weights, filters, timeouts,
listener attachment, listeners, TLS, backend TLS), names, namespaces and ordering aside. Only
`gateway.networking.k8s.io` objects are compared: the implementation-specific objects some of the
peer's emitters add (kgateway, agentgateway) have no Standard-channel counterpart.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import require_shared
from kgov.inventory import Inventory
from kgov.migration.convert import convert
from kgov.sources.files import read_source

pytestmark = pytest.mark.corpus

GROUP = "gateway.networking.k8s.io/"
ASPECTS = (
    "hosts",
    "matches",
    "backends",
    "filters",
    "timeouts",
    "attachment",
    "listeners",
    "tls",
    "backend-tls",
)
Facts = dict[str, set[str]]
FILTER_FIELDS = {
    "RequestHeaderModifier": "requestHeaderModifier",
    "ResponseHeaderModifier": "responseHeaderModifier",
    "RequestRedirect": "requestRedirect",
    "URLRewrite": "urlRewrite",
    "RequestMirror": "requestMirror",
    "CORS": "cors",
    "ExtensionRef": "extensionRef",
}


def pairs(root: Path) -> list[tuple[str, Path, Path]]:
    """(pair id, input file, expected output file) for every ingress2gateway fixture pair."""
    found = []
    for folder in sorted(root.glob("ingress2gateway*")):
        for expected in sorted(folder.rglob("*")):
            if not expected.is_file() or ("output" not in expected.parts and "out" not in expected.parts):
                continue
            source = _input_for(expected)
            if source is not None:
                found.append((str(expected.relative_to(root)), source, expected))
    return found


def _input_for(expected: Path) -> Path | None:
    parts = list(expected.parts)
    marker = "output" if "output" in parts else "out"
    index = len(parts) - 1 - parts[::-1].index(marker)
    parts[index] = "input" if marker == "output" else "in"
    name = expected.name
    if marker == "out":
        if not name.endswith(".all.yaml"):
            return None  # the other out/ files split the same expectation by kind or as JSON
        name = name.removesuffix(".all.yaml") + ".yaml"
    candidate = Path(*parts[:-1]) / name
    return candidate if candidate.is_file() else None


def load(path: Path) -> list[dict[str, Any]] | None:
    """The expected objects; None when the file is not YAML (some fixtures hold console logs)."""
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError:
        return None
    objects: list[dict[str, Any]] = []
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        if "apiVersion" in doc:
            objects.extend(doc.get("items", []) if doc.get("kind") == "List" else [doc])
        else:  # the oldest fixtures wrap their output in lists by kind
            objects.extend(o for v in doc.values() if isinstance(v, list) for o in v if isinstance(o, dict))
    return objects


def kgov_output(path: Path) -> list[dict[str, Any]]:
    loaded = read_source(path)
    return [g.obj for g in convert(Inventory(loaded.objects)).objects]


def has_ingress(path: Path) -> bool:
    return any(o.kind == "Ingress" for o in read_source(path).objects)


def summarize(objects: list[dict[str, Any]]) -> Facts:
    facts: Facts = {aspect: set() for aspect in ASPECTS}
    standard = [o for o in objects if str(o.get("apiVersion", "")).startswith(GROUP)]
    gateways = {str(o["metadata"]["name"]): o for o in standard if o["kind"] == "Gateway"}
    for obj in standard:
        spec = obj.get("spec") or {}
        if obj["kind"] == "Gateway":
            _listeners(spec, facts)
        elif obj["kind"] in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
            _route(obj["kind"], spec, gateways, facts)
        elif obj["kind"] == "BackendTLSPolicy":
            validation = spec.get("validation") or {}
            for target in spec.get("targetRefs") or []:
                facts["backend-tls"].add(
                    _key(target.get("name"), validation.get("hostname"), _ca(validation))
                )
    return facts


def _listeners(spec: dict[str, Any], facts: Facts) -> None:
    for listener in spec.get("listeners") or []:
        facts["listeners"].add(
            _key(listener.get("protocol"), listener.get("port"), listener.get("hostname") or "*")
        )
        tls = listener.get("tls")
        if tls:
            certs = sorted(str(r.get("name")) for r in tls.get("certificateRefs") or [])
            facts["tls"].add(_key(listener.get("hostname") or "*", tls.get("mode", "Terminate"), certs))


def _route(kind: str, spec: dict[str, Any], gateways: dict[str, Any], facts: Facts) -> None:
    hosts = spec.get("hostnames") or ["*"]
    for host in hosts:
        facts["hosts"].add(_key(kind, host))
        attached = _attachment(spec, host, gateways)
        for rule in spec.get("rules") or []:
            backends = _backends(rule.get("backendRefs") or [])
            filters = _filters(rule.get("filters") or [])
            for match in rule.get("matches") or [{}]:
                where = (kind, host, _match(kind, match))
                facts["matches"].add(_key(*where))
                facts["backends"].add(_key(*where, backends))
                facts["filters"].add(_key(*where, filters))
                facts["timeouts"].add(_key(*where, rule.get("timeouts")))
                facts["attachment"].add(_key(*where, attached))


def _attachment(spec: dict[str, Any], host: str, gateways: dict[str, Any]) -> list[str]:
    """The listener protocols a route serves this hostname on."""
    protocols = set()
    for ref in spec.get("parentRefs") or []:
        gateway = gateways.get(str(ref.get("name")))
        listeners = (gateway.get("spec") or {}).get("listeners") or [] if gateway else []
        for listener in listeners:
            if ref.get("sectionName") not in (None, listener.get("name")):
                continue
            if ref.get("port") not in (None, listener.get("port")):
                continue
            if _host_matches(listener.get("hostname"), host):
                protocols.add(str(listener.get("protocol")))
    return sorted(protocols)


def _host_matches(listener: str | None, host: str) -> bool:
    if listener is None or host == "*" or listener == host:
        return True
    return listener.startswith("*.") and host.endswith(listener[1:])


def _match(kind: str, match: dict[str, Any]) -> Any:
    normal = dict(match)
    if kind == "HTTPRoute":
        path = normal.get("path") or {"type": "PathPrefix", "value": "/"}
        normal["path"] = {"type": path.get("type", "PathPrefix"), "value": path.get("value", "/")}
    if "headers" in normal:
        normal["headers"] = sorted(
            ({"type": "Exact", **h, "name": str(h.get("name", "")).lower()} for h in normal["headers"]),
            key=lambda h: json.dumps(h, sort_keys=True),
        )
    if "method" in normal:
        normal["method"] = {"type": "Exact", **normal["method"]}
    return normal


def _backends(refs: list[dict[str, Any]]) -> list[Any]:
    weights = [int(r.get("weight", 1)) for r in refs]
    total = sum(weights)
    return sorted(
        [str(r.get("name")), r.get("port"), str(Fraction(w, total)) if total else "0"]
        for r, w in zip(refs, weights, strict=True)
        if w > 0
    )


def _filters(filters: list[dict[str, Any]]) -> list[Any]:
    """Filters as sets of effects; a Host header set equals a URLRewrite hostname."""
    effects: list[Any] = []
    for flt in filters:
        kind = str(flt.get("type"))
        body = dict(flt.get(FILTER_FIELDS.get(kind, kind)) or {})
        if kind == "RequestHeaderModifier":
            for header in body.get("set") or []:
                if str(header.get("name")).lower() == "host":
                    effects.append(["rewrite-host", header.get("value")])
                else:
                    effects.append(
                        ["set-request-header", str(header.get("name")).lower(), header.get("value")]
                    )
            for verb in ("add", "remove"):
                effects.extend([f"{verb}-request-header", h] for h in body.get(verb) or [])
        elif kind == "URLRewrite":
            if "hostname" in body:
                effects.append(["rewrite-host", body["hostname"]])
            if "path" in body:
                effects.append(["rewrite-path", body["path"]])
        elif kind == "RequestRedirect":
            body.setdefault("statusCode", 302)
            effects.append(["redirect", body])
        elif kind == "CORS":
            cors = {k: sorted(v) if isinstance(v, list) else v for k, v in body.items()}
            effects.append(["cors", cors])
        else:
            effects.append([kind, body])
    return sorted(effects, key=lambda e: json.dumps(e, sort_keys=True))


def _ca(validation: dict[str, Any]) -> Any:
    refs = validation.get("caCertificateRefs")
    if refs:
        return sorted(str(r.get("name")) for r in refs)
    return validation.get("wellKnownCACertificates")


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=str)


def differing(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    want, got = summarize(expected), summarize(actual)
    return [aspect for aspect in ASPECTS if want[aspect] != got[aspect]]


def explain(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    want, got = summarize(expected), summarize(actual)
    return {
        aspect: {
            "only_expected": sorted(want[aspect] - got[aspect]),
            "only_kgov": sorted(got[aspect] - want[aspect]),
        }
        for aspect in ASPECTS
        if want[aspect] != got[aspect]
    }


# ---- the recorded verdicts ---------------------------------------------------------------------


EXPECTATIONS = Path(__file__).parent / "data" / "i2gw_expectations.yaml"
VERDICTS = {"agree", "differs-on-purpose", "not-supported", "not-applicable"}


def recorded() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))
    return dict(data["pairs"])


def test_every_pair_is_recorded() -> None:
    found = {pair for pair, _, _ in pairs(require_shared("corpus/manifests"))}
    assert found == set(recorded())
    assert len(found) > 60


def test_records_are_well_formed() -> None:
    for pair, entry in recorded().items():
        assert entry["verdict"] in VERDICTS, pair
        assert (entry["verdict"] == "agree") == ("reason" not in entry), pair


@pytest.mark.parametrize("pair", sorted(recorded()))
def test_recorded_verdict_holds(pair: str) -> None:
    root = require_shared("corpus/manifests")
    entry = recorded()[pair]
    source = next((s for p, s, _ in pairs(root) if p == pair), None)
    assert source is not None, f"{pair} is no longer in the corpus"
    expected = load(root / pair)
    if expected is None or not has_ingress(source):
        assert entry["verdict"] == "not-applicable"
        assert "aspects" not in entry
        return
    aspects = differing(expected, kgov_output(source))
    if entry["verdict"] == "agree":
        assert aspects == [], explain(expected, kgov_output(source))
    else:
        assert aspects == entry.get("aspects"), explain(expected, kgov_output(source))


def test_comparison_sees_differences() -> None:
    """The summary is not blind: a changed weight, filter or listener is a difference."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {
            "hostnames": ["a.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"name": "a", "port": 80, "weight": 1},
                        {"name": "b", "port": 80, "weight": 1},
                    ],
                }
            ],
        },
    }
    same = yaml.safe_load(yaml.safe_dump(route))
    same["spec"]["rules"][0]["backendRefs"] = [
        {"name": "b", "port": 80, "weight": 5},
        {"name": "a", "port": 80, "weight": 5},
    ]
    assert differing([route], [same]) == []
    other = yaml.safe_load(yaml.safe_dump(route))
    other["spec"]["rules"][0]["backendRefs"][0]["weight"] = 3
    other["spec"]["rules"][0]["filters"] = [{"type": "URLRewrite", "urlRewrite": {"hostname": "x"}}]
    assert differing([route], [other]) == ["backends", "filters"]
    host_header = yaml.safe_load(yaml.safe_dump(other))
    host_header["spec"]["rules"][0]["filters"] = [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "Host", "value": "x"}]}}
    ]
    assert differing([other], [host_header]) == []
