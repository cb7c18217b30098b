"""`kgov gate migration`: per-Ingress readiness for the move to Gateway API, with parity and policy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from kgov.analysis import resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.checks.params import PrefixParams
from kgov.commands.common import InputProblem, annotation_counts
from kgov.commands.options import input_options, report_options
from kgov.commands.pipeline import Output, Source, analyse, finish
from kgov.config import ConfigError, find_config, load_config
from kgov.findings.model import Category, Severity
from kgov.migration.readiness import BLOCKED, BLOCKING, readiness
from kgov.model.facts import Baseline
from kgov.sources.files import MANIFEST_SUFFIXES, LoadResult, load_paths, load_text

NEW_INGRESS = "migration.new-ingress"


@click.group()
def gate() -> None:
    """Gates for CI: fail a change that would break something."""


@gate.command()
@input_options("Read the current kube context (list only, never write).")
@report_options("Exit 1 when a finding has at least this severity (a blocked Ingress always does).")
@click.option(
    "--base", help="Git ref or folder holding the previous state (for migration.forbid_new_ingress)."
)
def migration(
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
    base: str | None,
) -> None:
    """Readiness of each Ingress for Gateway API: annotations, semantic gaps, route and TLS parity."""
    if not paths and not cluster:
        raise click.UsageError("give PATH ... (or - for stdin), or --cluster")
    registry = default_registry()
    try:
        config = load_config(config_path or find_config(Path.cwd()))
        params = resolve_params(registry, config)
        only = [s.id for s in registry if s.category is Category.MIGRATION]
        if not config.migration.forbid_new_ingress:
            only.remove(NEW_INGRESS)
        checks = select_checks(registry, config, only)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if base is not None and not config.migration.forbid_new_ingress:
        raise InputProblem(
            "--base is read only for migration.forbid_new_ingress, which the config does not enable "
            "(enable it, or leave --base out)"
        )
    baseline = _baseline(base, paths) if base is not None else None
    source = Source(paths, cluster, kube_context, namespace, complete)
    analysis = analyse(source, checks, config, params, baseline=baseline, title="kgov gate migration")
    report, inventory = analysis.report, analysis.inventory
    ingresses = [v for v in inventory.network.ingresses if config.namespaces.allows(v.obj.namespace)]
    prefix = _prefix_params(params["migration.untranslatable-annotation"]).annotation_prefix
    report.migration = readiness(inventory, ingresses, report.evaluation.findings, prefix)
    if fmt == "html":
        annotation_counts(report, inventory, params)
    # A finding that blocks an Ingress (high or above) fails the gate whatever --fail-on says, so the
    # formats that mark failures (JUnit) count it as one too.
    failing = min(Severity(fail_on), BLOCKING, key=lambda s: s.rank)
    output = Output(fmt, output_file, failing, lenient, quiet, max_chars)
    finish(report, output, failed=report.migration.verdict == BLOCKED)


def _prefix_params(params: object) -> PrefixParams:
    return params if isinstance(params, PrefixParams) else PrefixParams.model_validate({})


# ---- the baseline ---------------------------------------------------------------------------------


def _baseline(base: str, paths: tuple[str, ...]) -> Baseline:
    """The state at the base: a folder, or a git ref read with `git ls-tree`/`git show` from the
    current directory, limited to the PATHs given (the whole tree for stdin)."""
    loaded = load_paths([base]) if Path(base).is_dir() else _git_objects(base, paths)
    return Baseline.of(loaded.objects)


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise click.UsageError(f"--base: cannot run git: {exc}") from None


def _git_objects(ref: str, paths: tuple[str, ...]) -> LoadResult:
    if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise click.UsageError(f"--base {ref}: neither a folder nor a git ref of the repository here")
    specs = [p for p in paths if p != "-"] or ["."]
    listed = _git("ls-tree", "-r", "--name-only", ref, "--", *specs)
    if listed.returncode != 0:
        raise click.UsageError(
            f"--base {ref}: git ls-tree failed: {listed.stderr.decode(errors='replace').strip()}"
        )
    result = LoadResult()
    for name in listed.stdout.decode().splitlines():
        if not name.endswith(MANIFEST_SUFFIXES):
            continue
        shown = _git("show", f"{ref}:./{name}")
        if shown.returncode == 0:
            result.extend(load_text(shown.stdout.decode("utf-8", errors="replace"), f"{ref}:{name}"))
    return result
