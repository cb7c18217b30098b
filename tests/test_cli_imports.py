"""What `kgov scan` imports: only what the scan and its output format use (other subcommands, other
formats and the operator are imported when asked for), and the subcommands are all still there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgov.cli import main

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
# Modules no `kgov scan -o json` needs.
OFF_THE_SCAN_PATH = (
    "rich",
    "kopf",
    "kubernetes",
    "kgov.operator",
    "kgov.commands.gate",
    "kgov.commands.convert",
    "kgov.commands.run",
    "kgov.migration.convert",
    "kgov.report.table",
    "kgov.report.compact",
    "kgov.report.github",
    "kgov.report.sarif",
    "kgov.report.junit",
    "kgov.report.codequality",
    "kgov.report.markdown",
    "kgov.report.html",
    "kgov.report.policyreport",
)
PROBE = """
import json, sys
from kgov.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(tmp_path: Path, *arguments: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def _off_path(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in OFF_THE_SCAN_PATH)]


def test_a_json_scan_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    modules = _modules_after(tmp_path, "scan", str(manifest), "-o", "json", "--output-file", "out.json")
    assert (tmp_path / "out.json").is_file()
    assert _off_path(modules) == []


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
