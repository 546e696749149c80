"""Bad exports through `secops run`: failed checks with the right severity, recorded, alerted, gated.

The fixture landing folder (tests/orchestration/landing, see test_pipeline.py) plus:
  incident/incidents_2026-09-late.csv   i9, a security P3 detected 1 h BEFORE it occurred
  training/phishing_2026-09-extra.csv   one e-mail to `ghost`, a person in no identity snapshot
and as_of 2026-10-15, when the newest IAM snapshot (2026-09-15) is 30 days old
(weekly cadence: 192 h). The checks' thresholds come from a test config with
error_share 0.6, so these are WARN:
  incidents validity: 1 of 6 incident records (16.67 %) detected before occurring
  phishing consistency: 1 of 2 e-mails (50 %) to a person not in the directory (always WARN:
  kept under UNKNOWN and counted)
  identities timeliness: stale (newest snapshot 720 h old, 192 h allowed)
and, a month after the September exports, the other families' tables are stale too (mails and
posts to exactly their owners: test_owners_get_one_mail_and_one_post_per_failed_check).
A second run on the same files and as_of repeats metrics and validations. (A file with a
broken schema blocking only its family's tables: test_pipeline.py.)
Alerts go to a real SMTP server and a real HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main
from test_alerts import smtp_server, webhook_server  # noqa: F401 - real receivers on 127.0.0.1

FIXTURE_LANDING = Path(__file__).parent / "landing"
AS_OF_1 = "2026-10-15T00:00:00Z"

TEAMS = ("SECURITY_OPERATIONS", "SECURITY_AWARENESS", "IDENTITY_AND_ACCESS", "SRE_PLATFORM", "VULNERABILITY_MANAGEMENT")


def _write(path: Path, text: str) -> None:
    path.write_text(text.strip() + "\n", encoding="utf-8")


def _query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, smtp_server_module, webhook_server_module, restore_environment):
    # restore_environment: `secops run` sets SECOPS_LANDING and SECOPS_WAREHOUSE itself
    base = tmp_path_factory.mktemp("data_quality")
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.copytree(FIXTURE_LANDING, landing)
    _write(landing / "incident" / "incidents_2026-09-late.csv", """
incident_id,title,category,severity,service,geography,occurred_at,detected_at,acknowledged_at,resolved_at,change_id,root_cause_category
i9,clock skew,security,P3,batch,EMEA,2026-09-20T10:00:00Z,2026-09-20T09:00:00Z,,,,technology
""")
    _write(landing / "training" / "phishing_2026-09-extra.csv", """
campaign_id,user_id,sent_at,delivered,clicked_at,reported_at,country
c1,ghost,2026-09-05T09:00:00Z,true,,,
""")
    config = base / "checks.yaml"
    text = (Path(__file__).parents[2] / "expectations" / "config.yaml").read_text()
    config.write_text(text.replace("error_share: 0.05", "error_share: 0.6"))

    smtp_port, mails = smtp_server_module
    webhook_base, receiver = webhook_server_module
    env = {
        "SECOPS_CHECKS_CONFIG": str(config),
        "SECOPS_DATA_DOCS": str(base / "data_docs"),
        "SECOPS_SMTP_HOST": "127.0.0.1",
        "SECOPS_SMTP_PORT": str(smtp_port),
        "SECOPS_SMTP_FROM": "secops-metrics@example.test",
        "SECOPS_ALERT_BACKOFF_SECONDS": "0",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for team in TEAMS:
        env[f"SECOPS_ALERT_EMAIL_TO_{team}"] = f"{team.lower()}@example.test"
        env[f"SECOPS_ALERT_WEBHOOK_URL_{team}"] = f"{webhook_base}/hooks/{team.lower()}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
        first = main([*args, "--as-of", AS_OF_1])
        first_mails, first_posts = list(mails.messages), list(receiver.posts)
        snapshot = _metric_snapshot(warehouse)
        outcomes = _validation_snapshot(warehouse)
        rerun = main([*args, "--as-of", AS_OF_1])
        rerun_snapshot, rerun_outcomes = _metric_snapshot(warehouse), _validation_snapshot(warehouse)
    return {
        "codes": (first, rerun), "warehouse": warehouse, "base": base,
        "first_mails": first_mails, "first_posts": first_posts,
        "snapshots": (snapshot, rerun_snapshot), "outcomes": (outcomes, rerun_outcomes),
    }


@pytest.fixture(scope="module")
def smtp_server_module():
    from test_alerts import _start_smtp

    controller, collector = _start_smtp()
    yield controller.port, collector
    controller.stop()


@pytest.fixture(scope="module")
def webhook_server_module():
    import threading

    from test_alerts import _Receiver

    server = _Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


def _metric_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    tables = [r[0] for r in _query(warehouse, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'metrics' ORDER BY 1")]
    return {t: _query(warehouse, f"SELECT * FROM metrics.{t} ORDER BY ALL") for t in tables}


def _validation_snapshot(warehouse: Path) -> list[tuple]:
    run_id = _query(warehouse, "SELECT run_id FROM data_quality.validation_results ORDER BY validated_at DESC LIMIT 1")[0][0]
    return _query(
        warehouse,
        "SELECT suite, check_name, expectation, column_name, success, element_count, unexpected_count, "
        "unexpected_percent, observed_value, severity FROM data_quality.validation_results WHERE run_id = ? ORDER BY ALL",
        [run_id],
    )


def _failed(warehouse: Path, run: int) -> dict[tuple, tuple]:
    rows = _query(
        warehouse,
        """
        WITH runs AS (SELECT run_id, min(validated_at) AS started FROM data_quality.validation_results GROUP BY run_id),
        nth AS (SELECT run_id FROM runs ORDER BY started LIMIT 1 OFFSET ?)
        SELECT asset_key, check_name, expectation, column_name, severity, unexpected_count, unexpected_percent,
               observed_value, threshold
        FROM data_quality.validation_results WHERE run_id = (SELECT run_id FROM nth) AND NOT success
        """,
        [run],
    )
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}


def test_warn_level_failures_leave_the_run_green(runs):
    assert runs["codes"][0] == 0


def test_each_bad_export_is_a_failed_check_with_its_severity(runs):
    failed = _failed(runs["warehouse"], 0)
    # i9 detected before it occurred: 1 of the 6 incident records (i1..i5, i9) = 16.67 % <= 60 %: WARN
    detected = failed[("incident/incidents", "validity", "expect_column_pair_values_a_to_be_greater_than_b", "detected_at, occurred_at")]
    assert detected[:3] == ("WARN", 1, pytest.approx(100 / 6))
    # ghost is in no identity snapshot: 1 of 2 phishing e-mails = 50 %: WARN (consistency)
    ghost = failed[("training/phishing_results", "consistency", "expect_column_values_to_be_in_set", "person_in_directory")]
    assert ghost[:3] == ("WARN", 1, pytest.approx(50.0))
    # newest identity snapshot 2026-09-15, 30 days before as_of: stale (WARN by default)
    stale = failed[("iam/identities", "timeliness", "expect_column_max_to_be_between", "snapshot_at")]
    severity, _, _, observed, threshold = stale
    assert severity == "WARN"
    # observed: the newest snapshot_at, 2026-09-15; the threshold: no older than as_of - 192 h
    # (weekly cadence) = 2026-10-15T00:00Z - 8 days = 2026-10-07T00:00Z
    assert observed == "2026-09-15 00:00:00+00:00"
    assert json.loads(threshold) == {"min_value": "2026-10-07 00:00:00+00:00"}
    # measured age at as_of: 2026-09-15 -> 2026-10-15 = 30 days = 720 h, over the allowed 192 h
    as_of = datetime.fromisoformat(AS_OF_1)
    newest, oldest_allowed = datetime.fromisoformat(observed), datetime.fromisoformat(json.loads(threshold)["min_value"])
    assert (as_of - newest, as_of - oldest_allowed) == (timedelta(hours=720), timedelta(hours=192))


def test_the_excluded_incident_is_not_in_the_metrics_but_is_counted(runs):
    snapshot = runs["snapshots"][0]
    september_all = [r for r in snapshot["incident_response_monthly"] if str(r[0]) == "2026-09-01" and r[1] == "ALL" and r[2] == "ALL"]
    assert september_all[0][3] == 4  # i1, i2, i3, i5 as without i9 (test_pipeline.py)
    # ...and data_quality_monthly counts it: i9 occurred in September with i1..i5 (6 records): validity 5/6
    validity = _query(
        runs["warehouse"],
        "SELECT validity FROM metrics.data_quality_monthly WHERE month = DATE '2026-09-01' AND entity = 'incidents'",
    )
    assert validity[0][0] == pytest.approx(5 / 6)


# SLO-breach notifications of the same runs have their own exact test (test_slo_notifications.py)
SLO_NOTIFICATION = re.compile(r"\[secops (SLO|Error budget) (breached|correction)\] ")


def _mailed(mails) -> dict[tuple[str, str], list[list[str]]]:
    """(asset, check) -> the recipient list of each mail about it, from subjects
    "[secops WARN] check <check> failed on <asset> (run <id>)"; SLO notifications left out."""
    sent: dict[tuple[str, str], list[list[str]]] = {}
    for recipients, message in mails:
        if SLO_NOTIFICATION.search(" ".join(str(message["Subject"]).split())):
            continue
        match = re.match(r"\[secops \w+\] check (\S+) failed on (\S+) \(run ", message["Subject"])
        assert match, message["Subject"]
        sent.setdefault((match[2], match[1]), []).append(sorted(recipients))
    return sent


def _posted(posts) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path, payload in posts:
        if SLO_NOTIFICATION.search(str(payload)):
            continue
        counts[path] = counts.get(path, 0) + 1
    return counts


def test_owners_get_one_mail_and_one_post_per_failed_check(runs):
    # Each failed check mails its owners (owners.yaml) and only them, once:
    # the bad exports above, and the tables of every family but incident (event-driven: no
    # freshness check) stale at as_of 2026-10-15; access reviews have no freshness check either
    assert _mailed(runs["first_mails"]) == {
        ("incident/incidents", "validity"): [["security_operations@example.test"]],  # incident: security-operations
        ("training/phishing_results", "consistency"): [["security_awareness@example.test"]],  # training: security-awareness
        ("iam/identities", "timeliness"): [["identity_and_access@example.test"]],  # iam: identity-and-access
        # ghost's country is blank and it is in no snapshot: its geography is unresolved too
        ("training/phishing_results", "completeness"): [["security_awareness@example.test"]],
        ("training/assignments", "timeliness"): [["security_awareness@example.test"]],
        ("training/phishing_results", "timeliness"): [["security_awareness@example.test"]],
        ("scanner/findings", "timeliness"): [["vulnerability_management@example.test"]],  # scanner: vulnerability-management
        ("scanner/certificates", "timeliness"): [["vulnerability_management@example.test"]],
        ("backup/backup_jobs", "timeliness"): [["sre_platform@example.test"]],  # backup: sre-platform
    }
    # ...and posts once per failed check to its owner's webhook: 9 posts, 9 mails
    assert _posted(runs["first_posts"]) == {
        "/hooks/security_operations": 1, "/hooks/security_awareness": 4, "/hooks/identity_and_access": 1,
        "/hooks/vulnerability_management": 2, "/hooks/sre_platform": 1,
    }
    incident_mail = next(m for m in runs["first_mails"] if m[0] == ["security_operations@example.test"])
    body = incident_mail[1].get_content()
    assert "incident/incidents" in body and "validity" in body
    assert "expect_column_pair_values_a_to_be_greater_than_b" in body and "i9" not in incident_mail[1]["Subject"]


def test_a_rerun_repeats_metrics_and_validations_and_suppresses_repeat_alerts(runs):
    assert runs["codes"][1] == 0
    assert runs["snapshots"][0] == runs["snapshots"][1]
    assert runs["outcomes"][0] == runs["outcomes"][1]
    statuses = _query(
        runs["warehouse"],
        """
        SELECT status, count(*) FROM ingest.alert_deliveries
        WHERE run_id = (SELECT run_id FROM ingest.alert_deliveries WHERE status = 'suppressed' LIMIT 1)
        GROUP BY 1
        """,
    )
    assert dict(statuses).keys() == {"suppressed"}


def test_the_data_docs_page_lists_the_failures(runs):
    page = (runs["base"] / "data_docs" / "index.html").read_text()
    assert "incident/incidents" in page and "person_in_directory" in page and "WARN" in page
