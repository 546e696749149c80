"""The Dagster UI in headless Chromium, against `dagster dev` started here on 127.0.0.1.

`dagster dev` runs on a free port with a temporary DAGSTER_HOME, landing folder and warehouse,
and the landing-zone sensor on (SECOPS_SENSOR_DEFAULT=on, as in `make ui`). The pages are read
in a real browser (tests/orchestration/cdp.py): the asset graph lists every group, an asset page
shows its owners, its checks with their last result and its column schema, the schedule and the
sensor are listed and running, and a one-month run of secops_run, launched through the UI's
GraphQL endpoint, completes. Screenshots are kept in the pytest temporary folder
(`ui_screenshots*`, printed at the end) or in SECOPS_TEST_ARTIFACTS when set.

Skipped, with the reason, where no Chromium is installed (`.ci/run` installs Debian's).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from cdp import Browser, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_LANDING = Path(__file__).parent / "landing"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
LOCATION = {"repositoryLocationName": "secops_metrics", "repositoryName": "__repository__"}
STARTUP_SECONDS = 240
RUN_SECONDS = 1200


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no headless browser on PATH (looked for {', '.join(BROWSERS)}); .ci/run installs Debian's chromium when it can")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ["SECOPS_TEST_ARTIFACTS"]) / "ui" if os.environ.get("SECOPS_TEST_ARTIFACTS") else tmp_path_factory.mktemp("ui_screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nUI screenshots: {folder}")


def _graphql(base: str, query: str, variables: dict | None = None, timeout: float = 300) -> dict:
    """One GraphQL request; a loaded machine can take minutes to plan a launch."""
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body = json.load(answer)
    assert "errors" not in body, body["errors"]
    return body["data"]


REPOSITORY_LOADED = """query($r: RepositorySelector!) { repositoryOrError(repositorySelector: $r) {
  __typename ... on Repository { name } ... on PythonError { message } } }"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory, chromium):
    base = tmp_path_factory.mktemp("ui")
    home, landing = base / "dagster_home", base / "landing"
    home.mkdir()
    shutil.copytree(FIXTURE_LANDING, landing)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SECOPS_LANDING": str(landing),
        "SECOPS_WAREHOUSE": str(base / "warehouse" / "warehouse.duckdb"),
        "SECOPS_SENSOR_DEFAULT": "on",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for name in [n for n in env if n.startswith(("SECOPS_ALERT_", "SECOPS_SMTP_"))]:
        del env[name]  # nothing is mailed from this test
    log = (base / "dagster_dev.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                loaded = _graphql(url, REPOSITORY_LOADED, {"r": LOCATION})["repositoryOrError"]
                if loaded["__typename"] == "Repository":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"problem: dagster dev did not serve the definitions; see {base / 'dagster_dev.log'}")
            time.sleep(2)
        yield {"url": url, "base": base}
    finally:
        # dagster dev stops its webserver, daemon and code server on Ctrl-C (it outwaits SIGTERM)
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    it = Browser(chromium, tmp_path_factory.mktemp("chromium_profile"))
    yield it
    it.close()


def _open(browser: Browser, url: str, *needles: str, timeout: float = 120) -> str:
    browser.open(url)
    text = browser.wait_for_text(*needles, timeout=timeout)
    # the first visit greets with a newsletter dialog: skip it so the screenshots show the page
    if browser.evaluate("!![...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Skip')"):
        browser.evaluate("[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Skip').click()")
        time.sleep(1)
        text = browser.wait_for_text(*needles, timeout=timeout)
    return text


LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN_STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""


@pytest.fixture(scope="module")
def september_run(ui):
    """secops_run for partition 2026-09 at as_of 2026-10-15, launched as the UI's Launch button does."""
    params = {
        "selector": {**LOCATION, "jobName": "secops_run"},
        "executionMetadata": {"tags": [
            {"key": "dagster/partition", "value": "2026-09-01"},
            {"key": "secops/as_of", "value": "2026-10-15T00:00:00Z"},
        ]},
    }
    launched = _graphql(ui["url"], LAUNCH, {"p": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_SECONDS
    while True:
        try:
            status = _graphql(ui["url"], RUN_STATUS, {"id": run_id}, timeout=60)["runOrError"]["status"]
        except TimeoutError:
            status = "unknown (the webserver did not answer in time)"
        if status in ("SUCCESS", "FAILURE", "CANCELED") or time.monotonic() > deadline:
            return run_id, status
        time.sleep(5)


def _groups() -> list[str]:
    from orchestration.definitions import defs

    graph = defs().get_repository_def().asset_graph
    return sorted({graph.get(key).group_name for key in graph.get_all_asset_keys() if not graph.get(key).is_external})


def test_the_asset_graph_lists_every_group(ui, browser, screenshots):
    groups = _groups()
    assert groups == ["data_quality", "intermediate", "metrics", "publish", "raw", "reference", "report", "staging"]
    _open(browser, f"{ui['url']}/asset-groups", "Global asset lineage", *groups)
    browser.screenshot(screenshots / "asset_graph.png")


def _switch_states(browser: Browser, names: list[str]) -> dict[str, bool]:
    """Whether the on/off switch in each automation's row is on, as the page shows it (the
    switches take their state from a second query: wait until every one has it)."""
    script = """(names => Object.fromEntries(names.map(name => {
        const label = [...document.querySelectorAll('a, span, div')].find(e => e.innerText && e.innerText.trim() === name && e.children.length === 0);
        let row = label;
        while (row && !row.querySelector('input[type=checkbox][role=switch], input[type=checkbox]:not([aria-label="Select all"])')) row = row.parentElement;
        const boxes = row ? [...row.querySelectorAll('input[type=checkbox]')] : [];
        return [name, boxes.length ? boxes[boxes.length - 1].checked : null];
    })))(%s)""" % json.dumps(names)
    browser.wait_until(f"Object.values({script}).every(on => on === true)", timeout=60)
    return browser.evaluate(script)


def test_the_schedule_and_the_sensor_are_listed_and_running(ui, browser, screenshots):
    names = ["landing_zone_sensor", "previous_month_metrics", "alert_pipeline_owners_on_failure"]
    _open(browser, f"{ui['url']}/automation", *names)
    assert _switch_states(browser, names) == {name: True for name in names}
    browser.screenshot(screenshots / "automation.png")
    states = _graphql(ui["url"], """query($r: RepositorySelector!) {
      sensorsOrError(repositorySelector: $r) { ... on Sensors { results { name sensorState { status } } } }
      schedulesOrError(repositorySelector: $r) { ... on Schedules { results { name scheduleState { status } } } } }""",
                      {"r": LOCATION})
    assert {s["name"]: s["sensorState"]["status"] for s in states["sensorsOrError"]["results"]} == {
        "landing_zone_sensor": "RUNNING", "alert_pipeline_owners_on_failure": "RUNNING"}
    assert {s["name"]: s["scheduleState"]["status"] for s in states["schedulesOrError"]["results"]} == {
        "previous_month_metrics": "RUNNING"}


def test_a_one_month_run_launched_through_the_ui_completes(ui, browser, screenshots, september_run):
    run_id, status = september_run
    assert status == "SUCCESS", f"run {run_id} ended {status}; see {ui['base'] / 'dagster_dev.log'}"
    text = _open(browser, f"{ui['url']}/runs/{run_id}", "Success", "secops_run")
    assert "2026-09-01" in text
    browser.screenshot(screenshots / "run.png")


def test_an_asset_page_shows_owners_checks_with_results_and_the_column_schema(ui, browser, screenshots, september_run):
    assert september_run[1] == "SUCCESS"
    identities = f"{ui['url']}/assets/iam/identities"
    text = _open(browser, identities, "Owners\nidentity-and-access", "Columns", "snapshot_at", "mfa_enabled",
                 "is_privileged", "Fails if more than 8 days since last materialization")
    # the column types of ingest/schemas.py, required ones non-nullable
    assert "snapshot_at\n\t\nTIMESTAMPTZ\nnon-nullable" in text and "mfa_enabled\n\t\nBOOLEAN" in text
    browser.screenshot(screenshots / "asset_overview.png")
    # checks with their last result: the identities were 30 days old at as_of (weekly: 192 h)
    text = _open(browser, f"{identities}?view=checks", "freshness", "timeliness", "files_readable", "rows_accepted",
                 "Failed", "Succeeded")
    browser.screenshot(screenshots / "asset_checks.png")
    results = _graphql(ui["url"], """{ assetNodes(assetKeys: [{path: ["iam", "identities"]}]) {
      assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } } } }""")
    statuses = {c["name"]: (c["executionForLatestMaterialization"] or {}).get("status")
                for c in results["assetNodes"][0]["assetChecksOrError"]["checks"]}
    assert statuses["freshness"] == "FAILED" and statuses["files_readable"] == "SUCCEEDED"
    assert "freshness\nfreshness\nFailed" in text and "files_readable\nfiles_readable\nSucceeded" in text, text[:3000]
