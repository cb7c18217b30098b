from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_shared(sub: str) -> Path:
    """The shared corpus beside the clone; skipped with a reason without it, never under CI."""
    path = SHARED / sub
    if not path.is_dir():
        if in_ci():
            pytest.fail(f"{path} is missing; CI must run with ../shared beside the clone")
        pytest.skip(f"{path} is absent (a user's clone has no ../shared)")
    return path
