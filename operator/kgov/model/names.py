"""Kubernetes' naming rules for metadata.name and metadata.namespace, as the API server applies them.

A name the API server would reject is an input error: it could never be applied, and it must not
reach a request path, a YAML comment or a report as it is.
"""

from __future__ import annotations

import re

from kgov.escape import quoted

LABEL_MAX, SUBDOMAIN_MAX = 63, 253
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=+?][^}]*)?\}")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

# Kinds whose names are DNS-1123 labels (Namespace) or DNS-1035 labels (Service); every other kind kgov
# reads, custom resources included, takes a DNS-1123 subdomain.
_LABEL_KINDS = frozenset({"Namespace"})
_DNS1035_KINDS = frozenset({"Service"})


def label_problem(value: str) -> str | None:
    """Why `value` is not a DNS-1123 label (a namespace), or None."""
    if len(value) > LABEL_MAX:
        return f"longer than {LABEL_MAX} characters"
    if not _LABEL.fullmatch(value):
        return "not a DNS-1123 label (lower-case letters, digits and '-', starting and ending alphanumeric)"
    return None


def subdomain_problem(value: str) -> str | None:
    """Why `value` is not a DNS-1123 subdomain (most object names), or None."""
    if len(value) > SUBDOMAIN_MAX:
        return f"longer than {SUBDOMAIN_MAX} characters"
    if not _SUBDOMAIN.fullmatch(value):
        return "not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending alphanumeric)"
    return None


def dns1035_problem(value: str) -> str | None:
    if len(value) > LABEL_MAX:
        return f"longer than {LABEL_MAX} characters"
    if not _DNS1035_LABEL.fullmatch(value):
        return "not a DNS-1035 label (lower-case letters, digits and '-', starting with a letter)"
    return None


def path_segment_problem(value: str) -> str | None:
    """The rule every name obeys, whatever its kind: usable as one segment of a request path."""
    if value in (".", ".."):
        return f"{value!r} cannot be a name"
    for bad in ("/", "%"):
        if bad in value:
            return f"contains {bad!r}"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return "contains a control character"
    return None


def name_problem(kind: str, name: str, analysed: bool, generated: bool = False) -> str | None:
    """Why the API server would reject `name` for an object of `kind`, or None. A `generateName`
    prefix is checked as the server does: with a suffix added. A name holding a `${VAR}` placeholder
    (Flux post-build substitution, envsubst) is a template: only what no substitution can fix counts."""
    value = name + "x" if generated else name
    if not analysed or _is_template(value):
        return path_segment_problem(value)
    if kind in _LABEL_KINDS:
        return label_problem(value)
    if kind in _DNS1035_KINDS:
        return dns1035_problem(value)
    return subdomain_problem(value)


def namespace_problem(value: str) -> str | None:
    """Why `value` cannot be a metadata.namespace (templates as for names), or None."""
    return path_segment_problem(value) if _is_template(value) else label_problem(value)


def _is_template(value: str) -> bool:
    # Every placeholder starts with `${`: a substring test spares most names the regular expression.
    return "${" in value and _PLACEHOLDER.search(value) is not None


def describe(field: str, value: str, problem: str) -> str:
    return f"{field} {quoted(value)} is invalid: {problem}"
