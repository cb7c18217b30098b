"""LimitRange: the namespace defaults the LimitRanger admission plugin applies to new pods."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from kgov.model.base import NullableList, Projection, ResourceList


class LimitRangeItem(Projection):
    type: str
    default: ResourceList = Field(default_factory=dict)
    default_request: ResourceList = Field(default_factory=dict)
    max: ResourceList = Field(default_factory=dict)
    min: ResourceList = Field(default_factory=dict)

    def container_defaults(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(default limits, default requests) after the API's own LimitRangeItem defaulting.

        A missing default limit takes `max`; a missing default request takes the default limit, then `min`.
        """
        limits = dict(self.max) | dict(self.default)
        requests = dict(self.min) | limits | dict(self.default_request)
        return limits, requests


class LimitRangeSpec(Projection):
    limits: NullableList[LimitRangeItem] = Field(default_factory=list)


class LimitRange(Projection):
    spec: LimitRangeSpec = Field(default_factory=LimitRangeSpec)

    def container_defaults(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        limits: dict[str, Decimal] = {}
        requests: dict[str, Decimal] = {}
        for item in self.spec.limits:
            if item.type == "Container":
                item_limits, item_requests = item.container_defaults()
                limits |= item_limits
                requests |= item_requests
        return limits, requests
