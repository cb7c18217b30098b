"""`-o html` in a real browser: headless Chromium (Debian's chromium and chromium-driver) loads the
page from a file, with the network off; the tests read what it renders, click the filters and sort,
and save a screenshot beside the page."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import unavailable
from kgov.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

HOSTILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {note: "</script><script>document.title='owned'</script>"}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: "app", image: "example/web:1.0"}]
"""


def _render(tmp_path: Path, *args: str, stdin: str | None = None) -> Path:
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, [*args, "-o", "html", "--output-file", str(page)], input=stdin)
    assert result.exit_code in (0, 1), result.output
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        unavailable("chromium/chromedriver not installed (scripts/setup installs Debian's chromium packages)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (dev extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800"):
        options.add_argument(flag)
    # No network: the page must be whole on its own.
    options.add_argument("--proxy-server=127.0.0.1:9")
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def _rows(browser: object) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr.finding")]  # type: ignore[attr-defined]


def test_page_is_self_contained(tmp_path: Path) -> None:
    text = _render(tmp_path, "scan", str(EXAMPLES)).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "no external resource"
    assert "default-src 'none'" in text


def test_scan_page_renders_summary_charts_and_filters(tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = _render(tmp_path, "scan", str(EXAMPLES))
    data = json.loads(
        CliRunner().invoke(main, ["scan", str(EXAMPLES), "-o", "json"]).stdout,
    )
    total = data["summary"]["findings"]
    browser.get(page.as_uri())  # type: ignore[attr-defined]
    assert browser.title.startswith("kgov scan")  # type: ignore[attr-defined]
    assert browser.find_element(By.ID, "headline").text.startswith(f"{total} findings")  # type: ignore[attr-defined]
    captions = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "figure.chart figcaption")]  # type: ignore[attr-defined]
    assert captions[:3] == ["Findings by severity", "Findings by check", "Findings by namespace"]
    assert "Controller annotations per Ingress" in captions
    assert len(_rows(browser)) == total
    assert browser.find_element(By.ID, "shown").text == f"{total} of {total} shown"  # type: ignore[attr-defined]

    # Severity checkboxes: only high findings left.
    for severity in ("critical", "medium", "low", "info"):
        browser.find_element(By.ID, f"severity-{severity}").click()  # type: ignore[attr-defined]
    high = sum(1 for f in data["findings"] if f["severity"] == "high")
    assert len(_rows(browser)) == high
    assert all(row.lower().startswith("high") for row in _rows(browser))

    # One check only, then a search that matches nothing.
    Select(browser.find_element(By.ID, "check-filter")).select_by_value("qos.best-effort")  # type: ignore[attr-defined]
    expected = sum(1 for f in data["findings"] if f["check"] == "qos.best-effort" and f["severity"] == "high")
    assert len(_rows(browser)) == expected
    browser.find_element(By.ID, "search").send_keys("no-such-object-anywhere")  # type: ignore[attr-defined]
    assert _rows(browser) == []
    assert browser.find_element(By.ID, "empty").is_displayed()  # type: ignore[attr-defined]
    browser.save_screenshot(str(tmp_path / "filtered.png"))  # type: ignore[attr-defined]


def test_sorting_and_details(tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By

    browser.get(_render(tmp_path, "scan", str(EXAMPLES)).as_uri())  # type: ignore[attr-defined]
    first = _rows(browser)
    assert first[0].lower().startswith(("critical", "high")), "most severe first"
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="check"]').click()  # type: ignore[attr-defined]
    checks = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#findings tbody td.check")]  # type: ignore[attr-defined]
    assert checks == sorted(checks)
    browser.find_element(By.CSS_SELECTOR, "#findings tbody tr.finding").click()  # type: ignore[attr-defined]
    detail = browser.find_element(By.CSS_SELECTOR, "#findings tbody tr.detail").text  # type: ignore[attr-defined]
    assert "Why" in detail and "Fix" in detail and "Evidence" in detail
    browser.save_screenshot(str(tmp_path / "report.png"))  # type: ignore[attr-defined]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_gate_page_shows_readiness(tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By

    browser.get(_render(tmp_path, "gate", "migration", str(EXAMPLES / "migration")).as_uri())  # type: ignore[attr-defined]
    cards = browser.find_element(By.CSS_SELECTOR, ".cards").text  # type: ignore[attr-defined]
    assert "blocked" in cards.lower()
    bars = browser.find_elements(
        By.CSS_SELECTOR, 'figure.chart svg[aria-label="Migration readiness (Ingresses)"] g.bar'
    )  # type: ignore[attr-defined]
    assert {b.get_attribute("data-label") for b in bars} <= {"blocked", "needs-review", "ready"}
    assert sum(int(b.get_attribute("data-value")) for b in bars) >= 2


def test_names_cannot_inject_markup(tmp_path: Path, browser: object) -> None:
    page = _render(tmp_path, "scan", "-", stdin=HOSTILE)
    assert "</script><script>document.title" not in page.read_text(encoding="utf-8")
    browser.get(page.as_uri())  # type: ignore[attr-defined]
    assert browser.title != "owned"  # type: ignore[attr-defined]
    assert _rows(browser)
