"""The release pieces agree with each other, and the base install runs without the operator's dependencies."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

import kgov

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yaml"

# Runs kgov with the optional dependencies made unimportable, as a base `pip install kube-governor` has it.
# (A None in sys.modules is what Python's import system treats as "not installed".)
_BASE_INSTALL = """
import sys
for name in ("kubernetes", "urllib3", "kopf", "prometheus_api_client", "prometheus_client"):
    sys.modules[name] = None
from kgov.cli import main
sys.argv = ["kgov", *sys.argv[1:]]
main()
"""


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _base_install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BASE_INSTALL, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_one_version_everywhere() -> None:
    declared = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "version")], capture_output=True, text=True, check=True
    ).stdout.strip()
    chart = _yaml(ROOT / "charts" / "kube-governor" / "Chart.yaml")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert declared == kgov.__version__
    assert chart["version"] == chart["appVersion"] == declared
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kgov.__version__"}


def test_release_workflow_publishes_what_users_install() -> None:
    workflow = _yaml(WORKFLOW)
    text = WORKFLOW.read_text(encoding="utf-8")
    values = _yaml(ROOT / "charts" / "kube-governor" / "values.yaml")
    # The tag is checked against the declared version before anything is published.
    assert "scripts/version" in text
    assert set(workflow["jobs"]) >= {"version", "python", "image", "chart"}
    assert workflow["jobs"]["python"]["permissions"] == {"id-token": "write"}
    image_steps = workflow["jobs"]["image"]["steps"]
    build = next(s for s in image_steps if s.get("uses", "").startswith("docker/build-push-action"))
    assert build["with"]["sbom"] is True and build["with"]["provenance"]
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    # The chart's default image is the one the workflow pushes (owner kube-governor), tagged appVersion.
    assert values["image"]["repository"] == "ghcr.io/kube-governor/kube-governor"
    assert workflow["env"]["IMAGE"] == "ghcr.io/${{ github.repository_owner }}/kube-governor"
    assert build["with"]["tags"].endswith(":${{ needs.version.outputs.version }}")


def test_image_installs_the_operator_extra() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert '".[operator]"' in dockerfile
    assert '"kube-governor[operator]"' in dockerfile


def test_action_declares_every_input_it_reads() -> None:
    action = _yaml(ROOT / "action.yml")
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        if "run" in step:
            syntax = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
            assert syntax.returncode == 0, (step.get("name"), syntax.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "examples/clean"),
        ("gate", "migration", "examples/migration/ready.yaml"),
        ("convert", "examples/migration/ready.yaml"),
        ("checks",),
    ],
)
def test_base_install_runs_the_cli(args: tuple[str, ...]) -> None:
    result = _base_install(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("scan", "--cluster"), "cluster"),
        (("gate", "migration", "--cluster"), "cluster"),
        (("scan", "examples/clean", "--prometheus", "http://127.0.0.1:9"), "prometheus"),
        (("run",), "operator"),
    ],
)
def test_base_install_names_the_missing_extra(args: tuple[str, ...], extra: str) -> None:
    result = _base_install(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"pip install 'kube-governor[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr
