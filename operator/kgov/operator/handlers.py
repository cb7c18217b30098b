"""The kopf registry of one operator run: login, startup and cleanup only.

kopf logs in, handles signals and, with `--peering`, keeps this replica's entry on the peering
object. It watches nothing: the watched kinds are listed and watched by our own informers
(`kgov.operator.watches`), so kopf never sees, and never writes to, a watched object.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
from aiohttp import web

from kgov.operator.runtime import Runtime
from kgov.operator.server import bound_port, start_server

logger = logging.getLogger(__name__)


def build_registry(runtime: Runtime) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    listener: list[web.AppRunner] = []

    @kopf.on.login(registry=registry)
    def login(settings: kopf.OperatorSettings, logger: Any, **_: Any) -> kopf.ConnectionInfo:
        info = connection_info(settings, logger)
        runtime.credentials.set(info, relogin=lambda: connection_info(settings, logger))
        return info

    @kopf.on.startup(registry=registry)
    async def startup(**_: Any) -> None:
        runner = await start_server(runtime, runtime.options.host, runtime.options.port)
        listener.append(runner)
        runtime.port = bound_port(runner)
        logger.info("serving /healthz and /metrics on port %d", runtime.port)
        await runtime.start()

    @kopf.on.cleanup(registry=registry)
    async def cleanup(**_: Any) -> None:
        await runtime.stop()
        for runner in listener:
            await runner.cleanup()

    return registry


def connection_info(settings: kopf.OperatorSettings, log: Any) -> kopf.ConnectionInfo:
    """The pod's service account, else the kubeconfig; kubeconfigs whose users log in through an exec
    plugin or auth provider go through the kubernetes client, which knows how to run them."""
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)
    if info is None or not (info.token or info.certificate_path or info.certificate_data or info.username):
        info = kopf.login_via_client(settings=settings, logger=log) or info
    if info is None:
        raise kopf.LoginError("no service account token and no kubeconfig: cannot reach the API server")
    return info
