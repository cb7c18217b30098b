"""Measured evidence from Prometheus (through prometheus-api-client) for the evidence-backed checks.

The only package that talks to Prometheus; the checks read the resulting `kgov.model.evidence.Evidence`
from the inventory.
"""

from kgov.evidence.collect import CHECK_SIGNALS, collect_evidence, signals_for

__all__ = ["CHECK_SIGNALS", "collect_evidence", "signals_for"]
