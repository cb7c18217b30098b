"""The migration case library: one file per case under tests/migration_cases/, each a small Ingress set
with the probes to send, what ingress-nginx answers (read from its source, the file named in the case),
and the verdict `kgov gate migration` must give the Ingresses together with `kgov convert`'s output.

For every case: the ingress-nginx model answers each probe as the case says; the converted output is
gated; a `ready` verdict requires the Gateway API model to answer every probe of the case as the nginx
model does; convert never reports "everything carried over" for output the gate would block.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.catalogue import NGINX_PREFIX
from kgov.checks.builtin import default_registry
from kgov.checks.registry import CheckSpec
from kgov.config import Config, load_config
from kgov.findings.model import Category
from kgov.inventory import Inventory
from kgov.migration.convert import convert
from kgov.migration.outcome import (
    BACKENDS,
    ERROR,
    NO_ROUTE,
    PASSTHROUGH,
    REDIRECT,
    Outcome,
    Probe,
    same_outcome,
)
from kgov.migration.parity import migration_index
from kgov.migration.readiness import readiness
from kgov.model.objects import KubeObject, object_from_dict

CASES = Path(__file__).resolve().parent / "migration_cases"
NGINX_SOURCE = "https://github.com/kubernetes/ingress-nginx/blob/controller-v1.15.1/"


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


def load_case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def ingress_object(spec: dict[str, Any]) -> dict[str, Any]:
    """An Ingress from the case's short form."""
    metadata: dict[str, Any] = {"name": spec["name"], "namespace": spec.get("namespace", "shop")}
    if "created" in spec:
        metadata["creationTimestamp"] = spec["created"]
    if spec.get("annotations"):
        metadata["annotations"] = {
            (k if "/" in k else NGINX_PREFIX + k): str(v) for k, v in spec["annotations"].items()
        }
    body: dict[str, Any] = {"ingressClassName": spec.get("class", "nginx")}
    if "default" in spec:
        body["defaultBackend"] = {"service": _service(spec["default"])}
    hosts = spec.get("hosts", {spec.get("host", "shop.example.com"): spec.get("paths", [])})
    rules = []
    for host, paths in hosts.items():
        rule: dict[str, Any] = {} if host in ("", None) else {"host": host}
        if paths is not None:
            rule["http"] = {
                "paths": [
                    {"path": p[0], "pathType": p[1], "backend": {"service": _service(p[2])}} for p in paths
                ]
            }
        rules.append(rule)
    if not spec.get("no_rules"):
        body["rules"] = rules
    if spec.get("tls") or spec.get("tls_hosts"):
        tls_hosts = spec.get("tls_hosts") or [h for h in hosts if h]
        body["tls"] = [{"hosts": tls_hosts, "secretName": f"{spec['name']}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": body}


def _service(text: str) -> dict[str, Any]:
    name, _, port = str(text).partition(":")
    return {"name": name, "port": {"number": int(port or 80)}}


def objects_of(case: dict[str, Any]) -> list[KubeObject]:
    """The case's Ingresses, with the controller ConfigMap (`config`: its data, `{}` by default;
    `null` for a case whose input lacks it)."""
    objects = [object_from_dict(ingress_object(spec)) for spec in case["ingresses"]]
    config = case.get("config", {})
    if config is not None:
        metadata = {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}
        raw = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": config}
        objects.append(object_from_dict(raw))
    return objects


def shown(outcome: Outcome) -> str:
    """An outcome in the case's notation: `svc`, `svc 95 / next 5`, `404`, `503`, `301 <location>`,
    `passthrough svc`, with `-> <path>` for a rewritten path."""
    if outcome.kind == NO_ROUTE:
        return "404"
    if outcome.kind == ERROR:
        return "503"
    if outcome.kind == REDIRECT:
        return f"{outcome.code} {outcome.location}"
    parts = [
        b.name + ("" if b.port == "80" else f":{b.port}") + ("" if share == 1 else f" {float(share * 100):g}")
        for b, share in sorted(outcome.backends, key=lambda item: -item[1])
    ]
    text = " / ".join(parts)
    if outcome.kind == PASSTHROUGH:
        text = f"passthrough {text}"
    if outcome.kind == BACKENDS and outcome.path is not None:
        text += f" -> {outcome.path}"
    return text


def parse_probe(text: str) -> Probe:
    """`http://host/path [header: value]`."""
    target, _, header = text.partition(" [")
    scheme, _, rest = target.partition("://")
    host, slash, path = rest.partition("/")
    headers: tuple[tuple[str, str], ...] = ()
    if header:
        name, _, value = header.rstrip("]").partition(": ")
        headers = ((name.lower(), value),)
    return Probe(scheme, host, slash + path, headers)


@cache
def _gate() -> tuple[Config, dict[str, Any], list[CheckSpec]]:
    registry = default_registry()
    config = load_config(None)
    migration = [
        s.id for s in registry if s.category is Category.MIGRATION and s.id != "migration.new-ingress"
    ]
    return config, resolve_params(registry, config), select_checks(registry, config, migration)


def gate_verdict(inventory: Inventory) -> dict[str, str]:
    """The verdict `kgov gate migration` gives each Ingress (its checks, config defaults)."""
    config, params, checks = _gate()
    evaluation = evaluate(inventory, checks, config, params, Capabilities())
    result = readiness(inventory, inventory.network.ingresses, evaluation.findings, NGINX_PREFIX)
    return {i.view.obj.name: i.verdict for i in result.ingresses}


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    case = load_case(path)
    assert case.get("source", "").split(" ")[0], f"{path.name}: no ingress-nginx source file cited"
    objects = objects_of(case)
    inventory = Inventory(objects)
    index = migration_index(inventory)
    views = {v.obj.name: v for v in inventory.network.ingresses}
    model = index.model_for(next(iter(views.values())))
    for probe_text, expected in (case.get("probes") or {}).items():
        answer = shown(model.route(parse_probe(probe_text)))
        assert answer == str(expected), f"{path.name}: {probe_text}: nginx model gives {answer}"
    conversion = convert(inventory)
    combined = Inventory([*objects, *(object_from_dict(g.obj) for g in conversion.objects)])
    verdicts = gate_verdict(combined)
    expected_verdict = case["verdict"]
    if isinstance(expected_verdict, str):
        expected_verdict = dict.fromkeys(verdicts, expected_verdict)
    assert verdicts == expected_verdict, f"{path.name}: {verdicts}"
    gated = migration_index(combined)
    for view in combined.network.ingresses:
        if verdicts[view.obj.name] != "ready":
            continue
        nginx, planes = gated.model_for(view), gated.gateways.planes
        for probe_text in case.get("probes") or {}:
            probe = parse_probe(probe_text)
            ours, theirs = nginx.route(probe), gated.route(planes, probe)
            assert same_outcome(ours, theirs, probe.path), (
                f"{path.name}: ready, but {probe_text}: ingress-nginx {shown(ours)}, routes {shown(theirs)}"
            )
    if not conversion.blocked:
        assert "blocked" not in verdicts.values(), (
            f"{path.name}: convert carried everything over, gate blocks"
        )


def test_library_is_large_enough() -> None:
    assert len(case_files()) >= 100
