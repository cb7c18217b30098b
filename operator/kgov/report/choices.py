"""What a report can be asked for on the command line, importable without the report machinery: each
output format by its `-o` name with where its renderer lives, and the Markdown report's default size."""

from __future__ import annotations

# Each format's module is imported only when that format is asked for (rich for the table alone).
RENDERER_OF = {
    "table": ("kgov.report.table", "render_table"),
    "compact": ("kgov.report.compact", "render_compact"),
    "github": ("kgov.report.github", "render_github"),
    "json": ("kgov.report.formats", "render_json"),
    "yaml": ("kgov.report.formats", "render_yaml"),
    "sarif": ("kgov.report.sarif", "render_sarif"),
    "junit": ("kgov.report.junit", "render_junit"),
    "codequality": ("kgov.report.codequality", "render_codequality"),
    "markdown": ("kgov.report.markdown", "render_markdown"),
    "html": ("kgov.report.html", "render_html"),
    "policyreport": ("kgov.report.policyreport", "render_openreports"),
    "policyreport-wgpolicyk8s": ("kgov.report.policyreport", "render_wgpolicyk8s"),
}
FORMATS = list(RENDERER_OF)
# The formats that read the terminal's width (`RenderOptions.width`); the others are not told it.
WIDTH_FORMATS = frozenset({"table"})
DEFAULT_MAX_CHARS = 60_000  # a GitHub comment takes 65,536
