"""Params that check families share."""

from __future__ import annotations

from pydantic import Field

from kgov.checks.registry import Params
from kgov.domain.annotations import NGINX_PREFIX


class PrefixParams(Params):
    annotation_prefix: str = Field(
        NGINX_PREFIX,
        pattern=r"^[a-z0-9.-]+/$",
        description="ingress-nginx annotation prefix (the controller's `--annotations-prefix`)",
    )
