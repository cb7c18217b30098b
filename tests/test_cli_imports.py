"""What `kgov scan` imports: only what the scan and its output format use (other subcommands, other
formats and the operator are imported when asked for), within a budget of modules; `kgov version` and
`kgov --help` import almost nothing beyond click; and the subcommands are all still there."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import ROOT
from kgov.cli import LAZY_COMMANDS, main

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example/web:1}]
"""


def _bench_scan() -> Any:
    """bench/scan.py, which declares what a scan must not import (its start-up case measures the same)."""
    spec = importlib.util.spec_from_file_location("bench_scan", ROOT / "bench" / "scan.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Modules no `kgov scan -o json` needs.
OFF_THE_SCAN_PATH: tuple[str, ...] = _bench_scan().NOT_ON_SCAN_PATH
# Import budgets in modules (not time: speed is measured in bench/scan.py). `kgov version` and
# `kgov --help` add to click the CLI's declarations and some of the standard library (locale; for help,
# what click's help formatter imports: shutil for the terminal's width, which brings the compressors).
BEYOND_CLICK = {"version": 12, "--version": 12, "--help": 25}
CLI_DECLARATIONS = {
    "kgov",
    "kgov.cli",
    "kgov.commands",
    "kgov.commands.options",
    "kgov.commands.plugins",
    "kgov.findings",
    "kgov.findings.severity",
    "kgov.report",
    "kgov.report.choices",
}
# a one-file `kgov scan -o json`, everything included (orjson and kgov.report.jsontext, the JSON
# report's encoder, are 3 of them and about 0.6 ms); 327 before pydantic's plugin loader and chart
# rendering were left out, 281 before the Ingress, autoscaler and LimitRange models were
SCAN_MODULES = 279
# The pydantic validators a one-file scan of a Deployment builds: its projections (the pod template,
# its containers' resources, the workload spec). No config, check params or evidence model: they are
# constructed from their defaults.
SCAN_VALIDATORS = {"PodTemplate", "Resources", "WorkloadSpec"}
PROBE = """
import json, sys
from kgov.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
# Modules a lazy loader has registered but that nothing has used yet are not imported.
modules = sorted(name for name, m in sys.modules.items() if type(m).__name__ != "_LazyModule")
import pydantic

def subclasses(model):
    for sub in model.__subclasses__():
        yield sub
        yield from subclasses(sub)

built = [m.__name__ for m in subclasses(pydantic.BaseModel) if m.__module__.startswith("kgov.") and m.__pydantic_complete__]
print(json.dumps(sorted(built)))
print(json.dumps(modules))
"""


def _run_probe(tmp_path: Path, *arguments: str) -> tuple[list[str], list[str]]:
    """The modules imported and the kgov pydantic models whose validator was built."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    *_, built, modules = done.stdout.splitlines()
    return json.loads(modules), json.loads(built)


def _modules_after(tmp_path: Path, *arguments: str) -> list[str]:
    return _run_probe(tmp_path, *arguments)[0]


def _click_alone(tmp_path: Path) -> set[str]:
    probe = "import json, sys, click; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    return set(json.loads(done.stdout))


def _off_path(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in OFF_THE_SCAN_PATH)]


def test_a_json_scan_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    modules, built = _run_probe(tmp_path, "scan", str(manifest), "-o", "json", "--output-file", "out.json")
    assert (tmp_path / "out.json").is_file()
    assert _off_path(modules) == []
    assert len(modules) <= SCAN_MODULES, f"{len(modules)} modules"
    assert set(built) <= SCAN_VALIDATORS, built


ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""


# The model modules loaded only for a scan that holds one of their kinds (see kgov.model).
LAZY_MODELS = ("kgov.model.autoscaling", "kgov.model.gateway", "kgov.model.limits", "kgov.model.networking")


def test_the_gateway_api_and_migration_models_are_loaded_only_for_a_scan_that_needs_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "web.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "route.yaml").write_text(ROUTE, encoding="utf-8")
    without = _modules_after(tmp_path, "scan", "web.yaml", "-o", "json", "--output-file", "web.json")
    assert [m for m in LAZY_MODELS if m in without] == []
    assert [m for m in without if m.startswith("kgov.migration.")] == []
    route = _modules_after(
        tmp_path, "scan", "--complete", "route.yaml", "-o", "json", "--output-file", "route.json"
    )
    assert "kgov.model.gateway" in route
    report = json.loads((tmp_path / "route.json").read_text(encoding="utf-8"))
    assert "gateway.parent-not-found" in {f["check"] for f in report["findings"]}


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  rules: [{host: shop.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 2
"""


@pytest.mark.parametrize(
    ("manifest", "loaded", "check"),
    [
        # the migration checks read an Ingress as the Gateway API routes it would become
        (INGRESS, ["kgov.model.gateway", "kgov.model.networking"], "ingress.legacy-class-annotation"),
        (HPA, ["kgov.model.autoscaling"], "autoscaling.hpa-fixed-replicas"),
    ],
)
def test_a_kinds_models_are_loaded_for_a_scan_that_holds_it(
    tmp_path: Path, manifest: str, loaded: list[str], check: str
) -> None:
    (tmp_path / "web.yaml").write_text(MANIFEST + "---\n" + manifest, encoding="utf-8")
    modules = _modules_after(tmp_path, "scan", "web.yaml", "-o", "json", "--output-file", "web.json")
    assert [m for m in LAZY_MODELS if m in modules] == loaded
    report = json.loads((tmp_path / "web.json").read_text(encoding="utf-8"))
    assert check in {f["check"] for f in report["findings"]}


LIMIT_RANGE = """\
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits: [{type: Container, default: {cpu: 500m, memory: 256Mi}, defaultRequest: {cpu: 100m, memory: 128Mi}}]
"""


def test_a_limit_range_is_read_for_a_scan_that_holds_one(tmp_path: Path) -> None:
    """Its defaults make the Deployment's pods Burstable: the LimitRange model was defined and used."""
    (tmp_path / "web.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "both.yaml").write_text(MANIFEST + "---\n" + LIMIT_RANGE, encoding="utf-8")
    alone = _modules_after(tmp_path, "scan", "web.yaml", "-o", "json", "--output-file", "web.json")
    both = _modules_after(tmp_path, "scan", "both.yaml", "-o", "json", "--output-file", "both.json")
    assert [m for m in LAZY_MODELS if m in alone] == []
    assert [m for m in LAZY_MODELS if m in both] == ["kgov.model.limits"]
    checks = {
        name: {
            f["check"]
            for f in json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))["findings"]
        }
        for name in ("web", "both")
    }
    assert "qos.best-effort" in checks["web"]
    assert "qos.best-effort" not in checks["both"]


def test_the_operator_loads_every_lazy_model_module_at_import(tmp_path: Path) -> None:
    """The standard library's lazy loader is not thread-safe: the operator's engine, which kopf runs
    in threads, must find every model module loaded before it starts."""
    probe = (
        "import json, sys, kgov.engine\n"
        "print(json.dumps([n for n, m in sys.modules.items() if type(m).__name__ == '_LazyModule']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("arguments", [["version"], ["--help"], ["--version"]])
def test_version_and_help_import_almost_nothing(tmp_path: Path, arguments: list[str]) -> None:
    modules = set(_modules_after(tmp_path, *arguments))
    assert {m for m in modules if m == "kgov" or m.startswith("kgov.")} <= CLI_DECLARATIONS
    beyond = modules - _click_alone(tmp_path)
    assert len(beyond) <= BEYOND_CLICK[arguments[0]], sorted(beyond)


@pytest.mark.parametrize(("fmt", "module"), [("table", "kgov.report.table"), ("sarif", "kgov.report.sarif")])
def test_a_format_is_imported_when_asked_for(tmp_path: Path, fmt: str, module: str) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    modules = _modules_after(tmp_path, "scan", str(manifest), "-o", fmt, "--output-file", "out")
    assert module in modules


def test_every_subcommand_is_listed_and_runs() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["--help"])
    assert listed.exit_code == 0
    for name in ("checks", "convert", "gate", "run", "scan", "version"):
        assert f"  {name}" in listed.output
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


def test_help_lists_a_lazy_subcommand_as_importing_it_would() -> None:
    """`kgov --help` reads the lazy subcommands' docstrings from their source instead of importing them."""
    lines = CliRunner().invoke(main, ["--help"]).output.splitlines()
    limit = 80 - 6 - len("convert")  # click's, for an 80-column help and the longest name listed
    for name, (module, function) in LAZY_COMMANDS.items():
        command = getattr(importlib.import_module(module), function)
        [line] = [line for line in lines if line.startswith(f"  {name} ")]
        assert line.split(None, 1)[1] == command.get_short_help_str(limit=limit)


PLUGINS_PROBE = """
import sys
from kgov.commands.plugins import without_pydantic_plugins
without_pydantic_plugins()
from pydantic import BaseModel
class One(BaseModel):
    replicas: int
assert One.model_validate({"replicas": 2}).replicas == 2
from pydantic.plugin._loader import get_plugins
assert tuple(get_plugins()) == ()
assert "importlib.metadata" not in sys.modules
# A name the stand-in does not have (a later pydantic's) comes from the real loader.
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP
assert PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
assert "importlib.metadata" in sys.modules
print("ok")
"""


def test_the_cli_looks_for_no_pydantic_plugins(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PLUGINS_PROBE], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.stdout.strip() == "ok", done.stderr
