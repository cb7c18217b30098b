"""The options the `kgov` subcommands share, importable without what the commands run (so that
`kgov version` and `kgov --help` import almost nothing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import click

from kgov.findings.severity import Severity
from kgov.report.choices import DEFAULT_MAX_CHARS, FORMATS

SEVERITIES = [s.value for s in Severity]

F = TypeVar("F", bound=Callable[..., object])


def input_options(cluster_help: str) -> Callable[[F], F]:
    """PATH ... and the live-cluster options every reading subcommand takes."""

    def decorate(fn: F) -> F:
        for option in reversed(
            (
                click.argument("paths", nargs=-1),
                click.option("--cluster", is_flag=True, help=cluster_help),
                click.option("--context", "kube_context", help="Kube context to use with --cluster."),
                click.option("--namespace", "-n", help="With --cluster: read only this namespace."),
                click.option(
                    "--complete",
                    is_flag=True,
                    help="The input is everything in the namespaces it targets: an object it does not "
                    "define does not exist (see docs/configuration.md#scope-and-completeness).",
                ),
            )
        ):
            fn = option(fn)
        return fn

    return decorate


def report_options(fail_on_help: str) -> Callable[[F], F]:
    """--config, the report's format and file, --fail-on, --lenient, --quiet and --max-chars: what every
    gating command takes."""

    def decorate(fn: F) -> F:
        for option in reversed(
            (
                click.option(
                    "--config", "config_path", type=click.Path(dir_okay=False), help="Config file (YAML)."
                ),
                click.option(
                    "-o", "--output", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
                ),
                click.option("--output-file", type=click.Path(dir_okay=False), help="Write the report here."),
                click.option(
                    "--fail-on",
                    type=click.Choice(SEVERITIES),
                    default="high",
                    show_default=True,
                    help=fail_on_help,
                ),
                click.option("--lenient", is_flag=True, help="Input errors do not change the exit code."),
                click.option(
                    "-q", "--quiet", is_flag=True, help="Table: leave out the list of skipped checks."
                ),
                click.option(
                    "--max-chars",
                    type=click.IntRange(min=2_000),
                    default=DEFAULT_MAX_CHARS,
                    show_default=True,
                    help="Markdown: keep the report within this many characters (a GitHub comment "
                    "takes 65,536); the most severe findings are kept, and the rest counted.",
                ),
            )
        ):
            fn = option(fn)
        return fn

    return decorate


def split_ids(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
