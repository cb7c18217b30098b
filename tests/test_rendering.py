"""Chart folders rendered with the real helm, kustomizations built with the real kubectl (both installed
by scripts/setup into .tools/bin); findings on lines of the repository's own files. Without the tools
the folders are skipped with a note. Also: --exclude, `exclude:` and a `.kgov.yaml` found from the
working directory up."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chart_support import helm_binary
from conftest import ROOT, unavailable
from kgov.cli import main

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": "resources:\n  requests: {memory: 64Mi}\n  limits: {memory: 1Gi}\n",
    "templates/deployment.yaml": """\
{{- range list "web" "api" }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ . }}
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/{{ . }}:1
          resources:
            {{- toYaml $.Values.resources | nindent 12 }}
{{- end }}
""",
    "templates/worker.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: worker
          image: example/worker:{{ .Chart.Version }}
""",
}


def deployment(name: str, app: str, namespace: str | None = None) -> str:
    """A Deployment (or a patch of one) whose one container `app` has the field `app`."""
    where = f"  namespace: {namespace}\n" if namespace else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{where}spec:\n  template:\n"
        f"    spec:\n      containers:\n        - name: app\n          {app}\n"
    )


BASE = {
    "kustomization.yaml": "resources: [deployment.yaml]\n",
    "deployment.yaml": deployment("web", "image: example/web:1"),
}
OVERLAY = {
    "kustomization.yaml": "namespace: shop\nresources: [../base]\npatches:\n  - path: memory.yaml\n",
    "memory.yaml": deployment("web", "resources: {requests: {memory: 64Mi}, limits: {memory: 1Gi}}"),
    # Not used by the kustomization: not deployed, not scanned.
    "unused-patch.yaml": BASE["deployment.yaml"].replace("name: web", "name: unused"),
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_scan(*args: str) -> tuple[int, str]:
    """`kgov scan ARGS`: the exit code and what it wrote."""
    result = CliRunner().invoke(main, ["scan", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def scan(*args: str) -> tuple[int, dict[str, Any]]:
    code, out = run_scan(*args, "-o", "json")
    return code, json.loads(out)


def kubectl_binary() -> Path:
    """The kubectl that scripts/setup installs, else one on PATH; skipped without it, never under CI."""
    local = ROOT / ".tools" / "bin" / "kubectl"
    found = str(local) if os.access(local, os.X_OK) else shutil.which("kubectl")
    if found is None:
        unavailable("kubectl is not installed (scripts/setup installs it into .tools/bin)")
    return Path(found)


def with_tool(monkeypatch: pytest.MonkeyPatch, binary: Path) -> None:
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}")


def without_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def line(path: str, number: int) -> str:
    return Path(path).read_text(encoding="utf-8").splitlines()[number - 1].strip()


# ---- Helm charts ----------------------------------------------------------------------------------


def test_a_chart_folder_is_rendered_and_findings_name_template_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tool(monkeypatch, helm_binary())
    write(tmp_path / "charts" / "shop", CHART)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 1 and report["errors"] == [] and report["notes"] == []
    found = {(f["check"], f["target"]["name"]): f["location"] for f in report["findings"]}
    worker = found[("qos.best-effort", "worker")]
    assert worker["file"] == "charts/shop/templates/worker.yaml"
    assert line(worker["file"], worker["line"]) == "- name: worker"
    # requests and limits come from values: the nearest key the template writes is `resources:`.
    for name in ("web", "api"):
        overcommit = found[("qos.memory-overcommit", name)]
        assert overcommit["file"] == "charts/shop/templates/deployment.yaml"
        assert line(overcommit["file"], overcommit["line"]) == "resources:"
    assert report["summary"]["not_manifests"] == 0  # Chart.yaml and values are the chart, not strays


def test_values_files_per_chart_from_config_and_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tool(monkeypatch, helm_binary())
    write(tmp_path / "charts" / "shop", CHART)
    (tmp_path / "small.yaml").write_text("resources:\n  limits: {memory: 96Mi}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert any(f["check"] == "qos.memory-overcommit" for f in scan(".")[1]["findings"])
    assert not any(
        f["check"] == "qos.memory-overcommit" for f in scan(".", "--helm-values", "small.yaml")[1]["findings"]
    )
    (tmp_path / "kgov.yaml").write_text("helm:\n  values:\n    charts/shop: [small.yaml]\n", encoding="utf-8")
    configured = scan(".", "--config", "kgov.yaml")[1]
    assert not any(f["check"] == "qos.memory-overcommit" for f in configured["findings"])


def test_a_template_given_by_name_renders_its_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the pre-commit hook passes: a changed template is not YAML on its own."""
    with_tool(monkeypatch, helm_binary())
    write(tmp_path / "charts" / "shop", CHART)
    monkeypatch.chdir(tmp_path)
    code, report = scan("charts/shop/templates/deployment.yaml", "charts/shop/values.yaml")
    assert code == 1 and report["errors"] == []
    assert {f["target"]["name"] for f in report["findings"]} == {"web", "api", "worker"}


def test_without_helm_a_chart_is_skipped_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "charts" / "shop", CHART)
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 0 and report["errors"] == [] and report["findings"] == []
    (note,) = report["notes"]
    assert note.startswith("charts/shop: a Helm chart, not rendered") and "install helm" in note


def test_a_chart_that_does_not_render_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_tool(monkeypatch, helm_binary())
    write(tmp_path / "charts" / "shop", {**CHART, "templates/broken.yaml": "{{ .Values.missing.key }}\n"})
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 0 and report["errors"] == []
    (note,) = report["notes"]
    assert "helm failed" in note and "broken.yaml" in note


# ---- kustomize ------------------------------------------------------------------------------------


def test_a_kustomization_is_built_and_patches_are_never_workloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tool(monkeypatch, kubectl_binary())
    write(tmp_path / "deploy" / "base", BASE)
    write(tmp_path / "deploy" / "prod", OVERLAY)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".", "--fail-on", "low")
    assert code == 1 and report["errors"] == [] and report["notes"] == []
    # The overlay is the root: its build has the patched Deployment, in namespace shop, once; the
    # patch files (used or not) and the base on its own are never scanned.
    targets = sorted((f["check"], f["target"]["namespace"], f["target"]["name"]) for f in report["findings"])
    assert targets == [("qos.memory-overcommit", "shop", "web"), ("qos.missing-requests", "shop", "web")]
    for finding in report["findings"]:
        assert finding["location"]["file"] == "deploy/base/deployment.yaml"  # where the object is written
        assert line(finding["location"]["file"], finding["location"]["line"]) == "- name: app"


def test_without_kustomize_a_kustomization_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "deploy" / "base", BASE)
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 0 and report["findings"] == [] and report["errors"] == []
    (note,) = report["notes"]
    assert note.startswith("deploy/base: a kustomization, not built") and "kubectl" in note


# ---- exclusion and the configuration file ---------------------------------------------------------


def test_exclude_globs_from_the_command_line_and_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"apps/web.yaml": BASE["deployment.yaml"], "vendor/x/web.yaml": BASE["deployment.yaml"]})
    monkeypatch.chdir(tmp_path)
    assert len(scan(".")[1]["findings"]) == 2
    only_apps = scan(".", "--exclude", "vendor/**")[1]["findings"]
    assert [f["location"]["file"] for f in only_apps] == ["apps/web.yaml"]
    assert scan("apps/web.yaml", "--exclude", "*.yaml")[1]["findings"] == []
    (tmp_path / "cfg.yaml").write_text("exclude: [vendor]\n", encoding="utf-8")
    assert [f["location"]["file"] for f in scan(".", "--config", "cfg.yaml")[1]["findings"]] == [
        "apps/web.yaml"
    ]


def test_a_kgov_yaml_is_found_from_the_working_directory_up_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = tmp_path / "repo"
    write(repository, {"apps/web.yaml": BASE["deployment.yaml"], ".kgov.yaml": "exclude: [apps/web.yaml]\n"})
    (repository / ".git").mkdir()
    monkeypatch.chdir(repository / "apps")
    assert scan("web.yaml")[1]["findings"] == []  # the config of the repository root applies
    # Above the repository root nothing is looked for.
    (tmp_path / ".kgov.yaml").write_text("exclude: ['*']\n", encoding="utf-8")
    (repository / ".kgov.yaml").unlink()
    assert len(scan("web.yaml")[1]["findings"]) == 1
