"""How `kgov scan` and `kgov gate migration` print: width from COLUMNS, colour only on a terminal and
without NO_COLOR, --quiet, the one-line formats, --version."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgov import __version__
from kgov.cli import main
from kgov.commands.pipeline import Output
from kgov.report.github import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ANSI = re.compile(r"\x1b\[")


def kgov(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("columns", [60, 100, 160])
def test_table_follows_columns(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out = kgov("scan", "examples/autoscaling", env={"COLUMNS": str(columns)})
    assert code == 1
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "\nexamples/autoscaling/multiple-hpa.yaml\n  3:1 " in out  # grouped under the file


def test_wider_terminal_gives_fewer_lines() -> None:
    _, narrow = kgov("scan", str(EXAMPLES), env={"COLUMNS": "80"})
    _, wide = kgov("scan", str(EXAMPLES), env={"COLUMNS": "200"})
    assert len(wide.splitlines()) < len(narrow.splitlines())


def test_quiet_drops_the_skipped_block() -> None:
    _, out = kgov("scan", str(EXAMPLES / "resources"))
    assert "Skipped:" in out
    _, quiet = kgov("scan", str(EXAMPLES / "resources"), "--quiet")
    assert "Skipped:" not in quiet and "findings:" in quiet


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "no_color", "file", "color"),
    [
        (True, None, None, True),
        (True, "1", None, False),
        (True, "", None, True),  # NO_COLOR set but empty does not count (no-color.org)
        (False, None, None, False),
        (True, None, "report.txt", False),
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, tty: bool, no_color: str | None, file: str | None, color: bool
) -> None:
    monkeypatch.setattr("sys.stdout", _Tty() if tty else io.StringIO())
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert Output(file=file).render_options().color is color


def test_compact_lines_for_grep() -> None:
    code, out = kgov("scan", str(EXAMPLES / "autoscaling"), "-o", "compact")
    assert code == 1
    lines = [line for line in out.splitlines() if not line.startswith("# undecided: ")]
    shape = re.compile(r"^\S+\.yaml:\d+(:\d+)?: (critical|high|medium|low|info) [a-z]+\.[a-z0-9-]+ \S")
    assert lines and all(shape.match(line) for line in lines), lines
    _, table = kgov("scan", str(EXAMPLES / "autoscaling"), "--quiet")
    assert f"{len(lines)} findings:" in table


def test_github_annotations_from_the_cli() -> None:
    code, out = kgov("scan", str(EXAMPLES / "autoscaling"), "-o", "github")
    assert code == 1
    lines = [line for line in out.splitlines() if not re.match(r"::notice title=[^:]+%3A undecided::", line)]
    commands = set(COMMANDS.values())
    assert lines and all(re.match(rf"::({'|'.join(commands)}) file=[^,]+,line=\d+", line) for line in lines)


@pytest.mark.parametrize("fmt", ["compact", "github"])
def test_gate_takes_the_same_formats(fmt: str) -> None:
    code, out = kgov("gate", "migration", str(EXAMPLES / "migration" / "blocked.yaml"), "-o", fmt)
    assert code == 1
    assert "migration.route-parity" in out


def test_version() -> None:
    for flag in ("--version", "-V"):
        code, out = kgov(flag)
        assert code == 0 and out == f"kgov {__version__}\n"
    assert kgov("version") == (0, f"kgov {__version__}\n")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_as_the_readme_says(shell: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"_KGOV_COMPLETE={shell}_source kgov" in readme
    result = CliRunner().invoke(main, [], env={"_KGOV_COMPLETE": f"{shell}_source"}, prog_name="kgov")
    assert result.exit_code == 0 and "_KGOV_COMPLETE" in result.output


def test_completion_offers_formats() -> None:
    env = {"_KGOV_COMPLETE": "bash_complete", "COMP_WORDS": "kgov scan -o ", "COMP_CWORD": "3"}
    result = CliRunner().invoke(main, [], env=env, prog_name="kgov")
    offered = {line.split(",", 1)[1] for line in result.output.splitlines()}
    assert {"table", "compact", "github", "codequality", "markdown"} <= offered


def test_completion_offers_check_ids_to_explain() -> None:
    env = {"_KGOV_COMPLETE": "bash_complete", "COMP_WORDS": "kgov explain qos.best", "COMP_CWORD": "2"}
    result = CliRunner().invoke(main, [], env=env, prog_name="kgov")
    assert {line.split(",", 1)[1] for line in result.output.splitlines()} == {"qos.best-effort"}
