"""Every data file has a schema it is validated against here (kgov reads the packaged files without
validating them again), its compiled JSON is the YAML, and each entry of the tables is checked against
what it describes (the Gateway API CRDs, the Signal enum, the chart)."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from conftest import ROOT, require_shared
from kgov import data
from kgov.catalogue import image_name
from kgov.config import Config
from kgov.data import (
    DataError,
    compile_yaml,
    compiled_path,
    data_file,
    data_yaml,
    schema_for,
    validated,
    yaml_sources,
)
from kgov.evidence.queries import load_templates
from kgov.model.evidence import Signal

DATA = Path(str(resources.files("kgov.data")))
FEATURES = data_yaml("gateway-features.yaml")


def test_every_data_file_has_a_schema_and_follows_it() -> None:
    sources = yaml_sources()
    assert "controllers.yaml" in sources and "annotations/ingress-nginx.yaml" in sources
    for path in [*sources, "gateway-rules.json"]:
        assert (DATA / schema_for(path)).is_file(), f"{path} has no schema"
        validated(data_file(path), schema_for(path), path)


def test_every_compiled_file_is_its_yaml() -> None:
    """kgov reads the compiled JSON: it must say exactly what the YAML says (`scripts/compile-data`)."""
    compiled = {str(p.relative_to(DATA)) for p in (DATA / "compiled").rglob("*.json")}
    assert compiled == {compiled_path(source) for source in yaml_sources()}, "run scripts/compile-data"
    for source in yaml_sources():
        written = (DATA / compiled_path(source)).read_text(encoding="utf-8")
        assert written == compile_yaml(source), f"{source}: run scripts/compile-data"
        assert data_yaml(source) == data_file(source)


def test_a_yaml_value_json_cannot_hold_is_refused_when_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A YAML timestamp would come back from JSON as a string: the compiler refuses it instead."""
    monkeypatch.setattr(data, "data_text", lambda path: "since: 2026-03-01\n")
    with pytest.raises(TypeError, match="date"):
        compile_yaml("self-images.yaml")


def test_a_malformed_catalogue_is_a_clear_error() -> None:
    table = data_file("controllers.yaml")
    table["controllers"][0]["config_model"] = "telepathy"
    with pytest.raises(DataError, match=r"controllers\.yaml: controllers/0/config_model"):
        validated(table, "controllers.schema.json", "controllers.yaml")


def test_a_misspelt_match_field_is_rejected() -> None:
    """`match: methods` silently removed the method-matching detection; the schema refuses it."""
    table = data_file("gateway-features.yaml")
    [entry] = [e for e in table["features"] if e["when"] == {"match": "method"}]
    entry["when"] = {"match": "methods"}
    with pytest.raises(DataError, match=r"gateway-features\.yaml: features/\d+/when"):
        validated(table, "gateway-features.schema.json", "gateway-features.yaml")


@pytest.mark.parametrize(
    "when",
    [{"filter": "CORS", "field": "allowOrigins"}, {"rule": "Timeouts"}, {"filter": "URLRewrite", "value": 1}],
)
def test_a_when_the_check_cannot_read_is_rejected(when: dict[str, Any]) -> None:
    table = data_file("gateway-features.yaml")
    table["features"][0]["when"] = when
    with pytest.raises(DataError, match="features/0"):
        validated(table, "gateway-features.schema.json", "gateway-features.yaml")


# ---- gateway-features.yaml against the Gateway API CRDs ----------------------------------------------


@cache
def _crd_specs(channel: str) -> dict[str, dict[str, Any]]:
    """Kind → the `spec` schema of its storage version, from the CRDs of one channel."""
    specs = {}
    for path in require_shared(f"corpus/crds/{channel}").glob("gateway.networking.k8s.io_*.yaml"):
        for crd in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if crd and crd.get("kind") == "CustomResourceDefinition":
                version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
                specs[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]["properties"][
                    "spec"
                ]
    return specs


def _crd_spec(channel: str, kind: str) -> dict[str, Any]:
    return _crd_specs(channel).get(kind, {})


def _at(schema: dict[str, Any], *path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in path:
        if node is None:
            return None
        node = node.get("items", node)
        node = (node.get("properties") or {}).get(part)
    return node


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _field_exists(spec: dict[str, Any], when: dict[str, Any]) -> bool:
    if "route" in when:
        return bool(spec)
    if "rule" in when:
        return _at(spec, "rules", *when["rule"].split(".")) is not None
    if "match" in when:
        return _at(spec, "rules", "matches", when["match"]) is not None
    if "parentRef" in when:
        return _at(spec, "parentRefs", _camel(when["parentRef"])) is not None
    filters = _at(spec, "rules", "filters") or {}
    types = (_at(filters, "type") or {}).get("enum", [])
    if when["filter"] not in types:
        return False
    settings = when["filter"][0].lower() + when["filter"][1:]
    settings = "urlRewrite" if settings == "uRLRewrite" else settings
    return "field" not in when or _at(filters, settings, when["field"]) is not None


ENTRIES = [("features", e) for e in FEATURES["features"]] + [
    ("experimental", e) for e in FEATURES["experimental"]
]


@pytest.mark.parametrize(
    ("table", "entry"), ENTRIES, ids=[f"{t}-{e['when']}-{e['kinds']}" for t, e in ENTRIES]
)
def test_each_feature_entry_names_a_real_field(table: str, entry: dict[str, Any]) -> None:
    for kind in entry["kinds"]:
        experimental = _crd_spec("gateway-api-experimental", kind)
        assert _field_exists(experimental, entry["when"]), f"{kind} has no {entry['when']}"
        if table == "experimental":
            standard = _crd_spec("gateway-api", kind)
            assert not _field_exists(standard, entry["when"]), f"{kind} {entry['when']} is in Standard"


# ---- promql.yaml -------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$(\w+)")
_BUILT_IN = {"cadvisor", "ksm", "nginx", "window"}


def test_every_signal_has_queries_and_every_placeholder_is_known() -> None:
    templates = load_templates()
    assert set(templates.signals) == set(Signal)
    known = set(templates.metrics) | _BUILT_IN
    for signal, template in templates.signals.items():
        for query in (template.value, template.samples, *template.details.values()):
            unknown = set(_PLACEHOLDER.findall(query)) - known
            assert not unknown, f"{signal.value}: unknown placeholders {unknown}"
            assert query.count("(") == query.count(")"), f"{signal.value}: unbalanced parentheses"


# ---- self-images.yaml --------------------------------------------------------------------------------


def test_the_charts_own_image_is_one_of_kube_governors_images() -> None:
    values = yaml.safe_load((ROOT / "charts" / "kube-governor" / "values.yaml").read_text(encoding="utf-8"))
    image = image_name(values["image"]["repository"])
    assert any(fnmatchcase(image, glob) for glob in data_yaml("self-images.yaml")["images"]), image


# ---- the chart's values.schema.json `config` section against the Config model ---------------------


def _paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> set[str]:
    """Every property path a JSON schema describes (`*` for map values, `[]` for list items)."""
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    found: set[str] = set()
    for variant in [node, *(v for k in ("anyOf", "oneOf", "allOf") for v in node.get(k, []))]:
        while "$ref" in variant:
            variant = defs[variant["$ref"].rsplit("/", 1)[-1]]
        for name, child in (variant.get("properties") or {}).items():
            found |= {prefix + name} | _paths(child, defs, f"{prefix}{name}.")
        if isinstance(variant.get("additionalProperties"), dict):
            found |= _paths(variant["additionalProperties"], defs, f"{prefix}*.")
        if isinstance(variant.get("items"), dict):
            found |= _paths(variant["items"], defs, f"{prefix}[].")
    return found


def test_the_chart_config_schema_describes_the_config_model() -> None:
    chart = json.loads((ROOT / "charts" / "kube-governor" / "values.schema.json").read_text(encoding="utf-8"))
    model = Config.model_json_schema()
    assert _paths(chart["properties"]["config"], {}) == _paths(model, model.get("$defs", {}))


def test_the_data_module_reads_only_its_own_folder() -> None:
    assert Path(data.__file__).parent == DATA


def test_a_misspelt_exporter_job_is_rejected_as_the_chart_rejects_it() -> None:
    """The model took any key under prometheus.labels.job, so `kube-state-metrics` was silently no job."""
    labels = {"job": {"kube-state-metrics": "ksm"}}
    with pytest.raises(ValidationError, match="kube-state-metrics"):
        Config.model_validate({"prometheus": {"url": "http://prometheus:9090", "labels": labels}})
    jobs = Config.model_validate({"prometheus": {"labels": {"job": {"kube_state_metrics": "ksm"}}}})
    assert jobs.prometheus.labels.job_for("kube_state_metrics") == "ksm"
    assert jobs.prometheus.labels.job_for("cadvisor") is None
