"""Render a scan report in the format asked for on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable

import yaml

from kgov.report.junit import render_junit
from kgov.report.markdown import render_markdown
from kgov.report.model import ScanReport, report_dict
from kgov.report.sarif import render_sarif


def render_json(report: ScanReport) -> str:
    return json.dumps(report_dict(report), indent=2, default=str) + "\n"


def render_yaml(report: ScanReport) -> str:
    return yaml.safe_dump(json.loads(render_json(report)), sort_keys=False, allow_unicode=True)


RENDERERS: dict[str, Callable[[ScanReport], str]] = {
    "json": render_json,
    "yaml": render_yaml,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
}
