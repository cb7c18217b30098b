"""scope.conflicting-copies counts places of declaration, not readings of them."""

from __future__ import annotations

from typing import Any

from kgov.inventory import Inventory
from kgov.model.objects import KubeObject, Location


def _deployment(location: Location, image: str) -> KubeObject:
    raw: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "grafana", "namespace": "monitoring"},
        "spec": {"template": {"spec": {"containers": [{"name": "grafana", "image": image}]}}},
    }
    return KubeObject("apps/v1", "Deployment", "grafana", "monitoring", raw, location)


def test_one_document_read_as_a_file_and_as_a_kustomization_output_is_no_conflict() -> None:
    """The file itself and the kustomization's patched rendering of it sit at the same file and line."""
    place = Location("deploy/grafana-deployment.yaml", 1)
    inventory = Inventory([_deployment(place, "grafana:11.0"), _deployment(place, "grafana:11.1")])
    assert inventory.conflicting_copies == []


def test_two_declarations_in_one_folder_conflict() -> None:
    first, second = Location("deploy/a.yaml", 1), Location("deploy/b.yaml", 1)
    inventory = Inventory([_deployment(first, "grafana:11.0"), _deployment(second, "grafana:11.1")])
    assert [len(c.copies) for c in inventory.conflicting_copies] == [2]
