"""The registry of every built-in check, in a stable order (families, then the order each declares)."""

from __future__ import annotations

from kgov.checks import autoscaling, gateway, ingress, migration, qos, scope
from kgov.checks.registry import Registry


def default_registry() -> Registry:
    return Registry(
        [*qos.CHECKS, *autoscaling.CHECKS, *ingress.CHECKS, *gateway.CHECKS, *migration.CHECKS, *scope.CHECKS]
    )
