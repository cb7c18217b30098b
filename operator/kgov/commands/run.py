"""`kgov run`: the operator (kopf underneath), imported only when the command runs."""

from __future__ import annotations

from pathlib import Path

import click

from kgov.commands.extras import missing_extra
from kgov.config import ConfigError


@click.command("run")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Config file (YAML), re-read on change."
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="GLOB",
    help="Watch only matching namespaces (repeatable).",
)
@click.option(
    "--exclude-namespace",
    "excluded",
    multiple=True,
    metavar="GLOB",
    help="Ignore matching namespaces (repeatable).",
)
@click.option("--standalone", is_flag=True, help="One replica, no peering (the default).")
@click.option("--peering", metavar="NAME", help="Coordinate replicas through this kopf peering object.")
@click.option(
    "--priority",
    type=click.IntRange(0, 2**31 - 1),
    help="Peering priority: the highest replica works, the others wait. Default: drawn at random on "
    "every start, so replicas never share one.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port of /healthz and /metrics.",
)
@click.option(
    "--prometheus", metavar="URL", help="Prometheus for measured evidence (overrides prometheus.url)."
)
@click.option(
    "--max-findings",
    type=click.IntRange(min=1),
    help="Safety cap on Findings (overrides operator.max_findings).",
)
@click.option(
    "--html-report",
    is_flag=True,
    help="Serve the HTML report of the live findings at /report on the HTTP port (read-only).",
)
@click.option(
    "--policy-reports",
    type=click.Choice(["openreports", "wgpolicyk8s"]),
    help="Also write the findings as policy reports for Policy Reporter, one per namespace: OpenReports "
    "(openreports.io Report/ClusterReport) or wgpolicyk8s.io PolicyReport/ClusterPolicyReport.",
)
def run(
    config_path: str | None,
    namespaces: tuple[str, ...],
    excluded: tuple[str, ...],
    standalone: bool,
    peering: str | None,
    priority: int | None,
    port: int,
    prometheus: str | None,
    max_findings: int | None,
    html_report: bool,
    policy_reports: str | None,
) -> None:
    """Run the operator: watch the cluster and keep Finding resources up to date."""
    if standalone and peering:
        raise click.UsageError("--standalone and --peering exclude each other")
    missing = missing_extra("operator")
    if missing:
        raise click.UsageError(missing)
    from kgov.operator.main import prepare, serve_forever
    from kgov.operator.options import RunOptions, random_priority

    options = RunOptions(
        priority=random_priority() if priority is None else priority,
        config_path=Path(config_path) if config_path else None,
        namespaces=namespaces,
        exclude_namespaces=excluded,
        peering=peering,
        port=port,
        prometheus=prometheus,
        max_findings=max_findings,
        html_report=html_report,
        policy_reports=policy_reports,
    )
    try:
        prepared = prepare(options)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    serve_forever(prepared)
