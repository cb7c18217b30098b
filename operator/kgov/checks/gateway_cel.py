"""`gateway.validation-rule`: every Gateway API object against the CEL rules of the bundled CRDs.

`kgov/data/gateway-rules.json` is made from the Gateway API v1.6.1 Experimental CRDs by
`scripts/gateway-schemas`: each kind's schema tree cut down to its `x-kubernetes-validations` rules and
the defaults the API server fills in before evaluating them. The rules run on cel-cpp (PyPI
`cel-expr-python`), each compiled once per process, with the Kubernetes functions they use (cel-go's
strings extension for `split` and `substring`, and `isIP`) and properties named after CEL reserved
words given as `__name__`, as the API server does. What cannot be decided is counted as undecided:
transition rules (`oldSelf` needs the live object), rules the library cannot evaluate, and failing
rules on objects holding unexpanded `${...}` variables. A rule stopped by an absent field (`size()` of
a field that is not there) is broken: the API server rejects an object on which a rule fails to
evaluate, with "<error> evaluating rule: <message>". Rules on listeners are left to
gateway.listener-conflict, and rules on route rules and parentRefs to gateway.invalid-route, when
that check fires on the object (both name the conflicting items); the object must first match its
structure (gateway.schema-invalid).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from kgov.checks.gateway_rules import listener_problems, route_problems
from kgov.checks.gateway_schema import crd_schema, rejected, structure_errors
from kgov.checks.params import NoParams
from kgov.checks.registry import CheckContext, CheckFunction, GatewayObject, Issue, Undecided
from kgov.data import data_text
from kgov.inventory.projection import ProjectionError
from kgov.model import gateway as gw
from kgov.model.evidence import EvidenceSource
from kgov.model.kinds import ROUTE_KINDS
from kgov.model.objects import KubeObject

if TYPE_CHECKING:  # the CEL runtime is imported on first use: it is not needed to start the CLI
    from cel_expr_python import cel

MAX_LISTED = 5
_OLD_SELF = re.compile(r"\boldSelf\b")
_MISSING_KEY = re.compile(r'NOT_FOUND: Key not found in map : "(.*)"')  # cel-cpp's words for it
# Paths whose rules gateway.listener-conflict and gateway.invalid-route write out, naming the
# conflicting items: one root cause, one finding.
_LISTENER_PATHS = ("spec.listeners",)
_ROUTE_PATHS = ("spec.parentRefs", "spec.rules")
_TRANSITION = Undecided(
    "transition rule (oldSelf: needs the live object)", "transition rules (oldSelf: need the live object)"
)
_NOT_EVALUATED = Undecided("CEL rule the evaluator cannot run", "CEL rules the evaluator cannot run")
_UNEXPANDED = Undecided(
    "CEL rule failing on an object with unexpanded ${...} variables",
    "CEL rules failing on objects with unexpanded ${...} variables",
)
# CEL's reserved words: the API server gives an object's property of that name to rules as `__name__`.
_RESERVED = frozenset(
    [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)


@dataclass(frozen=True, slots=True)
class Broken:
    path: str
    rule: str
    message: str


@cache
def _trees() -> dict[str, dict[str, Any]]:
    trees: dict[str, dict[str, Any]] = json.loads(data_text("gateway-rules.json"))
    return trees


def _is_ip(value: str) -> bool:
    """Kubernetes' `isIP`: an address Go's netip parses (no IPv4 leading zeros, as Python's), without
    an IPv6 zone and not IPv4-mapped, both of which the API server's library refuses."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and (address.scope_id or address.ipv4_mapped))


@cache
def _environment() -> cel.Env | None:
    """cel-cpp with the Kubernetes functions the rules use: cel-go's strings extension (`split`,
    `substring`) and `isIP`. None where the runtime has no wheel for the platform."""
    try:
        from cel_expr_python import cel
        from cel_expr_python.ext.ext_strings import ExtStrings
    except ImportError:
        return None
    is_ip = cel.FunctionDecl(
        "isIP", [cel.Overload("isIP_string", cel.Type.BOOL, [cel.Type.STRING], impl=_is_ip)]
    )
    return cel.NewEnv(variables={"self": cel.Type.DYN}, extensions=[ExtStrings()], functions=[is_ip])


@cache
def _program(rule: str) -> cel.Expression | None:
    """The rule compiled once per process, or None when it cannot be compiled here."""
    environment = _environment()
    if environment is None:
        return None
    try:
        return environment.compile(rule)
    except Exception:  # any compile failure (an unknown function) leaves the rule undecided
        return None


@cache
def _transition(rule: str) -> bool:
    """Whether the rule compares with the object's previous version (`oldSelf`)."""
    return _OLD_SELF.search(rule) is not None


def _activation(value: Any) -> cel.Activation | None:
    """`self` given to the runtime once for every rule on one value; None where there is no runtime, or
    it cannot take the value (no such value comes from YAML or JSON)."""
    environment = _environment()
    if environment is None:
        return None
    try:
        return environment.Activation(data={"self": value})
    except Exception:
        return None


def _holds(rule: str, value: Any) -> bool | str | None:
    """True or False as the rule decides `self`; for a rule stopped by an absent field, cel-go's error
    (`no such key: certificateRefs`), on which the API server rejects the object as on a false rule;
    None when it cannot be decided here: a rule that does not compile, or another evaluation error
    (overloads and arithmetic can hang on a type the API server takes from the schema, kgov from YAML)."""
    return _decides(rule, _activation(value))


def _decides(rule: str, activation: cel.Activation | None) -> bool | str | None:
    """`_holds` with `self` already given to the runtime."""
    program = _program(rule)
    if program is None or activation is None:
        return None
    try:
        result = program.eval(activation=activation).value()
    except Exception:  # a value the runtime cannot take
        return None
    if isinstance(result, bool):
        return result
    missing = _MISSING_KEY.match(result) if isinstance(result, str) else None  # an error's value: its text
    return f"no such key: {missing.group(1)}" if missing else None


@cache
def _reserved_paths(kind: str, version: str) -> dict[str, Any] | None:
    """The structure of a CRD version cut down to the properties named after CEL reserved words, or None
    when it has none (most kinds)."""
    schema = crd_schema(kind, version)
    return None if schema is None else _cut_to_reserved(schema)


def _cut_to_reserved(schema: dict[str, Any]) -> dict[str, Any] | None:
    cut: dict[str, Any] = {}
    properties = {}
    for name, child in schema.get("properties", {}).items():
        below = _cut_to_reserved(child)
        if name in _RESERVED or below is not None:
            properties[name] = below or {}
    if properties:
        cut["properties"] = properties
    for key in ("items", "additionalProperties"):
        child = schema.get(key)
        if isinstance(child, dict) and (below := _cut_to_reserved(child)) is not None:
            cut[key] = below
    return cut or None


def _below(
    value: Any, node: dict[str, Any], path: str = "", escaped: bool = False
) -> Iterator[tuple[Any, dict[str, Any], str]]:
    """The values just below `value` that its schema `node` describes, each with its own node and its
    path; `escaped`: properties named after a CEL reserved word are looked up by their CEL name."""
    if isinstance(value, dict):
        for name, child in node.get("properties", {}).items():
            if (key := _cel_name(name) if escaped else name) in value:
                yield value[key], child, f"{path}.{name}" if path else name
        if "additionalProperties" in node:
            for key, item in value.items():
                yield item, node["additionalProperties"], f"{path}[{key}]"
    elif isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            yield item, node["items"], f"{path}[{i}]"


def _escape(value: Any, cut: dict[str, Any]) -> None:
    """Rename in place, as the rules see them, an object's properties named after a CEL reserved word:
    `namespace` is `__namespace__` (a map's keys are left as they are)."""
    for item, below, _ in _below(value, cut):
        _escape(item, below)
    if isinstance(value, dict):
        for name in cut.get("properties", {}):
            if name in _RESERVED and name in value:
                value[_cel_name(name)] = value.pop(name)


def _cel_name(name: str) -> str:
    return f"__{name}__" if name in _RESERVED else name


def _copied(value: Any) -> Any:
    """A copy of a value read from YAML or JSON that the rules' preparation may change: its maps and
    lists are new, its scalars shared (as `copy.deepcopy` shares them)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _apply_defaults(value: Any, node: dict[str, Any]) -> None:
    """Fill in absent fields with their defaults, as the API server does before validating."""
    if isinstance(value, dict):
        for name, child in node.get("properties", {}).items():
            if name not in value and "default" in child:
                value[name] = copy.deepcopy(child["default"])
    for item, child, _ in _below(value, node):
        _apply_defaults(item, child)


def _evaluate(
    value: Any, node: dict[str, Any], path: str, skip: tuple[str, ...]
) -> Iterator[Broken | Undecided]:
    if path.startswith(skip):
        return
    for item, child, where in _below(value, node, path, escaped=True):
        yield from _evaluate(item, child, where, skip)
    rules = node.get("rules", ())
    activation = _activation(value) if rules else None
    for rule in rules:
        if _transition(rule["rule"]):
            yield _TRANSITION
            continue
        holds = _decides(rule["rule"], activation)
        if holds is None:
            yield _NOT_EVALUATED
        elif isinstance(holds, str):  # the API server's words for a rule that stopped on an error
            yield Broken(path or "(object)", rule["rule"], f"{holds} evaluating rule: {rule['message']}")
        elif not holds:
            yield Broken(path or "(object)", rule["rule"], rule["message"])


def _left_to_other_checks(obj: KubeObject, context: CheckContext[NoParams]) -> tuple[str, ...]:
    """The paths whose rules the hand-written checks report for this object: only where they fire,
    as they write out some of the CRDs' rules, not all."""
    inventory = context.inventory
    try:
        if obj.kind == "Gateway":
            listeners = inventory.projection(gw.Gateway, obj).spec.listeners
            return _LISTENER_PATHS if listener_problems(listeners) else ()
        if obj.kind == "ListenerSet":
            listeners = inventory.projection(gw.ListenerSet, obj).spec.listeners
            return _LISTENER_PATHS if listener_problems(listeners) else ()
        if obj.kind in ROUTE_KINDS:
            return _ROUTE_PATHS if route_problems(obj.kind, inventory.projection(gw.Route, obj)) else ()
    except ProjectionError:
        return _LISTENER_PATHS + _ROUTE_PATHS  # a field of the wrong type: an input error, not a rule
    return ()


def validation_rule(subject: GatewayObject, context: CheckContext[NoParams]) -> Iterator[Issue | Undecided]:
    obj = subject.obj
    group, _, version = obj.api_version.rpartition("/")
    tree = _trees().get(f"{group}/{obj.kind}", {}).get(version)
    if tree is None or structure_errors(obj, context.inventory) != ():
        return
    document = {k: _copied(v) for k, v in obj.raw.items() if k != "status"}
    _apply_defaults(document, tree)
    if (reserved := _reserved_paths(f"{group}/{obj.kind}", version)) is not None:
        _escape(document, reserved)
    broken = []
    for outcome in _evaluate(document, tree, "", _left_to_other_checks(obj, context)):
        if isinstance(outcome, Undecided):
            yield outcome
        else:
            broken.append(outcome)
    if broken and "${" in json.dumps(document):
        yield _UNEXPANDED  # Flux postBuild or envsubst fills the value in before anything is applied
    elif broken:
        first = broken[0]
        yield Issue(
            rejected(
                f"{obj.display()} breaks a validation rule of the {obj.kind} {version} CRD at {first.path}: "
                f"{first.message}",
                len(broken),
            ),
            {
                "problems": [
                    {"path": b.path, "message": b.message, "rule": b.rule} for b in broken[:MAX_LISTED]
                ],
                "count": len(broken),
                "source": EvidenceSource.SPEC,
            },
        )


FUNCTIONS: Final[dict[str, CheckFunction]] = {
    "gateway.validation-rule": validation_rule,
}
