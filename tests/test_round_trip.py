"""Round trip over the shared corpus: every Ingress that `kgov convert` converts without blockers routes
the same requests as the objects it was converted to, by `kgov gate migration -o json`'s own verdict
(`parity: full`, the gate JSON contract). Exceptions are listed below, each with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import require_shared
from kgov.cli import main
from kgov.inventory import Inventory
from kgov.migration.convert import convert, render_yaml
from kgov.migration.convert_model import Conversion
from kgov.sources.files import read_source

pytestmark = pytest.mark.corpus

# (file under corpus/manifests, "namespace/name") → why parity is not full although nothing was reported.
# Empty: every exception found so far was a bug, and was fixed.
LIMITATIONS: dict[tuple[str, str], str] = {}


def key(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def corpus_with_ingresses(root: Path) -> list[Path]:
    files = [p for p in sorted(root.rglob("*")) if p.suffix in (".yaml", ".yml", ".json") and p.is_file()]
    return [p for p in files if any(o.kind == "Ingress" for o in read_source(p).objects)]


def gate(paths: list[Path]) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["gate", "migration", *map(str, paths), "-o", "json", "--lenient"])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def written_for(conversion: Conversion) -> set[str]:
    return {source for generated in conversion.objects for source in generated.sources}


def test_round_trip_holds_on_the_corpus(tmp_path: Path) -> None:
    root = require_shared("corpus/manifests")
    checked, problems, seen = 0, [], set()
    for path in corpus_with_ingresses(root):
        loaded = read_source(path)
        conversion = convert(Inventory(loaded.objects))
        blocked = {key(*k) for k in conversion.blocked_ingresses()}
        output = tmp_path / "converted.yaml"
        output.write_text(render_yaml(conversion), encoding="utf-8")
        report = gate([path, output])
        relative = str(path.relative_to(root))
        for entry in report["migration"]["ingresses"]:
            name = key(entry["namespace"], entry["name"])
            if name in blocked:
                continue
            if (relative, name) in LIMITATIONS:
                seen.add((relative, name))
                assert entry["parity"] != "full", f"{relative} {name}: the limitation no longer applies"
                continue
            if entry["parity"] == "not-checked" and name not in written_for(conversion):
                continue  # the Ingress routes nothing (no rule with paths), so nothing was written for it
            checked += 1
            if entry["parity"] != "full":
                problems.append((relative, name, entry["parity"], entry["mismatches"][:2]))
    assert not problems, problems
    assert seen == set(LIMITATIONS)
    assert checked > 150


def test_round_trip_catches_a_broken_conversion(tmp_path: Path) -> None:
    """The gate's verdict is not vacuous: a converted route sent to another Service is a mismatch."""
    source = tmp_path / "ingress.yaml"
    source.write_text(
        """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""",
        encoding="utf-8",
    )
    conversion = convert(Inventory(read_source(source).objects))
    output = tmp_path / "converted.yaml"
    output.write_text(render_yaml(conversion), encoding="utf-8")
    (entry,) = gate([source, output])["migration"]["ingresses"]
    assert entry["parity"] == "full"
    output.write_text(
        render_yaml(conversion).replace("name: web\n      port: 80", "name: other\n      port: 80")
    )
    (entry,) = gate([source, output])["migration"]["ingresses"]
    assert entry["parity"] == "mismatch"
