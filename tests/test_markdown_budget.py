"""The Markdown reports of a repository with hundreds of Ingresses fit a GitHub comment: summary
first, blocked Ingresses and the most severe findings next, and a true count of what was left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgov.cli import main
from kgov.report.budget import PRIORITY_HEAD, PRIORITY_NOTES, PRIORITY_ROWS, Block, fit

INGRESSES = 700
GITHUB_COMMENT_LIMIT = 65_536


def _ingress(index: int) -> str:
    # Every fourth has a snippet (untranslatable: blocked); all have annotations to map.
    snippet = (
        '    nginx.ingress.kubernetes.io/configuration-snippet: |\n      more_set_headers "X-Id: 1";\n'
        if index % 4 == 0
        else ""
    )
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-{index:03}
  namespace: team-{index % 20:02}
  annotations:
{snippet}    nginx.ingress.kubernetes.io/limit-rps: "5"
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
    nginx.ingress.kubernetes.io/use-regex: "true"
spec:
  ingressClassName: nginx
  rules:
    - host: app-{index:03}.example.org
      http:
        paths:
          - path: /api/[0-9]+
            pathType: ImplementationSpecific
            backend:
              service: {{name: app-{index:03}, port: {{number: 8080}}}}
"""


@pytest.fixture(scope="module")
def ingresses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("many") / "ingresses.yaml"
    path.write_text("---\n".join(_ingress(i) for i in range(INGRESSES)), encoding="utf-8")
    return path


def _markdown(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "-o", "markdown"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def _not_shown(text: str, what: str) -> int:
    found = re.search(rf"…and (\d+) more {what} not shown \((\d+) of (\d+) above", text)
    assert found, f"no count of left-out {what}"
    left, shown, total = map(int, found.groups())
    assert left + shown == total
    return left


def test_gate_report_for_hundreds_of_ingresses_fits_a_comment(ingresses: Path) -> None:
    text = _markdown("gate", "migration", str(ingresses))
    assert len(text) <= 60_000
    assert len(text.encode("utf-16-le")) // 2 <= GITHUB_COMMENT_LIMIT  # GitHub counts UTF-16 units
    assert text.startswith(
        "<!-- kgov-report -->\n### kgov gate migration\n\n⛔ **blocked — 700 Ingresses: 175 blocked, 525 needs-review**"
    )
    rows = [
        line for line in text.splitlines() if re.match(r"\| (⛔ blocked|🟠 needs-review|✅ ready) ", line)
    ]
    left = _not_shown(text, "Ingresses")
    assert len(rows) + left == INGRESSES
    # Blocked Ingresses come first, all of them shown.
    verdicts = [row.split(" | ")[0] for row in rows]
    assert verdicts[:175] == ["| ⛔ blocked"] * 175
    assert "#### Checks" in text  # the findings' summary survives the cut


def test_scan_report_for_hundreds_of_ingresses_fits_a_comment(ingresses: Path) -> None:
    text = _markdown("scan", str(ingresses))
    assert len(text) <= 60_000
    assert text.index("| Severity | Check | Findings | Title |") < text.index("#### Findings, most severe")
    summary = text.index("#### Findings, most severe first")
    _not_shown(text, "findings")
    severities = [
        m.group(1)
        for m in re.finditer(r"^\| \S+ (critical|high|medium|low|info) \| \[`", text[summary:], re.M)
    ]
    order = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=order.index)


def test_the_budget_is_an_option(ingresses: Path) -> None:
    text = _markdown("gate", "migration", str(ingresses), "--max-chars", "15000")
    assert len(text) <= 15_000
    _not_shown(text, "Ingresses")
    result = CliRunner().invoke(main, ["scan", str(ingresses), "--max-chars", "10"])
    assert result.exit_code == 2  # below the smallest useful budget


def test_fit_never_exceeds_the_budget_and_counts_what_it_leaves_out() -> None:
    blocks = [
        Block(["# head"], priority=PRIORITY_HEAD),
        Block(
            ["", "| a |", "|---|"],
            [f"| row {i:03} |" for i in range(200)],
            priority=PRIORITY_ROWS,
            more=lambda n: f"\n…and {n} more rows not shown",
        ),
        Block(
            ["<details>"],
            [f"- note {i}" for i in range(50)],
            ["</details>"],
            priority=PRIORITY_NOTES,
            optional=True,
        ),
    ]
    full = fit(blocks, 1_000_000)
    assert "not shown" not in full and full.count("| row ") == 200 and "- note 49" in full
    for budget in range(300, 4_000, 37):
        text = fit(blocks, budget)
        assert len(text) <= budget, budget
        shown = text.count("| row ")
        if shown < 200:
            assert f"…and {200 - shown} more rows not shown" in text
        if "<details>" not in text:  # the optional block went whole, and is counted
            assert "…and 1 more section(s) not shown" in text
    tight = fit(blocks, 400)
    assert tight.startswith("# head\n") and "<details>" not in tight
