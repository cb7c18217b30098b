"""`-o html`: one self-contained page (no network, no CDN) for people who would rather look than read.

Charts are SVG drawn here, so the page shows them without scripts; a small script only sorts and filters
the findings table. The report's data rides in the page as JSON (the `-o json` shape), escaped so no
name or message can close the script element or inject markup.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from html import escape
from importlib.resources import files
from typing import Any

from kgov.report.model import DEFAULT_OPTIONS, SEVERITY_ORDER, RenderOptions, ScanReport, report_dict

_BAR_HEIGHT = 22
_LABEL_WIDTH = 260
_BAR_WIDTH = 360
_TOP = 12  # rows shown in a ranking chart; the rest are summed into one "N more" row
SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#c2410c",
    "medium": "#b45309",
    "low": "#2563eb",
    "info": "#6b7280",
}
# The page loads nothing and sends nothing: inline style and script only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'"
)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
VERDICT_COLOURS = {"blocked": "#b91c1c", "needs-review": "#b45309", "ready": "#15803d"}


def _asset(name: str) -> str:
    return files("kgov.report").joinpath("assets", name).read_text(encoding="utf-8")


def _bars(title: str, rows: Iterable[tuple[str, int, str]], marks: Iterable[tuple[int, str]] = ()) -> str:
    """A horizontal bar chart: (label, value, colour) rows, optional vertical marks (value, label)."""
    listed = list(rows)
    if not listed:
        return (
            f'<figure class="chart"><figcaption>{escape(title)}</figcaption><p class="none">none</p></figure>'
        )
    marks = list(marks)
    top = max([value for _, value, _ in listed] + [value for value, _ in marks]) or 1
    height = _BAR_HEIGHT * len(listed) + 18
    parts = [
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {_LABEL_WIDTH + _BAR_WIDTH + 60} {height}" '
        f'width="{_LABEL_WIDTH + _BAR_WIDTH + 60}" height="{height}">'
    ]
    for index, (label, value, colour) in enumerate(listed):
        y = index * _BAR_HEIGHT
        width = max(1, round(_BAR_WIDTH * value / top))
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(_clip(label))}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{_BAR_HEIGHT - 6}" fill="{colour}"/>'
            f'<text x="{_LABEL_WIDTH + width + 4}" y="{y + 15}">{value}</text></g>'
        )
    for value, label in marks:
        x = _LABEL_WIDTH + round(_BAR_WIDTH * value / top)
        parts.append(
            f'<line class="mark" x1="{x}" x2="{x}" y1="0" y2="{height - 14}"/>'
            f'<text class="mark" x="{x}" y="{height - 2}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _clip(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _ranked(counts: Counter[str], colour: str) -> list[tuple[str, int, str]]:
    ranked = counts.most_common()
    rows = [(label, value, colour) for label, value in ranked[:_TOP]]
    rest = ranked[_TOP:]
    if rest:
        rows.append((f"{len(rest)} more", sum(v for _, v in rest), "#9ca3af"))
    return rows


def _charts(data: dict[str, Any], report: ScanReport) -> str:
    findings = data["findings"]
    by_severity = data["summary"]["by_severity"]
    charts = [
        _bars(
            "Findings by severity",
            [(s.value, by_severity[s.value], SEVERITY_COLOURS[s.value]) for s in SEVERITY_ORDER],
        ),
        _bars("Findings by check", _ranked(Counter(f["check"] for f in findings), "#4f46e5")),
        _bars(
            "Findings by namespace",
            _ranked(Counter(f["target"]["namespace"] or "(cluster)" for f in findings), "#0e7490"),
        ),
    ]
    migration = data.get("migration")
    if migration:
        verdicts = Counter(i["verdict"] for i in migration["ingresses"])
        charts.append(
            _bars(
                "Migration readiness (Ingresses)",
                [(v, verdicts[v], VERDICT_COLOURS[v]) for v in VERDICT_COLOURS if verdicts[v]],
            )
        )
    if report.annotations:
        warn, high = report.annotation_bands
        rows = sorted(report.annotations, key=lambda a: (-a.count, a.ingress.namespace or "", a.ingress.name))
        charts.append(
            _bars(
                "Controller annotations per Ingress",
                [
                    (_where(a.ingress.namespace, a.ingress.name), a.count, _band_colour(a.count, warn, high))
                    for a in rows[:_TOP]
                ],
                [(warn, f"{warn}"), (high, f"{high}")],
            )
        )
    return "".join(charts)


def _band_colour(count: int, warn: int, high: int) -> str:
    if count >= high:
        return SEVERITY_COLOURS["high"]
    return SEVERITY_COLOURS["low"] if count > warn else "#15803d"


def _where(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _checks(report: ScanReport) -> dict[str, dict[str, str]]:
    return {
        spec.id: {"title": spec.title, "why": spec.condition, "docs": spec.docs} for spec in report.checks
    }


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `</`, `<!--` or U+2028/9 can end or confuse it."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_html(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    data = report_dict(report)
    summary = data["summary"]
    cards = "".join(
        f'<div class="card sev-{s.value}"><b>{summary["by_severity"][s.value]}</b>{s.value}</div>'
        for s in SEVERITY_ORDER
    )
    verdict = ""
    if report.migration is not None:
        verdict = f'<div class="card verdict-{escape(report.migration.verdict)}"><b>{escape(report.migration.verdict)}</b>migration</div>'
    page = _asset("report.html")
    replacements = {
        "title": escape(report.title),
        "csp": CONTENT_SECURITY_POLICY,
        "version": escape(report.version),
        "style": _asset("report.css"),
        "script": _asset("report.js"),
        "headline": escape(
            f"{summary['findings']} findings in {summary['objects']} objects"
            f" ({summary['documents']} documents)"
        ),
        "cards": verdict + cards,
        "charts": _charts(data, report),
        "data": _script_json({"report": data, "checks": _checks(report)}),
    }
    # One pass, so nothing substituted is itself read as a placeholder.
    return _PLACEHOLDER.sub(lambda match: replacements[match.group(1)], page)
