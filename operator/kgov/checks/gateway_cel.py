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
from typing import TYPE_CHECKING, Any, Final, NamedTuple

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


def _decides(rule: str, activation: cel.Activation | None) -> bool | str | None:
    """True or False as the rule decides `self` (given to the runtime in `activation`); for a rule
    stopped by an absent field, cel-go's error (`no such key: certificateRefs`), on which the API server
    rejects the object as on a false rule; None when it cannot be decided here: a rule that does not
    compile, or another evaluation error (overloads and arithmetic can hang on a type the API server
    takes from the schema, kgov from YAML)."""
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
def _plan(kind: str, version: str) -> _Node | None:
    """A CRD version's rules tree (`group/Kind`) and the properties named after CEL reserved words in
    its structure, as one tree for the walk; None when no rule is bundled for it."""
    tree = _trees().get(kind, {}).get(version)
    if tree is None:
        return None
    schema = crd_schema(kind, version)
    return _node(tree, None if schema is None else _cut_to_reserved(schema))


class _Rule(NamedTuple):
    rule: str
    message: str
    transition: bool  # compares with the object's previous version (`oldSelf`)


class _Node(NamedTuple):
    """A schema node as the walk reads it: only the properties below which something is filled in,
    renamed or evaluated."""

    properties: tuple[tuple[str, _Node], ...]
    items: _Node | None
    values: _Node | None  # additionalProperties: a map's values
    defaults: tuple[tuple[str, Any], ...]
    renamed: tuple[str, ...]  # properties named after a CEL reserved word
    rules: tuple[_Rule, ...]
    joint: str | None  # the evaluated rules as one program, true when every one holds
    changes: bool  # something is filled in or renamed at or below: the walk copies the value


def _node(tree: dict[str, Any] | None, cut: dict[str, Any] | None) -> _Node:
    """The node of a rules tree's node and the same place's cut to reserved words (either may be
    absent); the rules tree's properties first, in its order, which is the order of the outcomes."""
    tree, cut = tree or {}, cut or {}
    in_tree, in_cut = tree.get("properties", {}), cut.get("properties", {})
    names = [*in_tree, *(name for name in in_cut if name not in in_tree)]
    below = ((name, _node(in_tree.get(name), in_cut.get(name))) for name in names)
    items, values = (_child(tree, cut, key) for key in ("items", "additionalProperties"))
    properties = tuple((name, child) for name, child in below if _matters(child))
    defaults = tuple((name, child["default"]) for name, child in in_tree.items() if "default" in child)
    renamed = tuple(name for name in in_cut if name in _RESERVED)
    changes = bool(defaults or renamed) or any(
        child is not None and child.changes for child in (items, values, *(c for _, c in properties))
    )
    rules = tuple(
        _Rule(r["rule"], r["message"], _OLD_SELF.search(r["rule"]) is not None) for r in tree.get("rules", ())
    )
    return _Node(properties, items, values, defaults, renamed, rules, _joint(rules), changes)


def _joint(rules: tuple[_Rule, ...]) -> str | None:
    """Several rules on one value as one program: the runtime's fixed cost per evaluation is paid once
    where all hold (most objects), and each rule is evaluated alone only where one does not."""
    evaluated = [rule.rule for rule in rules if not rule.transition]
    return f"[{', '.join(evaluated)}].all(holds, holds)" if len(evaluated) > 1 else None


def _child(tree: dict[str, Any], cut: dict[str, Any], key: str) -> _Node | None:
    if key not in tree and key not in cut:
        return None
    child = _node(tree.get(key), cut.get(key))
    return child if _matters(child) else None


def _matters(node: _Node) -> bool:
    return (
        node.changes
        or bool(node.rules)
        or bool(node.properties)
        or node.items is not None
        or node.values is not None
    )


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


def _cel_name(name: str) -> str:
    return f"__{name}__" if name in _RESERVED else name


Outcome = tuple[str, Broken | Undecided]  # with the path of the value the rule is on


def _walk(value: Any, node: _Node, path: str, found: list[Outcome]) -> Any:
    """The value as the rules see it (absent fields filled in with their defaults, as the API server
    does before validating; properties named after a CEL reserved word renamed `__name__`), each rule
    at and below evaluated on it, children first, into `found`. What changes is a copy: the object's
    own data is left as read."""
    if isinstance(value, dict):
        value = _walk_object(value, node, path, found)
    elif isinstance(value, list) and node.items is not None:
        items = [_walk(item, node.items, f"{path}[{i}]", found) for i, item in enumerate(value)]
        value = items if node.items.changes else value
    if node.rules:
        _evaluate(value, node, path, found)
    return value


def _walk_object(value: dict[str, Any], node: _Node, path: str, found: list[Outcome]) -> dict[str, Any]:
    if node.changes:
        value = dict(value)
        for name, default in node.defaults:
            if name not in value:
                value[name] = copy.deepcopy(default)
    for name, child in node.properties:
        if name in value:
            item = _walk(value[name], child, f"{path}.{name}" if path else name, found)
            if child.changes:
                value[name] = item
    if node.values is not None:
        for key, item in list(value.items()):
            item = _walk(item, node.values, f"{path}[{key}]", found)
            if node.values.changes:
                value[key] = item
    for name in node.renamed:  # a map's keys are left as they are
        if name in value:
            value[_cel_name(name)] = value.pop(name)
    return value


def _evaluate(value: Any, node: _Node, path: str, found: list[Outcome]) -> None:
    activation = _activation(value)
    every = node.joint is not None and _decides(node.joint, activation) is True
    for rule in node.rules:
        if rule.transition:
            found.append((path, _TRANSITION))
        elif not every:
            outcome = _outcome(rule, _decides(rule.rule, activation), path)
            if outcome is not None:
                found.append((path, outcome))


def _outcome(rule: _Rule, holds: bool | str | None, path: str) -> Broken | Undecided | None:
    if holds is None:
        return _NOT_EVALUATED
    if isinstance(holds, str):  # the API server's words for a rule that stopped on an error
        return Broken(path or "(object)", rule.rule, f"{holds} evaluating rule: {rule.message}")
    return None if holds else Broken(path or "(object)", rule.rule, rule.message)


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
    plan = _plan(f"{group}/{obj.kind}", version)
    if plan is None or structure_errors(obj, context.inventory) != ():
        return
    found: list[Outcome] = []
    document = _walk({k: v for k, v in obj.raw.items() if k != "status"}, plan, "", found)
    if any(path.startswith(_LISTENER_PATHS + _ROUTE_PATHS) for path, _ in found):
        left = _left_to_other_checks(obj, context)
        found = [(path, outcome) for path, outcome in found if not path.startswith(left)]
    broken = []
    for _, outcome in found:
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
