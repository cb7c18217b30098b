"""The `kgov` command."""

from __future__ import annotations

import importlib

import click

from kgov import __version__
from kgov.commands.options import input_options, report_options, split_ids
from kgov.commands.plugins import without_pydantic_plugins
from kgov.findings.severity import Severity

without_pydantic_plugins()

# What a command runs is imported when it runs: `kgov version` and `kgov --help` import almost
# nothing, and `kgov scan` does not pay for the other subcommands. These are imported only to run
# (`kgov --help` lists them with the docstring read from their source).
LAZY_COMMANDS = {
    "convert": ("kgov.commands.convert", "convert_command"),
    "gate": ("kgov.commands.gate", "gate"),
    "run": ("kgov.commands.run", "run"),
}


class LazyGroup(click.Group):
    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, name = LAZY_COMMANDS[cmd_name]
            listed = _docstring(module, name) if self._listing else None
            if listed is not None:
                return click.Command(cmd_name, help=listed)
            found: click.Command = getattr(importlib.import_module(module), name)
            return found
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def _docstring(module: str, function: str) -> str | None:
    """The docstring of a module's function, read from its source without importing it (None when the
    source is not at hand)."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    with open(spec.origin, encoding="utf-8") as source:  # noqa: PTH123 (pathlib is not on this path)
        tree = ast.parse(source.read())
    found = (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return next((ast.get_docstring(n) for n in found), None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="kgov", message="%(prog)s %(version)s")
def main() -> None:
    """kube-governor: ingress, autoscaler and resource governance for Kubernetes."""


def program() -> None:
    """`kgov` as a process (the console script, `python -m kgov`): the command, then the interpreter's
    exit. What is left then is frozen: it goes with the process, and the interpreter's last
    collection would otherwise walk all of it first (every module's objects, and any reference cycle
    the command left)."""
    try:
        main()
    finally:
        import gc

        gc.freeze()


@main.command()
def version() -> None:
    """Print the version (also `kgov --version`)."""
    click.echo(f"kgov {__version__}")


@main.command()
@input_options("Read the current kube context (list only, never write).")
@report_options("Exit 1 when a finding has at least this severity.")
@click.option("--checks", "only", multiple=True, help="Run only these check ids (comma-separated).")
@click.option("--skip", multiple=True, help="Do not run these check ids (comma-separated).")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out paths matching GLOB (repeatable; adds to `exclude:` of the config).",
)
@click.option(
    "--helm-values",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Values file for `helm template` of every chart folder scanned (repeatable).",
)
@click.option(
    "--prometheus",
    "prometheus_url",
    metavar="URL",
    help="Prometheus to measure evidence from (overrides prometheus.url of the config).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Leave out (and do not fail on) the findings this baseline records; fail only on new ones.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Record every finding of this run in FILE (exit 0 unless input errors).",
)
def scan(
    paths: tuple[str, ...],
    cluster: bool,
    kube_context: str | None,
    namespace: str | None,
    complete: bool,
    config_path: str | None,
    fmt: str,
    output_file: str | None,
    fail_on: str,
    lenient: bool,
    quiet: bool,
    max_chars: int,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    exclude: tuple[str, ...],
    helm_values: tuple[str, ...],
    prometheus_url: str | None,
    baseline_file: str | None,
    write_baseline_file: str | None,
) -> None:
    """Scan manifests (files, folders, or - for stdin) or a live cluster."""
    from pathlib import Path

    from kgov.analysis import resolve_params, select_checks
    from kgov.checks.builtin import default_registry
    from kgov.commands.common import annotation_counts
    from kgov.commands.evidence import prometheus_settings
    from kgov.commands.pipeline import Output, Source, analyse, finish, use_baseline
    from kgov.config import ConfigError, find_config, load_config

    if not paths and not cluster:
        raise click.UsageError("give PATH ... (or - for stdin), or --cluster")
    registry = default_registry()
    try:
        config = load_config(config_path or find_config(Path.cwd()))
        params = resolve_params(registry, config)
        checks = select_checks(registry, config, split_ids(only), split_ids(skip))
        prometheus = prometheus_settings(config, prometheus_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    source = Source(paths, cluster, kube_context, namespace, complete, exclude, helm_values)
    measured = prometheus if prometheus.configured else None
    analysis = analyse(source, checks, config, params, prometheus=measured)
    if fmt == "html":
        annotation_counts(analysis.report, analysis.inventory, params)
    use_baseline(analysis.report, write_baseline_file, baseline_file)
    output = Output(fmt, output_file, Severity(fail_on), lenient, quiet, max_chars)
    finish(analysis.report, output, findings_fail=write_baseline_file is None)


def _complete_check(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from kgov.checks.builtin import default_registry

    return [spec.id for spec in default_registry() if spec.id.startswith(incomplete)]


@main.command()
@click.argument("check", shell_complete=_complete_check)
def explain(check: str) -> None:
    """Explain CHECK: why it matters and the source of the rule, a bad and a good manifest, the fix,
    its params."""
    import difflib
    import shutil

    from kgov.checks.builtin import default_registry
    from kgov.report.explain import render_explain

    registry = default_registry()
    if check not in registry:
        close = difflib.get_close_matches(check, registry.ids(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see `kgov checks`)"
        raise click.UsageError(f"no such check: {check}{hint}")
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(render_explain(registry.get(check), width), nl=False)


@main.command("checks")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
def list_checks(fmt: str) -> None:
    """List every registered check with its metadata."""
    from kgov.checks.builtin import default_registry
    from kgov.report.reference import render_reference

    click.echo(render_reference(default_registry(), fmt), nl=False)
