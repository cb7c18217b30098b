"""Chart folders rendered with the real helm, kustomizations built with the real kubectl (both installed
by scripts/setup into .tools/bin); findings on lines of the repository's own files. Without helm a chart
folder is skipped with a note; a kustomization that cannot be built is read as its files are, with a
note. Also: --exclude, `exclude:` and a `.kgov.yaml` found from the
working directory up."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
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


Tools = Callable[[Path], None]


@pytest.fixture
def with_tool(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Tools:
    """Make PATH a folder that holds the given binary and nothing else: kgov builds a kustomization with a
    standalone kustomize before kubectl, and .tools/bin holds helm and kubectl together, so whatever else
    the machine has on PATH must not decide what a test runs."""

    def only(binary: Path) -> None:
        folder = tmp_path_factory.mktemp("tools")
        (folder / binary.name).symlink_to(binary.resolve())
        monkeypatch.setenv("PATH", str(folder))

    return only


def without_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def line(path: str, number: int) -> str:
    return Path(path).read_text(encoding="utf-8").splitlines()[number - 1].strip()


# ---- Helm charts ----------------------------------------------------------------------------------


def test_a_chart_folder_is_rendered_and_findings_name_template_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    with_tool(helm_binary())
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    with_tool(helm_binary())
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


def test_a_template_given_by_name_renders_its_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    """What the pre-commit hook passes: a changed template is not YAML on its own."""
    with_tool(helm_binary())
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


def test_a_chart_that_does_not_render_is_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    with_tool(helm_binary())
    write(tmp_path / "charts" / "shop", {**CHART, "templates/broken.yaml": "{{ .Values.missing.key }}\n"})
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 0 and report["errors"] == []
    (note,) = report["notes"]
    assert "helm failed" in note and "broken.yaml" in note


# ---- kustomize ------------------------------------------------------------------------------------


def test_a_kustomization_is_built_and_patches_are_never_workloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    with_tool(kubectl_binary())
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


def test_a_kustomize_elsewhere_on_path_is_not_the_tool_under_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    """A standalone kustomize on the machine would build before kubectl: the test's PATH holds only the
    kubectl it asks for, so this one (which fails every build) is never run."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kustomize").write_text("#!/bin/sh\necho not the tool under test >&2\nexit 1\n")
    (elsewhere / "kustomize").chmod(0o755)
    monkeypatch.setenv("PATH", f"{elsewhere}{os.pathsep}{os.environ.get('PATH', '')}")
    with_tool(kubectl_binary())
    assert shutil.which("kustomize") is None and shutil.which("helm") is None
    write(tmp_path / "deploy", BASE)
    monkeypatch.chdir(tmp_path / "deploy")
    _, report = scan(".")
    assert report["notes"] == []  # built, by kubectl


def test_without_kustomize_the_listed_files_are_read_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "deploy" / "base", {**BASE, "unlisted.yaml": deployment("old", "image: example/old:1")})
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 1 and report["errors"] == []
    (note,) = report["notes"]
    assert note.startswith("deploy/base: a kustomization, not built") and "kubectl" in note
    assert "read as they are in the files, without its transformations" in note
    # Nothing in the kustomization can change the Deployment: its finding stands, marked as read unbuilt;
    # a file the kustomization does not list is not deployed, so not read.
    (finding,) = report["findings"]
    assert (finding["check"], finding["target"]["name"]) == ("qos.best-effort", "web")
    assert (
        finding["evidence"]["unbuilt"]
        == "read as it is in the file: deploy/base/kustomization.yaml was not built"
    )
    assert finding["location"]["file"] == "deploy/base/deployment.yaml"


UNBUILDABLE = {
    "kustomization.yaml": (
        "namespace: shop\n"
        "resources: [web.yaml, api.yaml, cache.yaml, ../shared]\n"
        "patches:\n  - path: cache-memory.yaml\n"
        "configMapGenerator:\n  - name: settings\n    files: [settings.conf]\n"  # not in the folder
    ),
    "web.yaml": deployment("web", "image: example/web:1", namespace="shop"),
    "api.yaml": deployment("api", "image: example/api:1"),  # kustomize moves it to namespace shop
    "cache.yaml": deployment("cache", "image: example/cache:1", namespace="shop"),
    "cache-memory.yaml": deployment("cache", "resources: {limits: {memory: 1Gi}}"),
}
SHARED_BASE = {
    "kustomization.yaml": "resources: [worker.yaml]\nimages:\n  - name: example/worker\n    newTag: '2'\n",
    "worker.yaml": deployment("worker", "image: example/worker:1", namespace="shop")
    + "---\n"
    + deployment("batch", "image: example/batch:1", namespace="shop"),
}


def test_a_kustomization_that_fails_to_build_is_read_without_its_transformations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_tool: Tools
) -> None:
    with_tool(kubectl_binary())
    write(tmp_path / "deploy" / "prod", UNBUILDABLE)
    write(tmp_path / "deploy" / "shared", SHARED_BASE)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 1 and report["errors"] == []
    (note,) = report["notes"]
    assert note.startswith("deploy/prod: a kustomization, not built: kubectl failed: ")
    assert "settings.conf" in note  # the included folder's own error, not kustomize's wrapper around it
    assert "5 object(s), findings on the 3 a transformation may change are skipped" in note
    assert "not read: configMapGenerator of deploy/prod/kustomization.yaml" in note
    # web and batch: nothing can change them; api: the namespace; cache: the patch; worker: `images`
    # of the folder it includes.
    assert sorted(f["target"]["name"] for f in report["findings"]) == ["batch", "web"]
    held = {s["target"]["name"]: s["reason"] for s in report["skipped"] if s.get("target")}
    unbuilt = "read as it is in deploy/prod/"
    failed = "deploy/prod/kustomization.yaml was not built, and these of its transformations may change this object:"
    assert held == {
        "api": f"{unbuilt}api.yaml: {failed} namespace shop",
        "cache": f"{unbuilt}cache.yaml: {failed} patches",
        "worker": "read as it is in deploy/shared/worker.yaml: deploy/prod/kustomization.yaml was not built, and "
        "these of its transformations may change this object: images (deploy/shared/kustomization.yaml)",
    }


def test_an_overlay_read_unbuilt_holds_back_what_its_patches_and_namespace_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "deploy" / "base", BASE)
    write(tmp_path / "deploy" / "prod", OVERLAY)
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, report = scan(".")
    assert code == 0 and report["findings"] == [] and report["errors"] == []
    (held,) = [s for s in report["skipped"] if s.get("target")]
    assert held["check"] == "qos.best-effort" and held["target"]["name"] == "web"
    assert held["reason"] == (
        "read as it is in deploy/base/deployment.yaml: deploy/prod/kustomization.yaml was not built, and these of "
        "its transformations may change this object: namespace shop, patches"
    )


def test_a_dotted_name_read_unbuilt_is_no_pattern_that_matches_every_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A strategic-merge patch names its object literally, and a `target:` name is a regular expression
    kustomize anchors (`^(?:name)$`): neither makes the dot of web.v1 a wildcard for every object."""
    overlay = {
        "kustomization.yaml": (
            "resources: [web.yaml, api.yaml]\n"
            "patches:\n  - path: web-memory.yaml\n"
            "  - target: {kind: Deployment, name: web.v1}\n    patch: '[]'\n"
        ),
        "web.yaml": deployment("web.v1", "image: example/web:1", namespace="shop"),
        "api.yaml": deployment("api", "image: example/api:1", namespace="shop"),
        "web-memory.yaml": deployment("web.v1", "resources: {limits: {memory: 1Gi}}"),
    }
    write(tmp_path / "deploy", overlay)
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    _, report = scan(".")
    assert [f["target"]["name"] for f in report["findings"]] == ["api"]
    assert [s["target"]["name"] for s in report["skipped"] if s.get("target")] == ["web.v1"]


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
