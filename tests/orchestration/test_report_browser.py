"""The monthly report opened in a real headless browser: every chart loads, the page renders.

Needs Chromium (`.ci/run` installs Debian's `chromium` where it can); without one the
test is skipped with the reason, so `make test` stays one command on any machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_fixture import AS_OF, REPORT_MONTH, build_fixture_warehouse

from publish.report import render_monthly_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no headless browser on PATH (looked for {', '.join(BROWSERS)}); "
                ".ci/run installs Debian's chromium when it can")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report_browser")
    warehouse = build_fixture_warehouse(base / "warehouse.duckdb")
    return render_monthly_report(warehouse, base / "reports", REPORT_MONTH, generated_at=AS_OF)


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


def _body_attributes(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, f"no <body> in the dumped DOM: {dom[:300]!r}"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))


def test_every_chart_loads_in_headless_chromium(browser, report, tmp_path):
    done = _run(browser, tmp_path / "profile", "--dump-dom", report.html_path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    body = _body_attributes(done.stdout)
    # the page's onload script counted the <img class="chart"> that decoded (naturalWidth > 0)
    assert body["data-charts-expected"] == str(len(report.chart_paths)) == "7"
    assert body["data-charts-loaded"] == body["data-charts-expected"], body
    assert done.stdout.count('class="chart"') == 7


def test_the_report_renders_to_a_screenshot(browser, report, tmp_path):
    shot = tmp_path / "report.png"
    done = _run(browser, tmp_path / "profile", "--window-size=1280,2400", f"--screenshot={shot}",
                report.html_path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    png = shot.read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 50_000  # a page with text and charts, not a blank one
