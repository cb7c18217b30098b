"""Which ConfigMaps the operator watches follows the controllers' --configmap flags, event by event."""

from __future__ import annotations

from typing import Any

import pytest

from kgov.domain.controller import config_map_ref
from kgov.operator.configmaps import DEFAULT, ConfigMapRefs


def controller(name: str, flag: str | None, image: str = "controller:v1") -> dict[str, Any]:
    args = [f"--configmap={flag}"] if flag else []
    container = {"name": "controller", "image": image, "args": args}
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ingress"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def test_only_a_changed_flag_changes_the_configmaps_watched() -> None:
    refs = ConfigMapRefs()
    assert refs.event("ADDED", controller("nginx", "$(POD_NAMESPACE)/custom"))
    assert refs.wanted() == {DEFAULT, ("ingress", "custom")}
    assert not refs.event("MODIFIED", controller("nginx", "$(POD_NAMESPACE)/custom", image="controller:v2"))
    assert not refs.event("ADDED", controller("other", None))
    assert refs.event("MODIFIED", controller("nginx", "ingress/renamed"))
    assert refs.wanted() == {DEFAULT, ("ingress", "renamed")}
    assert refs.event("DELETED", controller("nginx", "ingress/renamed"))
    assert refs.wanted() == {DEFAULT}
    assert not refs.event("DELETED", controller("nginx", "ingress/renamed"))


@pytest.mark.parametrize(
    ("args", "ref"),
    [
        (["--configmap=$(POD_NAMESPACE)/custom"], ("ingress", "custom")),
        (["--configmap", "other/custom"], ("other", "custom")),
        (["--configmap=custom"], None),
        (["--configmap=ingress/"], None),
        (["--configmap=/custom"], None),
        (["--ingress-class=nginx"], None),
    ],
)
def test_one_parser_reads_the_flag_for_the_watches_and_the_checks(
    args: list[str], ref: tuple[str, str] | None
) -> None:
    assert config_map_ref(args, "ingress") == ref
