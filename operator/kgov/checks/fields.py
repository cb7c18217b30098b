"""Field paths a check names on its findings (`Issue.path`), so a finding points at the field's line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kgov.inventory import Workload
from kgov.inventory.templates import pod_template_of

FieldPath = tuple[str | int, ...]
_CONTAINER_LISTS = ("containers", "initContainers")


def template_spec(workload: Workload) -> FieldPath:
    """The pod spec of a workload's template (`spec.template.spec`, `spec` of a bare Pod)."""
    return (*pod_template_of(workload.obj)[1], "spec")


def container(workload: Workload, name: str, *rest: str) -> FieldPath:
    """The named container (a regular one, else an init container) of the workload's pod template,
    followed by `rest` (`resources`, `limits`, `memory`); the pod spec when no container has the name."""
    template, base = pod_template_of(workload.obj)
    spec = template.get("spec") if isinstance(template, dict) else None
    for key in _CONTAINER_LISTS:
        items = spec.get(key) if isinstance(spec, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict) and item.get("name") == name:
                return (*base, "spec", key, index, *rest)
    return (*base, "spec")


def first_container(workload: Workload, names: Sequence[str], *rest: str) -> FieldPath:
    """`container` of the first of `names`; the pod spec when there are none."""
    return container(workload, names[0], *rest) if names else template_spec(workload)


def annotation(key: str) -> FieldPath:
    return ("metadata", "annotations", key)


def named_item(raw: Mapping[str, Any], key: str, name: str) -> FieldPath:
    """`key[i]` of the top-level list `key` whose item is named `name`; `key` alone when none is."""
    items = raw.get(key)
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, Mapping) and item.get("name") == name:
            return (key, index)
    return (key,)
