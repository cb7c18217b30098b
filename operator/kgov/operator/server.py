"""The operator's only listener: `/healthz` and `/metrics` on one port."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from kgov.operator.runtime import Runtime


async def start_server(runtime: Runtime, host: str, port: int) -> web.AppRunner:
    async def healthz(_: web.Request) -> web.Response:
        healthy, reason = runtime.health()
        return web.Response(status=200 if healthy else 500, text=reason + "\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=runtime.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (the one asked for, or the one picked for port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the HTTP listener is not bound")
