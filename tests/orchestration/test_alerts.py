"""Alerts to owners, against a real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ingest.warehouse import connect, ensure_schema
from publish.alerts import (
    FailedExpectation,
    check_failure_alert,
    deliver_alerts,
    pipeline_failure_alert,
)
from orchestration.owners import (
    OWNERS_FILE_ENV,
    family_owners,
    owners_for,
    owners_for_asset,
    pipeline_owners,
)

NOW = datetime(2026, 10, 2, 3, 0, tzinfo=timezone.utc)
PASSWORD = "pw-Zq81-never-logged"
SMTP_USER = "alerts-robot@example.test"
WEBHOOK_TOKEN = "T0AAAA/B0BBBB/tokenXYZ123secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _MailCollector:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


def _start_smtp(**kwargs):
    collector = _MailCollector()
    if kwargs.pop("with_auth", False):
        kwargs.update(authenticator=collector.authenticate, auth_require_tls=False)
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port(), **kwargs)
    controller.start()
    return controller, collector


@pytest.fixture
def smtp_server():
    controller, collector = _start_smtp()
    yield controller.port, collector
    controller.stop()


@pytest.fixture
def smtp_server_with_auth():
    controller, collector = _start_smtp(with_auth=True)
    yield controller.port, collector
    controller.stop()


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.posts: list[tuple[str, dict]] = []
        self.fail_next = 0  # answer this many requests with HTTP 500 first


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.fail_next:
            self.server.fail_next -= 1
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"try later")
            return
        self.server.posts.append((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def webhook_server():
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def alert_environment(monkeypatch):
    """No alert setting leaks in from the machine; no proxy between us and 127.0.0.1."""
    for name in list(os.environ):
        if name.startswith(("SECOPS_ALERT_", "SECOPS_SMTP_")) or name == OWNERS_FILE_ENV:
            monkeypatch.delenv(name)
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("SECOPS_ALERT_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("SECOPS_ALERT_TIMEOUT_SECONDS", "5")


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    yield con
    con.close()


def _configure(monkeypatch, smtp_port: int | None = None, webhook_base: str | None = None, **teams: str) -> None:
    if smtp_port is not None:
        monkeypatch.setenv("SECOPS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SECOPS_SMTP_PORT", str(smtp_port))
        monkeypatch.setenv("SECOPS_SMTP_FROM", "secops-metrics@example.test")
    for suffix, address in teams.items():
        monkeypatch.setenv(f"SECOPS_ALERT_EMAIL_TO_{suffix}", address)
        if webhook_base is not None:
            monkeypatch.setenv(f"SECOPS_ALERT_WEBHOOK_URL_{suffix}", f"{webhook_base}/hooks/{suffix.lower()}")


def _null_check_alert(run_id: str = "run-0001", owners=("team:vulnerability-management",), **overrides):
    fields = dict(
        failed_expectations=[
            FailedExpectation(
                expectation="expect_column_values_to_not_be_null",
                column="cve_id",
                unexpected_count=17,
                unexpected_percent=4.25,
                sample_values=("row 12", "row 40", "row 41"),
            )
        ],
        summary="17 findings have no CVE id",
        link="var/reports/run-0001/scanner_findings.html",
        owners=owners,
    )
    fields.update(overrides)
    return check_failure_alert(run_id, ["scanner", "findings"], "findings_valid", **fields)


def _rows(con):
    return con.execute(
        "SELECT run_id, team, channel, status, attempts, error, fingerprint, asset, check_name "
        "FROM ingest.alert_deliveries ORDER BY rowid"
    ).fetchall()


def _statuses(outcomes):
    return sorted((o.team, o.channel, o.status) for o in outcomes)


def test_one_failing_check_reaches_each_owning_team_once_by_mail_and_webhook(
    con, monkeypatch, smtp_server, webhook_server
):
    smtp_port, mail = smtp_server
    base, receiver = webhook_server
    _configure(
        monkeypatch, smtp_port, base,
        VULNERABILITY_MANAGEMENT="vm@example.test, vm-lead@example.test",
        SRE_PLATFORM="sre@example.test",
    )
    alert = _null_check_alert(owners=("team:vulnerability-management", "team:sre-platform"))

    outcomes = deliver_alerts(con, [alert], now=NOW)

    assert _statuses(outcomes) == [
        ("team:sre-platform", "email", "sent"), ("team:sre-platform", "webhook", "sent"),
        ("team:vulnerability-management", "email", "sent"), ("team:vulnerability-management", "webhook", "sent"),
    ]
    assert sorted(rcpts for rcpts, _ in mail.messages) == [
        ["sre@example.test"], ["vm@example.test", "vm-lead@example.test"],
    ]
    for _, message in mail.messages:
        subject, body = message["Subject"], message.get_content()
        assert "findings_valid" in subject and "scanner/findings" in subject and "run-0001" in subject
        assert message["From"] == "secops-metrics@example.test"
        for text in ("expect_column_values_to_not_be_null", "cve_id", "17 unexpected", "4.25%",
                     "row 12", "row 41", "run-0001", "ERROR", "var/reports/run-0001/scanner_findings.html"):
            assert text in body

    assert sorted(path for path, _ in receiver.posts) == ["/hooks/sre_platform", "/hooks/vulnerability_management"]
    for _, payload in receiver.posts:
        assert set(payload) == {"text", "blocks"} and payload["blocks"][0]["type"] == "header"
        everything = json.dumps(payload)
        for text in ("scanner/findings", "findings_valid", "run-0001", "expect_column_values_to_not_be_null",
                     "cve_id", "17 unexpected", "row 40"):
            assert text in everything

    rows = _rows(con)
    assert len(rows) == 4
    assert {(r[3], r[4], r[5]) for r in rows} == {("sent", 1, None)}
    assert {(r[0], r[7], r[8]) for r in rows} == {("run-0001", "scanner/findings", "findings_valid")}
    assert len({r[6] for r in rows}) == 4  # one fingerprint per team and channel


def test_a_repeat_is_suppressed_within_the_interval_and_sent_after_it(con, monkeypatch, smtp_server, webhook_server):
    smtp_port, mail = smtp_server
    base, receiver = webhook_server
    _configure(monkeypatch, smtp_port, base, VULNERABILITY_MANAGEMENT="vm@example.test")

    deliver_alerts(con, [_null_check_alert("run-1")], now=NOW)
    again = deliver_alerts(con, [_null_check_alert("run-2")], now=NOW + timedelta(hours=23))

    assert {o.status for o in again} == {"suppressed"} and len(again) == 2
    assert len(mail.messages) == 1 and len(receiver.posts) == 1
    rows = _rows(con)
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("run-1", "email", "sent", 1), ("run-1", "webhook", "sent", 1),
        ("run-2", "email", "suppressed", 0), ("run-2", "webhook", "suppressed", 0),
    ]

    later = deliver_alerts(con, [_null_check_alert("run-3")], now=NOW + timedelta(hours=25))
    assert {o.status for o in later} == {"sent"}
    assert len(mail.messages) == 2 and len(receiver.posts) == 2


def test_the_suppression_interval_comes_from_the_environment(con, monkeypatch, smtp_server):
    smtp_port, mail = smtp_server
    _configure(monkeypatch, smtp_port, VULNERABILITY_MANAGEMENT="vm@example.test")
    monkeypatch.setenv("SECOPS_ALERT_SUPPRESS_HOURS", "1")

    deliver_alerts(con, [_null_check_alert("run-1")], now=NOW)
    within = deliver_alerts(con, [_null_check_alert("run-2")], now=NOW + timedelta(minutes=30))
    after = deliver_alerts(con, [_null_check_alert("run-3")], now=NOW + timedelta(hours=2))

    email = lambda outcomes: [o.status for o in outcomes if o.channel == "email"]  # noqa: E731
    assert email(within) == ["suppressed"] and email(after) == ["sent"]
    assert len(mail.messages) == 2


def test_a_different_failure_is_not_suppressed(con, monkeypatch, smtp_server, webhook_server):
    smtp_port, mail = smtp_server
    base, receiver = webhook_server
    _configure(monkeypatch, smtp_port, base, VULNERABILITY_MANAGEMENT="vm@example.test")

    deliver_alerts(con, [_null_check_alert("run-1")], now=NOW)
    other_expectation = _null_check_alert(
        "run-2",
        failed_expectations=[
            {"expectation": "expect_column_values_to_be_in_set", "column": "severity",
             "unexpected_count": 3, "unexpected_percent": 0.5, "sample_values": ["urgent", "?"]}
        ],
    )
    other_check = check_failure_alert(
        "run-2", ["scanner", "findings"], "rows_accepted", severity="WARN",
        owners=["team:vulnerability-management"], summary="3 rows rejected",
    )
    outcomes = deliver_alerts(con, [other_expectation, other_check], now=NOW + timedelta(hours=1))

    assert {o.status for o in outcomes} == {"sent"} and len(outcomes) == 4
    assert len(mail.messages) == 3 and len(receiver.posts) == 3
    bodies = [m.get_content() for _, m in mail.messages]
    assert "expect_column_values_to_be_in_set on column severity: 3 unexpected (0.50%)" in bodies[1]
    assert "urgent" in bodies[1]
    assert "WARN" in mail.messages[2][1]["Subject"]


def test_the_same_failure_twice_in_one_delivery_is_sent_once(con, monkeypatch, smtp_server):
    smtp_port, mail = smtp_server
    _configure(monkeypatch, smtp_port, VULNERABILITY_MANAGEMENT="vm@example.test")
    outcomes = deliver_alerts(con, [_null_check_alert(), _null_check_alert()], now=NOW)
    assert [o.status for o in outcomes if o.channel == "email"] == ["sent", "suppressed"]
    assert len(mail.messages) == 1


def test_unreachable_smtp_and_webhook_fail_recorded_without_exception_or_secret(con, monkeypatch, caplog):
    closed_smtp, closed_http = _free_port(), _free_port()
    webhook_url = f"http://127.0.0.1:{closed_http}/services/{WEBHOOK_TOKEN}"
    monkeypatch.setenv("SECOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SECOPS_SMTP_PORT", str(closed_smtp))
    monkeypatch.setenv("SECOPS_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("SECOPS_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SECOPS_ALERT_EMAIL_TO", "secops@example.test")
    monkeypatch.setenv("SECOPS_ALERT_WEBHOOK_URL", webhook_url)
    monkeypatch.setenv("SECOPS_ALERT_RETRIES", "2")
    caplog.set_level(logging.DEBUG)

    second = check_failure_alert("run-0001", ["iam", "identities"], "identities_valid",
                                 owners=["team:identity-and-access"], summary="bad")
    outcomes = deliver_alerts(con, [_null_check_alert(), second], now=NOW)

    first_two = [(o.channel, o.status, o.attempts) for o in outcomes[:2]]
    assert first_two == [("email", "failed", 3), ("webhook", "failed", 3)]
    # The endpoints are known to be down: the next alert is recorded failed without waiting again.
    assert [(o.status, o.attempts) for o in outcomes[2:]] == [("failed", 0), ("failed", 0)]
    rows = _rows(con)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("email", "failed", 3), ("webhook", "failed", 3), ("email", "failed", 0), ("webhook", "failed", 0),
    ]
    assert all(r[5] for r in rows)

    warnings = [r for r in caplog.records if r.name == "secops.alerts" and r.levelno == logging.WARNING]
    assert warnings and any(f"http://127.0.0.1:{closed_http}" in r.getMessage() for r in warnings)
    assert any(f"smtp://127.0.0.1:{closed_smtp}" in r.getMessage() for r in warnings)
    stored = json.dumps(con.execute("SELECT * FROM ingest.alert_deliveries").fetchall(), default=str)
    for secret in (PASSWORD, WEBHOOK_TOKEN, "tokenXYZ123secret", webhook_url, SMTP_USER):
        assert secret not in caplog.text
        assert secret not in stored
        assert all(secret not in (o.error or "") + (o.destination or "") for o in outcomes)


def test_a_failed_attempt_is_retried_until_it_succeeds(con, monkeypatch, webhook_server):
    base, receiver = webhook_server
    monkeypatch.setenv("SECOPS_ALERT_WEBHOOK_URL", f"{base}/hooks/all")
    monkeypatch.setenv("SECOPS_ALERT_RETRIES", "3")
    receiver.fail_next = 2

    outcomes = deliver_alerts(con, [_null_check_alert()], now=NOW)

    webhook = [o for o in outcomes if o.channel == "webhook"]
    assert [(o.status, o.attempts) for o in webhook] == [("sent", 3)]
    assert len(receiver.posts) == 1


def test_a_permanent_webhook_error_is_not_retried(con, monkeypatch, webhook_server):
    base, receiver = webhook_server
    monkeypatch.setenv("SECOPS_ALERT_WEBHOOK_URL", f"{base.replace('http', 'ftp')}/hooks/all")
    outcomes = deliver_alerts(con, [_null_check_alert()], now=NOW)
    webhook = [o for o in outcomes if o.channel == "webhook"]
    assert [(o.status, o.attempts) for o in webhook] == [("failed", 1)]
    assert "not an http(s) URL" in webhook[0].error and "/hooks/all" not in webhook[0].error


def test_smtp_login_works_and_the_password_is_never_logged(con, monkeypatch, smtp_server_with_auth, caplog):
    smtp_port, mail = smtp_server_with_auth
    _configure(monkeypatch, smtp_port, VULNERABILITY_MANAGEMENT="vm@example.test")
    monkeypatch.setenv("SECOPS_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("SECOPS_SMTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)

    # Unset STARTTLS: used when offered; this server offers none, so credentials stay home.
    refused = deliver_alerts(con, [_null_check_alert("run-1")], now=NOW)
    email = [o for o in refused if o.channel == "email"][0]
    assert (email.status, email.attempts) == ("failed", 1) and "STARTTLS" in email.error
    assert mail.logins == [] and mail.messages == []

    monkeypatch.setenv("SECOPS_SMTP_STARTTLS", "false")
    sent = deliver_alerts(con, [_null_check_alert("run-2")], now=NOW)
    assert [o.status for o in sent if o.channel == "email"] == ["sent"]
    assert mail.logins == [SMTP_USER] and len(mail.messages) == 1

    monkeypatch.setenv("SECOPS_SMTP_PASSWORD", PASSWORD + "-wrong")
    wrong = deliver_alerts(con, [_null_check_alert("run-3", summary="another")], now=NOW + timedelta(days=2))
    email = [o for o in wrong if o.channel == "email"][0]
    assert (email.status, email.attempts) == ("failed", 1) and "authentication failed" in email.error

    stored = json.dumps(con.execute("SELECT * FROM ingest.alert_deliveries").fetchall(), default=str)
    for secret in (PASSWORD, SMTP_USER):
        assert secret not in caplog.text and secret not in stored


def test_a_failed_pipeline_run_alerts_the_pipeline_owners(con, monkeypatch, smtp_server, webhook_server):
    smtp_port, mail = smtp_server
    base, receiver = webhook_server
    assert pipeline_owners() == ["team:secops-data-platform"]
    _configure(monkeypatch, smtp_port, base, SECOPS_DATA_PLATFORM="data-platform@example.test",
               VULNERABILITY_MANAGEMENT="vm@example.test")

    alert = pipeline_failure_alert(
        "run-77", "secops_run", "dbt build failed: 2 models errored", failed_steps=["dbt_models"]
    )
    outcomes = deliver_alerts(con, [alert], now=NOW)

    assert _statuses(outcomes) == [
        ("team:secops-data-platform", "email", "sent"), ("team:secops-data-platform", "webhook", "sent"),
    ]
    [(rcpts, message)] = mail.messages
    assert rcpts == ["data-platform@example.test"]
    assert "secops_run" in message["Subject"] and "run-77" in message["Subject"]
    body = message.get_content()
    assert "dbt build failed: 2 models errored" in body and "dbt_models" in body
    [(path, payload)] = receiver.posts
    assert path == "/hooks/secops_data_platform" and "run-77" in payload["text"]
    assert _rows(con)[0][7:] == ("job:secops_run", "run_failed")


def test_entity_owners_override_their_family(con, monkeypatch, tmp_path, smtp_server):
    owners_file = tmp_path / "owners.yaml"
    owners_file.write_text(
        "pipeline: {owners: ['team:secops-data-platform']}\n"
        "families:\n"
        "  scanner:\n"
        "    owners: ['team:vulnerability-management']\n"
        "    entities:\n"
        "      certificates: {owners: ['team:pki']}\n"
        "  iam: {owners: ['team:identity-and-access']}\n"
    )
    monkeypatch.setenv(OWNERS_FILE_ENV, str(owners_file))
    assert owners_for("scanner", "certificates") == ["team:pki"]
    assert owners_for("scanner", "findings") == family_owners("scanner") == ["team:vulnerability-management"]
    assert owners_for("iam") == ["team:identity-and-access"]
    assert owners_for_asset("scanner/certificates") == ["team:pki"]
    assert owners_for_asset(["metrics", "vulnerability_slo_monthly"]) == ["team:secops-data-platform"]

    smtp_port, mail = smtp_server
    _configure(monkeypatch, smtp_port, PKI="pki@example.test", VULNERABILITY_MANAGEMENT="vm@example.test")
    alert = check_failure_alert("run-5", ["scanner", "certificates"], "certificates_valid",
                                failed_expectations=[{"expectation": "expect_column_values_to_not_be_null",
                                                      "column": "not_after", "unexpected_count": 1}])
    assert alert.owners == ("team:pki",)
    deliver_alerts(con, [alert], now=NOW)
    assert [rcpts for rcpts, _ in mail.messages] == [["pki@example.test"]]


def test_the_repository_owners_file_still_loads():
    assert family_owners("backup") == owners_for("backup", "backup_jobs") == ["team:sre-platform"]
    assert owners_for_asset("incident/incidents") == ["team:security-operations"]
    with pytest.raises(KeyError):
        owners_for("nonexistent")


def test_nothing_configured_records_not_configured_without_error(con, caplog):
    caplog.set_level(logging.WARNING)
    outcomes = deliver_alerts(con, [_null_check_alert(), pipeline_failure_alert("run-1", "secops_run", "boom")],
                              now=NOW)
    assert {o.status for o in outcomes} == {"not_configured"} and len(outcomes) == 4
    assert {r[3] for r in _rows(con)} == {"not_configured"}
    assert "SECOPS_ALERT_EMAIL_TO" in outcomes[0].error or "SECOPS_SMTP_HOST" in outcomes[0].error
    assert not [r for r in caplog.records if r.name == "secops.alerts"]


def test_the_table_is_created_when_missing_and_a_path_works_as_well(tmp_path, monkeypatch, smtp_server):
    smtp_port, mail = smtp_server
    _configure(monkeypatch, smtp_port, VULNERABILITY_MANAGEMENT="vm@example.test")
    path = tmp_path / "fresh.duckdb"  # no ensure_schema: the alert table makes its own schema
    outcomes = deliver_alerts(path, [_null_check_alert()], now=NOW)
    assert [o.status for o in outcomes if o.channel == "email"] == ["sent"]
    with connect(path) as check:
        assert check.execute("SELECT count(*) FROM ingest.alert_deliveries").fetchone()[0] == 2


def test_failed_great_expectations_checks_reach_their_owners_with_counts_and_samples(
    con, monkeypatch, tmp_path, smtp_server
):
    """What the checks call (orchestration.data_quality_alerts) on outcomes GX measured on a real table."""
    from expectations.adapter import run_suites, verdicts
    from expectations.config import CheckConfig
    from expectations.spec import Suite, expect
    from orchestration.data_quality_alerts import alerts_for_verdicts

    # 40 findings: 2 with a severity outside the set (5 %), ids unique
    con.execute(
        "CREATE SCHEMA staging; CREATE TABLE staging.some_findings AS "
        "SELECT i AS id, CASE WHEN i IN (7, 8) THEN 'urgent' ELSE 'high' END AS severity FROM range(40) r(i)"
    )
    suite = Suite(
        name="scanner.some_findings", asset_key=("scanner", "findings"), relation="staging.some_findings",
        query="select * from staging.some_findings",
        build=lambda gx, ctx: [
            expect(gx.expectations.ExpectColumnValuesToBeInSet, "validity", column="severity", value_set=["high", "low"]),
            expect(gx.expectations.ExpectColumnValuesToBeUnique, "uniqueness", column="id"),
        ],
        dimensions=("validity", "uniqueness"),
    )
    config = CheckConfig(error_share=0.05, stale_severity="WARN", cadence_hours={}, thresholds={},
                         sample_values=3, family_cadences={})
    monkeypatch.setenv("SECOPS_DATA_DOCS", str(tmp_path / "docs"))
    found = verdicts(run_suites(con, [suite], NOW, config))

    [alert] = alerts_for_verdicts("run-42", found)  # the passing uniqueness check sends nothing

    assert (alert.asset, alert.check_name, alert.severity, alert.owners) == (
        "scanner/findings", "validity", "WARN", ("team:vulnerability-management",)
    )
    assert [(e.expectation, e.column, e.unexpected_count, e.unexpected_percent, e.sample_values)
            for e in alert.failed_expectations] == [
        ("expect_column_values_to_be_in_set", "severity", 2, 5.0, ("urgent", "urgent")),
    ]
    assert alert.link == str(tmp_path / "docs" / "index.html")

    smtp_port, mail = smtp_server
    _configure(monkeypatch, smtp_port, VULNERABILITY_MANAGEMENT="vm@example.test")
    deliver_alerts(con, [alert], now=NOW)
    [(rcpts, message)] = mail.messages
    assert rcpts == ["vm@example.test"]
    body = message.get_content()
    assert "expect_column_values_to_be_in_set on column severity: 2 unexpected (5.00%); samples: 'urgent', 'urgent'" in body
