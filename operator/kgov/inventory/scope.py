"""What one scan knows: whether an object a check looks for is present, absent or unknown.

Everything named on one command line (files, folders, stdin) and the cluster listing, when there is
one, form one scope. An object found in the scope is present. An object not found is absent only when
the scope is known to be complete for its kind and namespace; otherwise it is unknown, and a check
that needs it decides nothing (the run counts it in `skipped`). The rules are in
docs/configuration.md#scope-and-completeness.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from kgov.model.objects import KubeObject


class Knowledge(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


# Kinds whose absence is never evidence: kgov never reads Secrets, and ConfigMaps are often created at
# run time (CA bundles written by jobs and operators), so a scope never vouches for all of them.
UNLISTED_KINDS = frozenset({"Secret", "ConfigMap"})

# Objects that create other objects when applied, in namespaces the scan cannot see from here (a Helm
# release, an Argo CD Application, a Flux or kustomize Kustomization). One of them in the scope means
# a Namespace object no longer vouches for its namespace's contents.
GENERATOR_KINDS = frozenset(
    {
        ("helm.toolkit.fluxcd.io", "HelmRelease"),
        ("argoproj.io", "Application"),
        ("argoproj.io", "ApplicationSet"),
        ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ("kustomize.config.k8s.io", "Kustomization"),
    }
)


class Listing(NamedTuple):
    """A live listing under the files: the kinds it lists (None: every kind but the unlisted ones)
    and the one namespace it was restricted to, if any."""

    kinds: frozenset[str] | None = None
    namespace: str | None = None

    def covers(self, kind: str, namespace: str | None) -> bool:
        if kind in UNLISTED_KINDS or (self.kinds is not None and kind not in self.kinds):
            return False
        return self.namespace is None or namespace == self.namespace


class Declared(NamedTuple):
    """Completeness the user declares: `--complete` or `scope.complete` in the config (every
    namespace, the namespace-less manifests and the cluster-scoped kinds), or a list of namespaces."""

    everything: bool = False
    namespaces: frozenset[str] = frozenset()

    def covers(self, namespace: str | None) -> bool:
        return self.everything or (namespace is not None and namespace in self.namespaces)


NOTHING_DECLARED = Declared()


class Completeness:
    """For which (kind, namespace) the scope is a closed set."""

    def __init__(
        self,
        objects: Iterable[KubeObject],
        declared: Declared = NOTHING_DECLARED,
        listing: Listing | None = None,
    ) -> None:
        self.declared = declared
        self.listing = listing
        namespaces: set[str] = set()
        self.generators: list[KubeObject] = []
        self.held: set[tuple[str, str | None]] = set()  # (kind, namespace) of every object in scope
        for obj in objects:
            self.held.add((obj.kind, obj.namespace))
            if obj.kind == "Namespace":
                namespaces.add(obj.name)
            elif (obj.api_group, obj.kind) in GENERATOR_KINDS:
                self.generators.append(obj)
        # A Namespace object stands for the namespace only when nothing in scope generates objects.
        self.closed_namespaces = frozenset() if self.generators else frozenset(namespaces)

    def complete(self, kind: str, namespace: str | None) -> bool:
        if kind in UNLISTED_KINDS:
            return False
        if self.listing is not None and self.listing.covers(kind, namespace):
            return True
        if self.declared.covers(namespace):
            return True
        # The input defines the namespace and some objects of this kind in it: it is taken to define
        # all of them (a namespace whose Services another pipeline deploys holds none of them here).
        return namespace in self.closed_namespaces and (kind, namespace) in self.held
