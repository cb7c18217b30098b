"""Plumbing shared by the `kgov` subcommands: reading input, progress, emitting reports, exit codes."""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import BaseModel

from kgov import escape
from kgov.commands.extras import missing_extra
from kgov.config import Config
from kgov.decode import decode, read_stream
from kgov.findings.model import Severity
from kgov.inventory import Inventory
from kgov.inventory.scope import Declared, Listing
from kgov.model.errors import InputError
from kgov.report.model import AnnotationCount, ScanReport
from kgov.sources.discovery import STDIN, plan_inputs
from kgov.sources.files import LoadResult, read_source

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
PROGRESS_THRESHOLD = 200  # files
RENDER_WORKERS = 4  # helm and kustomize processes at once


def load_input(
    paths: Sequence[str],
    cluster: bool,
    context: str | None,
    namespace: str | None,
    exclude: Sequence[str] = (),
    helm_values: Callable[[Path], list[str]] = lambda chart: [],
) -> LoadResult:
    """Read the objects of a cluster, files, folders and stdin; render the charts and build the
    kustomizations among them. `helm_values` gives the values files for a chart folder."""
    result = LoadResult()
    if cluster:
        missing = missing_extra("cluster")
        if missing:
            raise click.UsageError(missing)
        from kgov.sources.cluster import load_cluster

        result.extend(load_cluster(context, namespace))
    plan = plan_inputs(paths, exclude)
    sources = plan.files
    result.errors.extend(plan.errors)
    result.not_manifests.extend(plan.not_manifests)
    stdin_text = None
    if STDIN in sources:
        stdin_text, problem = read_stdin()
        if problem:
            result.errors.append(InputError(STDIN, None, problem))
            sources = [s for s in sources if s != STDIN]
    with progress(len(sources)) as advance:
        for source in sources:
            result.extend(read_source(source, stdin_text))
            advance()
    if plan.charts or plan.kustomizations:
        # The tools run as separate processes: a few at a time, results kept in input order.
        from concurrent.futures import ThreadPoolExecutor

        from kgov.sources.render import build_kustomization, drop_repeats, render_chart

        with ThreadPoolExecutor(max_workers=RENDER_WORKERS) as pool:
            charts = [pool.submit(render_chart, chart, helm_values(chart)) for chart in plan.charts]
            builds = [pool.submit(build_kustomization, folder) for folder in plan.kustomizations]
            for done in [*charts, *builds]:
                result.extend(done.result())
        result.objects = drop_repeats(result.objects)
    return result


def helm_values_for(config: Config, given: Sequence[str]) -> Callable[[Path], list[str]]:
    """The values files for a chart folder: those the config lists for it, then `--helm-values`."""

    def values(chart: Path) -> list[str]:
        listed = next((v for k, v in config.helm.values.items() if Path(k) == chart), [])
        return [*listed, *given]

    return values


def scope_inventory(
    loaded: LoadResult, cluster: bool, namespace: str | None, declared: Declared
) -> Inventory:
    """One scope from everything named on the command line: the files layered over the cluster
    listing when there is one (an object in both: the file's copy wins)."""
    objects = loaded.objects
    if cluster:
        from_files = {obj.key for obj in objects if obj.location is not None}
        objects = [obj for obj in objects if obj.location is not None or obj.key not in from_files]
    listing = Listing(frozenset(loaded.listed), namespace) if cluster else None
    return Inventory(objects, live=cluster, declared=declared, listing=listing)


def read_stdin() -> tuple[str, str | None]:
    """The text on stdin, decoded like a file, and why it could not be read (or None)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        return "", "stdin is closed"
    try:
        data = read_stream(stream)
    except (OSError, ValueError) as exc:
        return "", f"cannot read stdin: {exc}"
    text = decode(data)
    if text is None:
        return "", "stdin is not text (binary, or not UTF-8, UTF-16 or UTF-32)"
    return text, None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a scan builds its objects.

    A scan builds one large graph of documents and projections that lives until the report is out;
    the collector would walk that growing graph again and again and find almost nothing to free (a
    third of the analysis time on large sets). Plain reference counting still frees everything else
    as usual.

    When the collector resumes, what the pause built joins its oldest generation (a `gc.freeze`
    undone at once: both only move lists, and the freeze zeroes the young generation's count).
    Resumed as it was, the next young collection would walk all of it, and each older one again (a
    fifth of a generated set's process time); in the oldest it waits for a full collection, and is
    freed like anything else once the caller lets go of it. A program that froze objects of its own
    keeps them frozen (the collector then walks what the pause built once).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@contextmanager
def progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal for long scans; nothing at all when stderr is piped."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("scanning", total=total)
        yield lambda: progress.advance(task)


class InputProblem(click.ClickException):
    """A problem with what the user gave (an option, a file to write): the message, and exit 2."""

    exit_code = EXIT_INPUT


def write_file(path: str, text: str) -> None:
    """Write `text` to `path`, created or truncated, never through a symbolic link at `path` (a link
    planted there would redirect the write to its target). Any failure is an InputProblem."""
    text = encodable(text)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        reason = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputProblem(f"cannot write {escape.quoted(path)}: {reason}") from None


def encodable(text: str) -> str:
    """`text` with lone surrogates (from JSON `\\ud800` escapes in input) shown as escapes: they
    cannot be encoded, and would otherwise lose the whole report."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def write_output(text: str, output_file: str | None) -> None:
    """The report to `output_file`, or to stdout (which may be closed, or a full disk)."""
    if output_file:
        write_file(output_file, text)
        return
    if sys.stdout is None:
        raise InputProblem("cannot write the report: stdout is closed")
    try:
        click.echo(encodable(text), nl=False)
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputProblem(f"cannot write the report to stdout: {reason}") from None


def stdout_is_terminal() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def exit_code(report: ScanReport, fail_on: Severity, lenient: bool) -> int:
    errors = report.evaluation.errors
    if any(e.kind == "internal" for e in errors) or (errors and not lenient):
        return EXIT_INPUT
    if any(f.severity.at_least(fail_on) for f in report.evaluation.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def annotation_counts(report: ScanReport, inventory: Inventory, params: Mapping[str, BaseModel]) -> None:
    """Give the report every Ingress's controller-annotation count and the sprawl bands (HTML charts)."""
    from kgov.checks.params import SprawlParams
    from kgov.domain.annotations import controller_keys

    sprawl = params.get("ingress.annotation-sprawl")
    bands = sprawl if isinstance(sprawl, SprawlParams) else SprawlParams.model_validate({})
    network = inventory.network
    report.annotation_bands = (bands.warn, bands.high)
    report.annotations = [
        AnnotationCount(view.obj.ref, len(controller_keys(view, network, bands.annotation_prefix)))
        for view in network.ingresses
    ]
