"""The one analysis pipeline of `kgov scan` and `kgov gate migration`: read the input, build the
inventory, measure evidence, run the selected checks, and hand back a report; then render it in the
format asked for and pick the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import NamedTuple

import click
from pydantic import BaseModel

from kgov.analysis import Capabilities, Skipped, evaluate
from kgov.checks.registry import CheckSpec
from kgov.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    collector_paused,
    exit_code,
    helm_values_for,
    load_input,
    scope_inventory,
    stdout_is_terminal,
    write_file,
    write_output,
)
from kgov.commands.evidence import measure
from kgov.config import Config, PrometheusSettings
from kgov.findings.model import Category, Severity
from kgov.inventory import Inventory
from kgov.model.facts import Baseline, Facts
from kgov.report.baseline import BaselineError, apply_baseline, baseline_text, read_baseline
from kgov.report.choices import DEFAULT_MAX_CHARS, WIDTH_FORMATS
from kgov.report.formats import RENDERERS
from kgov.report.model import RenderOptions, ScanReport
from kgov.sources.locate import Locator, locate_findings, refine_lines
from kgov.sources.unbuilt import qualify_findings

DEFAULT_WIDTH = 120  # when neither COLUMNS nor a terminal says otherwise


class Source(NamedTuple):
    """Where the objects come from: PATHs (files, folders, `-`) and/or the live cluster."""

    paths: tuple[str, ...]
    cluster: bool = False
    context: str | None = None
    namespace: str | None = None
    complete: bool = False  # the input is everything in the namespaces it targets (`--complete`)
    exclude: tuple[str, ...] = ()  # `--exclude` globs, added to the config's `exclude:`
    helm_values: tuple[str, ...] = ()  # `--helm-values` files, for every chart folder


@dataclass(slots=True)
class Analysis:
    report: ScanReport
    inventory: Inventory


def analyse(
    source: Source,
    checks: list[CheckSpec],
    config: Config,
    params: dict[str, BaseModel],
    *,
    prometheus: PrometheusSettings | None = None,
    baseline: Baseline | None = None,
    title: str = "kgov scan",
) -> Analysis:
    """`prometheus`: where to measure evidence (None: not configured); `baseline`: the state to compare
    with (`gate migration --base`). Both reach the checks as the run's `Facts`."""
    with collector_paused():
        loaded = load_input(
            source.paths,
            source.cluster,
            source.context,
            source.namespace,
            [*config.exclude, *source.exclude],
            helm_values_for(config, source.helm_values),
        )
        declared = config.scope.declared(source.complete)
        inventory = scope_inventory(loaded, source.cluster, source.namespace, declared)
        evidence = None if prometheus is None else measure(inventory, prometheus, [c.id for c in checks])
        capabilities = Capabilities(live=source.cluster, prometheus=prometheus is not None)
        facts = Facts(evidence=evidence, baseline=baseline)
        evaluation = evaluate(inventory, checks, config, params, capabilities, facts=facts)
        if any(f.category is Category.MIGRATION for f in evaluation.findings):
            from kgov.migration.conflicts import fold_order_conflicts  # the migration models load lazily

            fold_order_conflicts(evaluation.findings)
        for finding, why in qualify_findings(evaluation.findings, loaded.unbuilt):
            evaluation.skipped.append(Skipped(finding.check, why, finding.target))
        evaluation.errors[:0] = [*loaded.errors, *inventory.errors]
        # Composing the located documents allocates a node per scalar: with the collector on, each
        # collection walked the whole analysis again (a third of a generated set's process time).
        locator = Locator(loaded.texts)
        locate_findings(evaluation.findings, locator)
        refine_lines(evaluation.errors, locator)
        if loaded.rendered:  # rendering (and its subprocess machinery) is imported only to render
            from kgov.sources.render import map_to_templates

            map_to_templates(evaluation.findings, evaluation.errors, loaded)
    report = ScanReport(
        evaluation,
        checks,
        documents=loaded.documents,
        objects=len(loaded.objects),
        title=title,
        not_manifests=len(loaded.not_manifests),
        notes=loaded.notes,
    )
    return Analysis(report, inventory)


class Output(NamedTuple):
    """The report options every analysing command takes (see `options.report_options`)."""

    fmt: str = "table"
    file: str | None = None
    fail_on: Severity = Severity.HIGH
    lenient: bool = False
    quiet: bool = False
    max_chars: int = DEFAULT_MAX_CHARS

    def render_options(self) -> RenderOptions:
        to_terminal = self.file is None and stdout_is_terminal()
        return RenderOptions(
            fail_on=self.fail_on,
            width=terminal_width() if self.fmt in WIDTH_FORMATS else DEFAULT_WIDTH,
            color=to_terminal and not os.environ.get("NO_COLOR"),
            quiet=self.quiet,
            max_chars=self.max_chars,
        )


def terminal_width() -> int:
    import shutil  # with the compressors it imports, only for a format that reads the width

    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def emit(report: ScanReport, output: Output) -> None:
    write_output(RENDERERS[output.fmt](report, output.render_options()), output.file)


def use_baseline(report: ScanReport, write: str | None, read: str | None) -> None:
    """`--write-baseline FILE` records every finding of the run; `--baseline FILE` then leaves out
    the findings it records (before rendering, so no format and no exit code sees them)."""
    if write is not None:
        write_file(write, baseline_text(report.evaluation.findings, report.version))
    if read is not None:
        try:
            known = read_baseline(read)
        except BaselineError as exc:
            raise click.UsageError(str(exc)) from None
        new, result = apply_baseline(report.evaluation.findings, known, read)
        report.evaluation.findings = new
        report.baseline = result


def finish(report: ScanReport, output: Output, *, failed: bool = False, findings_fail: bool = True) -> None:
    """Emit the report and exit: 2 on errors, 1 on findings at or above `--fail-on` (unless not
    `findings_fail`, as when writing a baseline) or when the caller says the run `failed` (a blocked
    migration), else 0."""
    with collector_paused():  # rendering allocates as much again as the analysis
        emit(report, output)
    code = exit_code(report, output.fail_on, output.lenient)
    if code == EXIT_FINDINGS and not findings_fail:
        code = EXIT_OK
    sys.exit(EXIT_FINDINGS if code == EXIT_OK and failed else code)
