"""The analysis core imports nothing from the operator, the CLI, the cluster client or HTTP stacks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "operator" / "kgov"
CORE = ["model", "inventory", "checks", "findings", "migration", "engine", "analysis.py", "config.py"]
FORBIDDEN = {
    "kopf",
    "kubernetes",
    "click",
    "typer",
    "rich",
    "aiohttp",
    "requests",
    "httpx",
    "prometheus_api_client",
    "prometheus_client",
    "kgov.operator",
    "kgov.cli",
    "kgov.commands",
    "kgov.report",
    "kgov.evidence",
    "kgov.sources",
}


def _core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = PACKAGE / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return files


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_stay_inside_the_core(path: Path) -> None:
    bad = {name for name in _imports(path) if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"
