"""Run the operator: build the runtime and the kopf registry, then hand them to kopf."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import kopf

from kgov.operator.handlers import build_registry
from kgov.operator.options import RunOptions, load_operator_config
from kgov.operator.runtime import Runtime
from kgov.operator.settings import operator_settings


@dataclass(slots=True)
class Prepared:
    runtime: Runtime
    registry: kopf.OperatorRegistry
    settings: kopf.OperatorSettings


def prepare(options: RunOptions) -> Prepared:
    """Everything but the event loop; ConfigError when the config file cannot be used."""
    runtime = Runtime(options, load_operator_config(options))
    settings = operator_settings(standalone=options.standalone, peering=options.peering)
    return Prepared(runtime, build_registry(runtime), settings)


async def serve(
    prepared: Prepared,
    *,
    stop_flag: asyncio.Event | None = None,
    ready_flag: asyncio.Event | None = None,
) -> None:
    options = prepared.runtime.options
    await kopf.operator(
        registry=prepared.registry,
        settings=prepared.settings,
        clusterwide=True,  # namespace scope is applied to the events, see docs/operator.md
        standalone=options.standalone,
        peering_name=options.peering,
        priority=options.priority,
        stop_flag=stop_flag,
        ready_flag=ready_flag,
    )


def serve_forever(prepared: Prepared) -> None:
    """Run until SIGTERM / SIGINT (kopf handles both and exits cleanly)."""
    kopf.configure(log_format=kopf.LogFormat.FULL)
    asyncio.run(serve(prepared))
