"""The `kgov` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from kgov import __version__
from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.checks.catalog import default_registry
from kgov.config import ConfigError, load_config
from kgov.findings.model import Severity
from kgov.inventory import Inventory
from kgov.report.formats import RENDERERS
from kgov.report.model import ScanReport
from kgov.report.table import render_table
from kgov.sources.files import STDIN, LoadResult, discover, read_source
from kgov.sources.locate import refine_lines

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
FORMATS = ["table", *RENDERERS]
SEVERITIES = [s.value for s in Severity]
PROGRESS_THRESHOLD = 200  # files


def _split_ids(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """kube-governor: ingress, autoscaler and resource governance for Kubernetes."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(f"kgov {__version__}")


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--cluster", is_flag=True, help="Read the current kube context (list only, never write).")
@click.option("--context", "kube_context", help="Kube context to use with --cluster.")
@click.option("--namespace", "-n", help="With --cluster: read only this namespace.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (YAML).")
@click.option("-o", "--output", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output-file", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="high",
    show_default=True,
    help="Exit 1 when a finding has at least this severity.",
)
@click.option("--checks", "only", multiple=True, help="Run only these check ids (comma-separated).")
@click.option("--skip", multiple=True, help="Do not run these check ids (comma-separated).")
@click.option("--lenient", is_flag=True, help="Input errors do not change the exit code.")
def scan(
    paths: tuple[str, ...],
    cluster: bool,
    kube_context: str | None,
    namespace: str | None,
    config_path: str | None,
    fmt: str,
    output_file: str | None,
    fail_on: str,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    lenient: bool,
) -> None:
    """Scan manifests (files, folders, or - for stdin) or a live cluster."""
    if not paths and not cluster:
        raise click.UsageError("give PATH ... (or - for stdin), or --cluster")
    registry = default_registry()
    try:
        config = load_config(config_path)
        params = resolve_params(registry, config)
        checks = select_checks(registry, config, _split_ids(only), _split_ids(skip))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    loaded = _load(paths, cluster, kube_context, namespace)
    inventory = Inventory(loaded.objects, live=cluster)
    evaluation = evaluate(inventory, checks, config, params, Capabilities(live=cluster))
    evaluation.errors[:0] = [*loaded.errors, *inventory.errors]
    refine_lines(evaluation.errors, loaded.texts)
    report = ScanReport(evaluation, checks, documents=loaded.documents, objects=len(loaded.objects))
    _emit(report, fmt, output_file)
    sys.exit(_exit_code(report, Severity(fail_on), lenient))


def _load(paths: Sequence[str], cluster: bool, context: str | None, namespace: str | None) -> LoadResult:
    result = LoadResult()
    if cluster:
        from kgov.sources.cluster import load_cluster

        result.extend(load_cluster(context, namespace))
    sources, errors = discover(paths)
    result.errors.extend(errors)
    stdin_text = sys.stdin.read() if STDIN in sources else None
    with _progress(len(sources)) as advance:
        for source in sources:
            result.extend(read_source(source, stdin_text))
            advance()
    return result


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal for long scans; nothing at all when stderr is piped."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("scanning", total=total)
        yield lambda: progress.advance(task)


def _emit(report: ScanReport, fmt: str, output_file: str | None) -> None:
    if fmt == "table":
        color = output_file is None and sys.stdout.isatty()
        text = render_table(report, color=color)
    else:
        text = RENDERERS[fmt](report)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _exit_code(report: ScanReport, fail_on: Severity, lenient: bool) -> int:
    errors = report.evaluation.errors
    if any(e.kind == "internal" for e in errors) or (errors and not lenient):
        return EXIT_INPUT
    if any(f.severity.at_least(fail_on) for f in report.evaluation.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@main.command("checks")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
def list_checks(fmt: str) -> None:
    """List every registered check with its metadata."""
    from kgov.report.catalog import render_catalog

    click.echo(render_catalog(default_registry(), fmt), nl=False)
