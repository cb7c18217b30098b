"""Every output format of `kgov scan` and `kgov gate migration`, by its `-o` name."""

from __future__ import annotations

import json
from collections.abc import Callable

import yaml

from kgov.report.codequality import render_codequality
from kgov.report.compact import render_compact
from kgov.report.github import render_github
from kgov.report.html import render_html
from kgov.report.junit import render_junit
from kgov.report.markdown import render_markdown
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport, report_dict
from kgov.report.policyreport import render_openreports, render_wgpolicyk8s
from kgov.report.sarif import render_sarif
from kgov.report.table import render_table


def render_json(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return json.dumps(report_dict(report), indent=2, default=str) + "\n"


def render_yaml(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return yaml.safe_dump(json.loads(render_json(report)), sort_keys=False, allow_unicode=True)


Renderer = Callable[[ScanReport, RenderOptions], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "compact": render_compact,
    "github": render_github,
    "json": render_json,
    "yaml": render_yaml,
    "sarif": render_sarif,
    "junit": render_junit,
    "codequality": render_codequality,
    "markdown": render_markdown,
    "html": render_html,
    "policyreport": render_openreports,
    "policyreport-wgpolicyk8s": render_wgpolicyk8s,
}
