"""The operator's only listener: `/healthz`, `/livez`, `/metrics` and (when asked) `/report` on one port."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from kgov.analysis import Evaluation
from kgov.operator.runtime import Runtime
from kgov.report.html import CONTENT_SECURITY_POLICY, render_html
from kgov.report.model import ScanReport


def live_report(runtime: Runtime) -> ScanReport:
    """The findings the operator holds now, as the report `kgov scan -o html` renders."""
    findings = list(runtime.engine.desired_findings)
    return ScanReport(
        Evaluation(findings=findings), list(runtime.registry), title="kube-governor: live cluster"
    )


async def start_server(runtime: Runtime, host: str, port: int) -> web.AppRunner:
    async def healthz(_: web.Request) -> web.Response:
        healthy, reason = runtime.health()
        return web.Response(status=200 if healthy else 500, text=reason + "\n")

    async def livez(_: web.Request) -> web.Response:
        alive, reason = runtime.alive()
        return web.Response(status=200 if alive else 500, text=reason + "\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=runtime.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def report(_: web.Request) -> web.Response:
        return web.Response(
            text=render_html(live_report(runtime)),
            content_type="text/html",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"},
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    app.router.add_get("/metrics", metrics)
    if runtime.options.html_report:
        app.router.add_get("/report", report)
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
