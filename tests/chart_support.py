"""Helpers for the Helm chart tests: the real helm binary, rendering, and the rules a CRD schema must
follow to be structural (the apiserver refuses the CRD otherwise)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, unavailable

CHART = ROOT / "charts" / "kube-governor"
ALL_FEATURES = CHART / "ci" / "all-features-values.yaml"


def helm_binary() -> Path:
    """The helm that scripts/setup installs, else one on PATH; skipped without it, never under CI."""
    local = ROOT / ".tools" / "bin" / "helm"
    if os.access(local, os.X_OK):
        return local
    found = shutil.which("helm")
    if found:
        return Path(found)
    unavailable("helm is not installed (scripts/setup installs it into .tools/bin)")


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, check=False, timeout=120)


def render(helm: Path, *args: str, namespace: str = "kube-governor") -> str:
    """`helm template` of the chart as release `kube-governor`; fails the test on a render error."""
    done = run_helm(helm, "template", "kube-governor", str(CHART), "--namespace", namespace, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def find(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name_suffix: str = "") -> dict[str, Any]:
    matches = [d for d in find(docs, kind) if d["metadata"]["name"].endswith(name_suffix)]
    assert len(matches) == 1, f"expected one {kind} named *{name_suffix}, got {len(matches)}"
    return matches[0]


def value_paths(values: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every key in a values mapping (lists are leaves)."""
    if isinstance(values, dict):
        for key, value in values.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from value_paths(value, path)


# --- structural schemas (apiextensions.k8s.io/v1) ---------------------------------------------------

_COMBINATORS = ("allOf", "anyOf", "oneOf", "not")


def structural_problems(schema: dict[str, Any], path: str = "", root: bool = True) -> list[str]:
    """What makes an openAPIV3Schema non-structural, by the apiserver's rules: every node has a type
    (unless int-or-string), arrays have items, properties and additionalProperties exclude each other,
    preserve-unknown-fields only on objects, metadata constrained only at the root (name only)."""
    problems: list[str] = []
    where = path or "<root>"
    if "type" not in schema and not schema.get("x-kubernetes-int-or-string"):
        problems.append(f"{where}: no type")
    if schema.get("type") == "array" and "items" not in schema:
        problems.append(f"{where}: array without items")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{where}: both properties and additionalProperties")
    if schema.get("x-kubernetes-preserve-unknown-fields") and schema.get("type") != "object":
        problems.append(f"{where}: preserve-unknown-fields on a non-object")
    for combinator in _COMBINATORS:
        if combinator in schema:
            problems.append(f"{where}: {combinator} is not used in kgov CRDs (keep schemas simple)")
    for name, child in schema.get("properties", {}).items():
        if name == "metadata" and root:
            if set(child) - {"type", "description"} or child.get("type") != "object":
                problems.append(f"{where}.metadata: constrained beyond type")
            continue
        problems.extend(structural_problems(child, f"{path}.{name}", root=False))
    if isinstance(schema.get("items"), dict):
        problems.extend(structural_problems(schema["items"], f"{path}[]", root=False))
    if isinstance(schema.get("additionalProperties"), dict):
        problems.extend(structural_problems(schema["additionalProperties"], f"{path}.*", root=False))
    return problems


def schema_at(schema: dict[str, Any], json_path: str) -> dict[str, Any] | None:
    """The schema node a simple printer-column JSONPath (`.spec.target.name`) points at."""
    node: dict[str, Any] | None = schema
    for part in json_path.lstrip(".").split("."):
        if node is None:
            return None
        if part == "metadata" and node is schema:
            return {"type": "object"}  # metadata is the apiserver's, always present
        node = node.get("properties", {}).get(part)
    return node


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
