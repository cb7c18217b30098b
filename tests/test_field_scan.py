"""`kgov scan .` on the field set (../shared/field: rendered charts and real repositories, each folder
one source): never an input error, every finding on a line of a file that exists, no kustomize patch
scanned as a workload (kustomizations are built with kubectl, as CI has it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED, require_shared
from kgov.cli import main
from test_rendering import kubectl_binary

FOLDERS = (
    sorted(p.name for p in (SHARED / "field").iterdir() if p.is_dir()) if (SHARED / "field").is_dir() else []
)


# Real input errors of the field set (the rest of each folder is still scanned): the rendered
# ServiceAccount of notify-admin has `annotations` twice, which the API server refuses.
KNOWN_BROKEN = {
    "cds-notify-staging": [("notify-admin.yaml", 29, "invalid YAML: found the key 'annotations' twice")]
}


@pytest.mark.parametrize("folder", FOLDERS or ["(absent)"])
def test_scanning_a_field_folder_at_its_root(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = require_shared("field") / folder
    kubectl = kubectl_binary()
    monkeypatch.setenv("PATH", f"{kubectl.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["scan", ".", "-o", "json"])
    report = json.loads(result.stdout)
    errors = [(e["file"], e["line"], e["message"].split(" (")[0]) for e in report["errors"]]
    assert errors == KNOWN_BROKEN.get(folder, []), errors
    assert result.exit_code in ((2,) if errors else (0, 1)), result.output[-2000:]
    for finding in report["findings"]:
        location = finding["location"]
        assert location["line"] and location["column"], finding
        lines = Path(location["file"]).read_text(encoding="utf-8").splitlines()
        assert 1 <= location["line"] <= len(lines), finding
        assert "patch" not in Path(location["file"]).name, finding
