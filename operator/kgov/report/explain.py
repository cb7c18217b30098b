"""Why a check matters, where its rule comes from, and a bad and a good manifest: `kgov explain CHECK`
and the check reference (docs/checks.md) render the same content.

The prose is the check's (`why`, `sources` in `kgov/data/checks.yaml`); the manifests sit beside it
(`kgov/data/explain/<check>/bad.yaml`, `good.yaml`) and the test suite runs them like fixtures, so
the bad one always fires and the good one never does.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from kgov.checks.registry import CheckSpec, Source
from kgov.data import data_text
from kgov.report.reference import needs_doc, params_doc

MAX_EXAMPLE_LINES = 40  # longer manifests are cut in the display, with a count of what was cut
_TEST_HEADER = "# kgov-test:"


@dataclass(frozen=True, slots=True)
class Explanation:
    bad: str
    good: str
    measured: bool  # the examples are decided with Prometheus measurements kept beside them


MEASURED_NOTE = (
    "(decided with Prometheus measurements of these objects, as `kgov scan --prometheus` takes them)"
)


def explanation(check: str) -> Explanation:
    return Explanation(
        bad=example_text(check, "bad"),
        good=example_text(check, "good"),
        measured=_has_evidence(check),
    )


def _has_evidence(check: str) -> bool:
    try:
        data_text(f"explain/{check}/bad.evidence.yaml")
    except FileNotFoundError:
        return False
    return True


def example_text(check: str, role: str) -> str:
    """The manifest as shown: without the test harness's header line, cut at `MAX_EXAMPLE_LINES`."""
    lines = [
        line
        for line in data_text(f"explain/{check}/{role}.yaml").splitlines()
        if not line.startswith(_TEST_HEADER)
    ]
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) > MAX_EXAMPLE_LINES:
        cut = len(lines) - MAX_EXAMPLE_LINES
        lines = [*lines[:MAX_EXAMPLE_LINES], f"# … {cut} more lines"]
    return "\n".join(lines) + "\n"


def _indent(text: str, pad: str = "    ") -> str:
    return "".join(pad + line + "\n" if line else "\n" for line in text.splitlines())


def render_explain(spec: CheckSpec, width: int = 100) -> str:
    """Plain text for the terminal, prose wrapped at `width`."""
    about = explanation(spec.id)

    def para(text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(
            text, width=max(width, 40), subsequent_indent=indent + "  ", initial_indent=indent
        )

    lines = [
        f"{spec.id}: {spec.title}",
        f"severity {spec.severity.value} · category {spec.category.value} · needs {needs_doc(spec)}",
        "",
        *para(f"When: {spec.condition}"),
        "",
        *para(f"Why it matters: {spec.why}"),
        "",
        "Sources:",
        *(f"  - {s.title}: {s.url}" for s in spec.sources),
        "",
        *para(f"Fix: {spec.remediation}"),
    ]
    params = params_doc(spec.params)
    if params:
        lines += ["", "Params (config: checks.<id>.params):"]
        for p in params:
            lines += para(f"- {p['name']} (default {p['default']}): {p['description']}", "  ")
    text = "\n".join(lines) + "\n"
    if about.measured:
        text += f"\n{MEASURED_NOTE}\n"
    text += f"\nBad (the check fires):\n\n{_indent(about.bad)}"
    text += f"\nGood (the check stays quiet):\n\n{_indent(about.good)}"
    return text


def _link(source: Source) -> str:
    url = source.url
    if not url.startswith(("http://", "https://")):
        url = url.removeprefix("docs/")  # docs/checks.md links its neighbours relatively
    return f"[{source.title}]({url})"


def explain_markdown(spec: CheckSpec) -> list[str]:
    """The same content for docs/checks.md (below the metadata lines of the check's section)."""
    about = explanation(spec.id)
    return [
        f"- **Why it matters:** {spec.why}",
        "- **Sources:** " + "; ".join(_link(s) for s in spec.sources),
        "",
        "<details><summary>Bad and good manifests</summary>",
        "",
        *([MEASURED_NOTE, ""] if about.measured else []),
        "Bad (the check fires):",
        "",
        "```yaml",
        about.bad.rstrip("\n"),
        "```",
        "",
        "Good (the check stays quiet):",
        "",
        "```yaml",
        about.good.rstrip("\n"),
        "```",
        "",
        "</details>",
    ]
