"""Autoscaling checks (`category: autoscaling`). Facts: reference autoscaling-and-qos.md §3–4."""

from __future__ import annotations

from kgov.checks.registry import CheckSpec

CHECKS: list[CheckSpec] = []
