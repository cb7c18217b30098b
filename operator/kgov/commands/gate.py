"""`kgov gate migration`: per-Ingress readiness for the move to Gateway API, with parity and policy."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import click
import yaml
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
from kgov.checks.catalog import default_registry
from kgov.checks.ingress import PrefixParams
from kgov.checks.migration import NewIngressParams, ingress_key
from kgov.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    exit_code,
    input_options,
    load_input,
    report_options,
    scope_inventory,
)
from kgov.config import ConfigError, load_config
from kgov.findings.model import Category, Severity
from kgov.migration.readiness import BLOCKED, NEEDS_REVIEW, READY, IngressReadiness, Readiness, readiness
from kgov.report.formats import RENDERERS
from kgov.report.markdown import MARKER, code, escape
from kgov.report.markdown import render_markdown as render_findings_markdown
from kgov.report.model import ScanReport, report_dict
from kgov.report.table import render_table
from kgov.sources.files import MANIFEST_SUFFIXES, LoadResult, load_paths, load_text
from kgov.sources.locate import refine_lines

NEW_INGRESS = "migration.new-ingress"
VERDICT_ICONS = {READY: "✅", NEEDS_REVIEW: "🟠", BLOCKED: "⛔"}
MAX_MISMATCH_ROWS = 50  # per Ingress in the Markdown comment
VERDICT_STYLES = {READY: "green", NEEDS_REVIEW: "yellow", BLOCKED: "bold red"}


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
    base: str | None,
    fmt: str,
    output_file: str | None,
    fail_on: str,
    lenient: bool,
) -> None:
    """Readiness of each Ingress for Gateway API: annotations, semantic gaps, route and TLS parity."""
    if not paths and not cluster:
        raise click.UsageError("give PATH ... (or - for stdin), or --cluster")
    registry = default_registry()
    try:
        config = load_config(config_path)
        params = resolve_params(registry, config)
        only = [s.id for s in registry if s.category is Category.MIGRATION]
        if not config.migration.forbid_new_ingress:
            only.remove(NEW_INGRESS)
        checks = select_checks(registry, config, only)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    baseline = _baseline(base, paths) if base is not None and config.migration.forbid_new_ingress else None
    if baseline is not None:
        params[NEW_INGRESS] = NewIngressParams.with_baseline(_prefix_params(params[NEW_INGRESS]), baseline)
    loaded = load_input(paths, cluster, kube_context, namespace)
    inventory = scope_inventory(loaded, cluster, namespace, config.scope.declared(complete))
    capabilities = Capabilities(live=cluster, base=baseline is not None)
    evaluation = evaluate(inventory, checks, config, params, capabilities)
    evaluation.errors[:0] = [*loaded.errors, *inventory.errors]
    refine_lines(evaluation.errors, loaded.texts)
    report = ScanReport(
        evaluation,
        checks,
        documents=loaded.documents,
        objects=len(loaded.objects),
        title="kgov gate migration",
    )
    ingresses = [v for v in inventory.network.ingresses if config.namespaces.allows(v.obj.namespace)]
    prefix = _prefix_params(params["migration.untranslatable-annotation"]).annotation_prefix
    result = readiness(inventory, ingresses, evaluation.findings, prefix)
    _write(render(report, result, fmt, output_file is None and sys.stdout.isatty()), output_file)
    code = exit_code(report, Severity(fail_on), lenient)
    sys.exit(EXIT_FINDINGS if code == EXIT_OK and result.verdict == BLOCKED else code)


def _prefix_params(params: object) -> PrefixParams:
    return params if isinstance(params, PrefixParams) else PrefixParams.model_validate({})


# ---- the baseline ---------------------------------------------------------------------------------


def _baseline(base: str, paths: tuple[str, ...]) -> frozenset[str]:
    """Ingresses (namespace/name) at the base: a folder, or a git ref read with `git ls-tree`/`git show`
    from the current directory, limited to the PATHs given (the whole tree for stdin)."""
    loaded = load_paths([base]) if Path(base).is_dir() else _git_objects(base, paths)
    return frozenset(ingress_key(o.namespace, o.name) for o in loaded.objects if o.kind == "Ingress")


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


# ---- rendering ------------------------------------------------------------------------------------


def _write(text: str, output_file: str | None) -> None:
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def render(report: ScanReport, result: Readiness, fmt: str, color: bool = False) -> str:
    if fmt in ("json", "yaml"):
        data = report_dict(report) | {"migration": result.as_dict()}
        text = json.dumps(data, indent=2, default=str) + "\n"
        return (
            text if fmt == "json" else yaml.safe_dump(json.loads(text), sort_keys=False, allow_unicode=True)
        )
    if fmt == "markdown":
        return render_markdown(report, result)
    if fmt == "table":
        return _render_table(result, color) + render_table(report, color=color)
    return RENDERERS[fmt](report)


def _ingresses(count: int) -> str:
    return f"{count} Ingress" if count == 1 else f"{count} Ingresses"


def _summary(result: Readiness) -> str:
    counts = {v: sum(1 for i in result.ingresses if i.verdict == v) for v in (BLOCKED, NEEDS_REVIEW, READY)}
    parts = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    return f"{result.verdict} — {_ingresses(len(result.ingresses))}" + (f": {parts}" if parts else "")


def _annotation_counts(item: IngressReadiness) -> str:
    counts: dict[str, int] = {}
    for mapped in item.annotations:
        counts[mapped.klass] = counts.get(mapped.klass, 0) + 1
    return " ".join(f"{k}×{n}" for k, n in sorted(counts.items())) or "none"


def _parity(item: IngressReadiness) -> str:
    found = len(item.parity.mismatches)
    return item.parity.status + (f" ({found})" if found else "")


def _render_table(result: Readiness, color: bool) -> str:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Verdict", "Ingress", "Annotations", "Parity", "Findings"):
        table.add_column(column, overflow="fold")
    for item in result.ingresses:
        table.add_row(
            Text(item.verdict, style=VERDICT_STYLES[item.verdict]),
            Text(item.view.obj.display()),
            Text(_annotation_counts(item)),
            Text(_parity(item)),
            Text(", ".join(sorted({f.check.split(".", 1)[1] for f in item.findings})) or "—"),
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=color, no_color=not color, highlight=False)
    console.print(Text(f"Migration verdict: {_summary(result)}", style=VERDICT_STYLES[result.verdict]))
    if result.ingresses:
        console.print(table)
    console.print()
    return buffer.getvalue()


def render_markdown(report: ScanReport, result: Readiness) -> str:
    lines = [
        MARKER,
        "### kgov gate migration",
        "",
        f"{VERDICT_ICONS[result.verdict]} **{escape(_summary(result))}**",
    ]
    if result.ingresses:
        lines += ["", "| Verdict | Ingress | Annotations | Parity | Findings |", "|---|---|---|---|---|"]
        for item in result.ingresses:
            checks = ", ".join(code(c, cell=True) for c in sorted({f.check for f in item.findings})) or "—"
            cells = [
                f"{VERDICT_ICONS[item.verdict]} {item.verdict}",
                code(item.view.obj.display(), cell=True),
                escape(_annotation_counts(item)),
                _parity(item),
                checks,
            ]
            lines.append("| " + " | ".join(cells) + " |")
    for item in result.ingresses:
        lines += _details(item)
    findings = render_findings_markdown(report).split("\n", 2)[2]
    lines += ["", "#### Findings", findings.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _details(item: IngressReadiness) -> list[str]:
    mismatches = item.parity.mismatches
    if not item.annotations and not mismatches:
        return []
    body = []
    if item.annotations:
        body += ["| Annotation | Class | Gateway API | Note |", "|---|---|---|---|"]
        for a in item.annotations:
            cells = [code(a.key, cell=True), escape(a.klass), escape(a.equivalent) or "—", escape(a.note)]
            body.append("| " + " | ".join(cells) + " |")
    if mismatches:
        body += ["", "| Probe | Ingress | Routes |", "|---|---|---|"]
        body += [
            f"| {code(m.probe, cell=True)} | {escape(m.ingress)} | {escape(m.routes)} |"
            for m in mismatches[:MAX_MISMATCH_ROWS]
        ]
        if len(mismatches) > MAX_MISMATCH_ROWS:
            body.append(f"\n…and {len(mismatches) - MAX_MISMATCH_ROWS} more (see `-o json`).")
    summary = f"{escape(item.view.obj.display())}: {item.verdict}, parity {item.parity.status}"
    return ["", "<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]
