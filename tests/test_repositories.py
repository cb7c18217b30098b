"""`kgov scan` on repositories as they are: Helm values, chart metadata, kustomization files, CI
workflows and kustomize patches beside the manifests are set aside and counted, never input errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from kgov.sources.discovery import plan_inputs
from test_rendering import deployment, run_scan, without_tools, write
from test_rendering import scan as scan_json

PATCH = deployment("web", "env: [{name: MODE, value: prod}]")
# Every file a repository holds besides its manifests, each known by name or by shape.
NOT_MANIFESTS = {
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks: []\n",
    ".github/workflows/ci.yaml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "chart/values.yaml": "replicaCount: 1\nkind: DaemonSet\n",
    "chart/values-prod.yaml": "replicaCount: 3\n",
    "deploy/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [web.yaml]\npatches:\n  - path: patch-web.yaml\n"
        "patchesStrategicMerge:\n  - patches/replicas.yaml\n"
    ),
    "deploy/patch-web.yaml": PATCH,
    "deploy/patches/replicas.yaml": PATCH,
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
    "api/openapi.yaml": "openapi: 3.0.0\ninfo: {title: shop, version: '1'}\npaths: {}\n",
    "ansible/tasks.yaml": "- name: deploy\n  shell: kubectl apply -f deploy\n",
    # Not valid YAML at all: set aside by name before it is read.
    ".github/dependabot.yml": "version: 2\nupdates: {{ template }}: [\n",
}
MANIFESTS = {
    f"{folder}/{name}.yaml": deployment(name, "image: example/app:1", namespace="shop")
    for folder, name in (("deploy", "web"), ("apps", "api"))
}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    write(tmp_path, {**NOT_MANIFESTS, **MANIFESTS})
    return tmp_path


# Files a folder scan counts: hidden ones are not walked (the pre-commit hook passes them by name,
# below), and the kustomization folder is built by kustomize, not read file by file.
WALKED = [n for n in NOT_MANIFESTS if not n.startswith((".", "deploy/"))]


def test_a_repository_root_scans_its_manifests_and_counts_the_rest(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(repository)
    code, report = scan_json(".")
    assert code == 1, report["errors"]
    assert report["errors"] == []
    targets = {(f["target"]["name"], f["location"]["file"]) for f in report["findings"]}
    assert targets == {("api", "apps/api.yaml")}
    assert report["summary"]["not_manifests"] == len(WALKED)
    # Without kubectl the kustomization's listed file is read as it is; its patches may change the
    # Deployment, so the finding on it is held back rather than guessed.
    assert report["summary"]["objects"] == 2
    assert [n.split(":")[0] for n in report["notes"]] == ["deploy"]
    held = [(s["check"], s["target"]["name"]) for s in report["skipped"] if s.get("target")]
    assert held == [("qos.best-effort", "web")]


def test_the_pre_commit_hook_passes_on_such_a_repository(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pre-commit runs: the hook's entry with every staged file its `files` pattern matches."""
    (hook,) = [
        h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "kgov-scan"
    ]
    assert hook["entry"] == "kgov scan"
    monkeypatch.chdir(repository)
    staged = sorted(p.relative_to(repository).as_posix() for p in repository.rglob("*") if p.is_file())
    files = [f for f in staged if re.search(hook["files"], f)]
    assert ".github/workflows/ci.yaml" in files and "deploy/patch-web.yaml" in files
    code, report = scan_json(*files)
    assert report["errors"] == []
    assert code == 1  # the two BestEffort Deployments: findings, not a failed run
    assert report["summary"]["not_manifests"] == len(NOT_MANIFESTS)
    assert {f["target"]["name"] for f in report["findings"]} == {"web", "api"}
    assert run_scan(*files, "--fail-on", "critical")[0] == 0


def test_kustomize_patches_are_never_scanned_as_objects(repository: Path) -> None:
    plan = plan_inputs([str(repository)])
    read = {Path(f).relative_to(repository).as_posix() for f in plan.files if isinstance(f, Path)}
    assert read == {"apps/api.yaml", "ansible/tasks.yaml", "api/openapi.yaml"}
    assert plan.kustomizations == [repository / "deploy"]  # built as a whole, patches applied
    # Given by name (as pre-commit does), a patch is still recognised from the kustomization above it.
    plan = plan_inputs([str(repository / "deploy" / "patches" / "replicas.yaml")])
    assert plan.files == [] and len(plan.not_manifests) == 1


# The formats with a summary (the one-entry-per-finding formats, compact, github and codequality,
# carry findings only; the HTML page and the policy reports do not show the count yet).
SUMMARY_FORMATS = ["table", "json", "yaml", "sarif", "junit", "markdown"]


@pytest.mark.parametrize("fmt", SUMMARY_FORMATS)
def test_every_format_says_how_many_files_are_not_manifests(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    without_tools(monkeypatch, tmp_path)
    monkeypatch.chdir(repository)
    code, out = run_scan(".", "-o", fmt)
    assert code == 1
    if fmt in ("json", "yaml"):
        report = json.loads(out) if fmt == "json" else yaml.safe_load(out)
        assert report["summary"]["not_manifests"] == len(WALKED)
    else:
        assert f"{len(WALKED)} files are not Kubernetes manifests" in out, out
