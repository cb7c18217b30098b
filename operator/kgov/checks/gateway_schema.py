"""`gateway.schema-invalid`: every Gateway API object against the structure of the bundled CRDs.

`kgov/data/gateway-schemas.json` is made from the Gateway API v1.6.1 Experimental CRDs by
`scripts/gateway-schemas`: types, required fields, enums, patterns and bounds, with unknown fields
refused as the API server's strict field validation does. The CRDs' CEL rules are checked by
gateway.validation-rule (gateway_cel.py) on objects that match this structure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from kgov.checks.gateway_structure import Test, accepts
from kgov.checks.params import NoParams
from kgov.checks.registry import CheckContext, CheckFunction, GatewayObject, Issue, Undecided
from kgov.data import data_text
from kgov.inventory import Inventory
from kgov.model.evidence import EvidenceSource
from kgov.model.objects import KubeObject

if TYPE_CHECKING:
    import jsonschema

MAX_LISTED = 5


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = json.loads(data_text("gateway-schemas.json"))
    return schemas


def crd_schema(kind: str, version: str) -> dict[str, Any] | None:
    """The structure of a CRD version (`group/Kind`), or None when no release serves it."""
    return _schemas().get(kind, {}).get(version)


@cache
def _validator(kind: str, version: str) -> jsonschema.Draft202012Validator:
    """The full validator of a CRD version's structure, which words each difference; built for the
    first object the quick test refuses."""
    import jsonschema  # only a scan that holds an object the quick test refuses pays for it

    return jsonschema.Draft202012Validator(_schemas()[kind][version])


@cache
def _accepts(kind: str, version: str) -> Test:
    """The quick test of a CRD version's structure (`crd_schema` holds it)."""
    return accepts(crd_schema(kind, version))


def rejected(first: str, count: int) -> str:
    """The message of a finding the API server would reject the object for: the first problem, how many
    more there are."""
    return first + (f" (and {count - 1} more)" if count > 1 else "") + ": the API server rejects it"


@dataclass(frozen=True, slots=True)
class StructureError:
    path: str  # `spec/rules/0/matches`, or `(object)`
    problem: str
    unexpanded: bool  # the value is text holding a `${...}` variable


_SUBSTITUTION = "${"


def structure_errors(obj: KubeObject, inventory: Inventory) -> tuple[StructureError, ...] | None:
    """Where the object (without status) differs from the structure of its CRD version, in path order;
    None when no release serves its kind and version. Worked out once per object and inventory:
    gateway.schema-invalid reports them, gateway.validation-rule runs only where there are none."""
    return inventory.derived("gateway-structure", obj, lambda: _structure_errors(obj))


def _structure_errors(obj: KubeObject) -> tuple[StructureError, ...] | None:
    group, _, version = obj.api_version.rpartition("/")
    kind = f"{group}/{obj.kind}"
    if crd_schema(kind, version) is None:
        return None
    document = {k: v for k, v in obj.raw.items() if k != "status"}
    if _accepts(kind, version)(document):
        return ()
    validator = _validator(kind, version)
    return tuple(
        StructureError(
            "/".join(str(p) for p in error.absolute_path) or "(object)",
            error.message,
            isinstance(error.instance, str) and _SUBSTITUTION in error.instance,
        )
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    )


_UNEXPANDED = Undecided(
    "field holding an unexpanded ${...} variable", "fields holding unexpanded ${...} variables"
)


def schema_invalid(subject: GatewayObject, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    obj = subject.obj
    group, _, version = obj.api_version.rpartition("/")
    key = f"{group}/{obj.kind}"
    if key not in _schemas():
        return
    if crd_schema(key, version) is None:
        served = ", ".join(sorted(_schemas()[key]))
        yield Issue(
            f"{obj.display()} uses {obj.api_version}, a version no Gateway API release serves for "
            f"{obj.kind} (served: {served}): the API server rejects it",
            {"apiVersion": obj.api_version, "served": sorted(_schemas()[key]), "source": EvidenceSource.SPEC},
        )
        return
    problems = []
    for error in structure_errors(obj, context.inventory) or ():
        if error.unexpanded:
            yield _UNEXPANDED  # `${domain}`: Flux or envsubst fills it in before anything is applied
            continue
        problems.append({"path": error.path, "problem": error.problem})
    if problems:
        first = problems[0]
        yield Issue(
            rejected(
                f"{obj.display()} does not match the {obj.kind} {version} schema: {first['path']}: "
                f"{first['problem']}",
                len(problems),
            ),
            {"problems": problems[:MAX_LISTED], "count": len(problems), "source": EvidenceSource.SPEC},
        )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "gateway.schema-invalid": schema_invalid,
}
