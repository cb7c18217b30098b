"""`kgov convert`: Ingress → Gateway API YAML on stdout (or a file), what was not carried over on stderr."""

from __future__ import annotations

import json
import sys

import click

from kgov import escape
from kgov.commands.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    InputProblem,
    load_input,
    scope_inventory,
    write_file,
    write_output,
)
from kgov.commands.options import input_options
from kgov.inventory.scope import Declared
from kgov.migration.convert import convert, render_yaml
from kgov.migration.convert_model import Conversion, ConvertOptions
from kgov.model.names import label_problem, subdomain_problem
from kgov.sources.locate import refine_lines


@click.command("convert")
@input_options("Read Ingresses from the current kube context (read only).")
@click.option("--gateway", help="Gateway name (default: the ingress class name).")
@click.option(
    "--gateway-namespace", help="Put one shared Gateway in this namespace (default: each Ingress's own)."
)
@click.option("--gateway-class", help="gatewayClassName of the Gateways (default: the ingress class name).")
@click.option(
    "--listeners",
    type=click.Choice(["per-host", "shared"]),
    default="per-host",
    show_default=True,
    help="One HTTP/HTTPS listener pair per hostname, or one of each shared by all hostnames.",
)
@click.option("--output-file", type=click.Path(dir_okay=False), help="Write the YAML here instead of stdout.")
@click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), help="Also write the notes as JSON."
)
@click.option(
    "--allow-gaps",
    is_flag=True,
    help="Exit 0 although something was not carried over (the notes on stderr still list it).",
)
def convert_command(
    paths: tuple[str, ...],
    cluster: bool,
    kube_context: str | None,
    namespace: str | None,
    complete: bool,
    gateway: str | None,
    gateway_namespace: str | None,
    gateway_class: str | None,
    listeners: str,
    output_file: str | None,
    report_file: str | None,
    allow_gaps: bool,
) -> None:
    """Convert Ingresses (files, folders, - for stdin, or --cluster) to Gateway API objects.

    The output is checked with the gate's parity model before it is written: every request it would
    answer differently from ingress-nginx is listed as not carried over. Exit 0 when everything was
    carried over (or with --allow-gaps), 1 when something was not (see stderr), 2 on input errors.
    """
    if not paths and not cluster:
        raise click.UsageError("give PATH ... (or - for stdin), or --cluster")
    _check_names(gateway, gateway_namespace, gateway_class)
    loaded = load_input(paths, cluster, kube_context, namespace)
    inventory = scope_inventory(loaded, cluster, namespace, Declared(everything=complete))
    errors = [*loaded.errors, *inventory.errors]
    refine_lines(errors, loaded.texts)
    options = ConvertOptions(
        gateway, gateway_namespace, gateway_class, "shared" if listeners == "shared" else "per-host"
    )
    conversion = convert(inventory, options)
    text = render_yaml(conversion)
    if output_file or text:
        write_output(text, output_file)
    for error in errors:
        click.echo(escape.terminal(f"error: {error}"), err=True)
    _report_notes(conversion)
    if report_file:
        write_file(report_file, _report_json(conversion))
    if errors:
        sys.exit(EXIT_INPUT)
    sys.exit(EXIT_FINDINGS if conversion.blocked and not allow_gaps else EXIT_OK)


def _check_names(gateway: str | None, namespace: str | None, gateway_class: str | None) -> None:
    """The names given on the command line become object names: they must be valid ones."""
    for option, value, problem in (
        ("--gateway", gateway, subdomain_problem),
        ("--gateway-namespace", namespace, label_problem),
        ("--gateway-class", gateway_class, subdomain_problem),
    ):
        reason = problem(value) if value is not None else None
        if reason:
            raise InputProblem(f"{option} {escape.quoted(value or '')}: {reason}")


def _report_notes(conversion: Conversion) -> None:
    if conversion.ingresses == 0:
        click.echo("no Ingress in the input", err=True)
    for note in sorted(conversion.notes, key=lambda n: (n.namespace or "", n.ingress)):
        line = f"{note.level}: Ingress {note.source()}: {note.key} [{note.klass}]: {note.reason}"
        click.echo(escape.terminal(line), err=True)
    blocked = len(conversion.blocked_ingresses())
    if conversion.ingresses:
        click.echo(
            f"{conversion.ingresses} Ingress(es) converted to {len(conversion.objects)} object(s); "
            f"{blocked} with something not carried over",
            err=True,
        )


def _report_json(conversion: Conversion) -> str:
    data = {
        "ingresses": conversion.ingresses,
        "objects": [{"kind": g.kind, "name": g.name, "sources": g.sources} for g in conversion.objects],
        "blocked": conversion.blocked,
        "notes": [n.as_dict() for n in conversion.notes],
    }
    return json.dumps(data, indent=2) + "\n"
