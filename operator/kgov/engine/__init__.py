"""The operator's engine: incremental inventory, re-evaluation of touched subjects, findings diff."""

from kgov.engine.engine import Engine
from kgov.findings.diff import ObjectKey, Patch, WritePlan

__all__ = ["Engine", "ObjectKey", "Patch", "WritePlan"]
