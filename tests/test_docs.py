"""Generated docs stay in step with the registry, and the README's commands stay true."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kgov.checks.builtin import default_registry
from kgov.cli import main
from kgov.config import Config
from kgov.report.reference import render_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_check_reference_is_current() -> None:
    generated = render_markdown(default_registry())
    current = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert current == generated, "docs/checks.md is stale: run `kgov checks -o markdown > docs/checks.md`"


def test_every_check_has_a_docs_anchor() -> None:
    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    for spec in default_registry():
        assert f'<a id="{spec.anchor}"></a>' in text


def test_checks_command_lists_every_check() -> None:
    result = CliRunner().invoke(main, ["checks", "-o", "json"])
    assert result.exit_code == 0
    for spec in default_registry():
        assert f'"id": "{spec.id}"' in result.output


def test_configuration_guide_example_is_a_valid_config_with_every_section() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    config = Config.model_validate(example)
    assert set(example) == set(Config.model_fields), "the example should show every top-level key"
    assert config.migration.forbid_new_ingress is False


def test_readme_table_excerpt_is_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's command, run at 100 columns, prints the excerpt the README shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Try it", 1)[1]
    command = next(line for line in quick_start.splitlines() if line.startswith("kgov scan "))
    excerpt = quick_start.split("```text\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    output = CliRunner().invoke(main, command.split()[1:], env={"COLUMNS": "100"}).output
    lines = output.splitlines()
    for block in excerpt.strip().split("\n\n"):
        first = lines.index(block.splitlines()[0])
        assert lines[first : first + len(block.splitlines())] == block.splitlines(), block
