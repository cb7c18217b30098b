"""The live HTML report: `kgov run --html-report` serves the findings it holds at /report, read-only;
without the flag there is no such page."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from harness import emulated_cluster, findings, operator_options, running_operator


def _get(url: str) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), ""


def _payload(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="kgov-data">(.*?)</script>', page, re.DOTALL)
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_report_page_shows_the_live_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = operator_options(tmp_path, html_report=True)
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        status, headers, page = _get(f"http://127.0.0.1:{op.runtime.port}/report")
        written = findings(cluster)

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    report = _payload(page)["report"]
    assert isinstance(report, dict)
    shown = {(f["check"], f["target"]["namespace"], f["target"]["name"]) for f in report["findings"]}
    held = {
        (f["spec"]["check"], f["spec"]["target"].get("namespace"), f["spec"]["target"]["name"])
        for f in written.values()
    }
    assert held and shown >= held


def test_no_report_page_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        status, _, _ = _get(f"http://127.0.0.1:{op.runtime.port}/report")
    assert status == 404
