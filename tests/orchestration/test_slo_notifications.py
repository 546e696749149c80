"""SLO-breach notifications through `secops run`, to a real SMTP server and HTTP receiver on 127.0.0.1.

The fixture landing folder (tests/orchestration/landing; values in test_pipeline.py) at as_of
2026-10-15, months 2026-09 and 2026-10: September is closed, October in progress.
September breaches three security SLOs: critical_patch_24h 1/3, privileged_mfa 1/2 and
expired_certs_production (1 expired production certificate of 3), each told to its team and the
executives; its four error budgets are overspent (availability 60 of 43.2 minutes, security
incidents 660 of 43.2, vulnerability debt 1.0 of 0.02, compliance drift 0.567 of 0.01), each told
to its team only. October's backup_restore_test
is pending with 0/0 (the month is open, no evidence yet): nobody is told. A rerun tells nobody again.
Withdrawing certificates_2026-09-14.csv (the snapshot with the expired certificate) and
rerunning turns expired_certs_production of September into met: its owners get a correction.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.warehouse import open_warehouse
from orchestration.cli import main
from test_alerts import _Receiver, _start_smtp

FIXTURE_LANDING = Path(__file__).parent / "landing"
AS_OF = "2026-10-15T00:00:00Z"
TEAMS = ("VULNERABILITY_MANAGEMENT", "IDENTITY_AND_ACCESS", "SECURITY_LEADERSHIP", "SRE_PLATFORM",
         "SECURITY_OPERATIONS", "SECOPS_DATA_PLATFORM", "SECURITY_AWARENESS")


def _address(team: str) -> str:
    return f"{team.lower()}@example.test"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, restore_environment):
    import threading

    base = tmp_path_factory.mktemp("slo_notifications")
    landing, warehouse, reports = base / "landing", base / "warehouse.duckdb", base / "reports"
    shutil.copytree(FIXTURE_LANDING, landing)
    controller, mail = _start_smtp()
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    webhook_base = f"http://127.0.0.1:{receiver.server_address[1]}"
    env = {
        "SECOPS_SMTP_HOST": "127.0.0.1",
        "SECOPS_SMTP_PORT": str(controller.port),
        "SECOPS_SMTP_FROM": "secops-metrics@example.test",
        "SECOPS_ALERT_BACKOFF_SECONDS": "0",
        "SECOPS_REPORTS": str(reports),
        "SECOPS_DATA_DOCS": str(base / "data_docs"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for team in TEAMS:
        env[f"SECOPS_ALERT_EMAIL_TO_{team}"] = _address(team)
        env[f"SECOPS_ALERT_WEBHOOK_URL_{team}"] = f"{webhook_base}/hooks/{team.lower()}"
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF, "--month", "2026-09:2026-10"]
    seen = []
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("SECOPS_ALERT_EMAIL_TO", "SECOPS_ALERT_WEBHOOK_URL", "SECOPS_OWNERS_FILE"):
                patch.delenv(name, raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            for step in ("first", "rerun", "after_withdraw"):
                if step == "after_withdraw":
                    assert main(["withdraw", str(landing / "scanner" / "certificates_2026-09-14.csv"),
                                 "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
                before_mail, before_posts = len(mail.messages), len(receiver.posts)
                code = main(args)
                seen.append((code, mail.messages[before_mail:], receiver.posts[before_posts:]))
    finally:
        controller.stop()
        receiver.shutdown()
        receiver.server_close()
    return {"warehouse": warehouse, "reports": reports, "steps": dict(zip(("first", "rerun", "after_withdraw"), seen))}


def _deliveries(warehouse: Path) -> list[tuple]:
    """What the alert channels recorded for the SLO notifications (the message of a failed assertion)."""
    with open_warehouse(warehouse, read_only=True) as con:
        return con.execute(
            "SELECT run_id, check_name, team, channel, status, error FROM ingest.alert_deliveries "
            "WHERE asset LIKE 'metrics/%' ORDER BY rowid"
        ).fetchall()


def _subject(message) -> str:
    # A Subject longer than a line is folded right after "Subject:" (RFC 5322); Python's parser
    # keeps the space of the fold, mail clients do not.
    return message["Subject"].strip()


def _slo_mails(messages):
    """(recipients, subject, body) of the SLO notifications among the run's mails."""
    return sorted(
        (tuple(rcpts), _subject(m), m.get_content())
        for rcpts, m in messages
        if _subject(m).startswith(("[secops SLO", "[secops Error budget"))
    )


def _slo_posts(posts):
    return sorted(
        (path, payload["blocks"][0]["text"]["text"])
        for path, payload in posts
        if payload["blocks"][0]["text"]["text"].startswith(("[secops SLO", "[secops Error budget"))
    )


BREACHES = {
    # subject: the teams it goes to (owners.yaml slo_notifications; executives for security SLOs)
    "[secops SLO breached] critical_patch_24h 2026-09: 0.333333 (target >= 1)": ("VULNERABILITY_MANAGEMENT", "SECURITY_LEADERSHIP"),
    "[secops SLO breached] privileged_mfa 2026-09: 0.5 (target >= 1)": ("IDENTITY_AND_ACCESS", "SECURITY_LEADERSHIP"),
    "[secops SLO breached] expired_certs_production 2026-09: 1 (target <= 0)": ("VULNERABILITY_MANAGEMENT", "SECURITY_LEADERSHIP"),
    # error budgets (consumed / allowed above 1) go to their owners only
    "[secops Error budget breached] availability 2026-09: 1.38889 (target <= 1)": ("SRE_PLATFORM",),
    "[secops Error budget breached] security_incident 2026-09: 15.2778 (target <= 1)": ("SECURITY_OPERATIONS",),
    "[secops Error budget breached] vulnerability_debt 2026-09: 50 (target <= 1)": ("VULNERABILITY_MANAGEMENT",),
    "[secops Error budget breached] compliance_drift 2026-09: 56.6667 (target <= 1)": ("IDENTITY_AND_ACCESS",),
}


def test_each_breach_of_the_closed_month_reaches_exactly_its_owners_once_by_mail_and_webhook(runs):
    code, messages, posts = runs["steps"]["first"]
    mails = _slo_mails(messages)
    expected = sorted((( _address(team),), subject) for subject, teams in BREACHES.items() for team in teams)
    assert [(rcpts, subject) for rcpts, subject, _ in mails] == expected, _deliveries(runs["warehouse"])
    assert _slo_posts(posts) == sorted(
        (f"/hooks/{team.lower()}", subject) for subject, teams in BREACHES.items() for team in teams
    )


def test_the_message_has_value_target_numerator_denominator_and_the_report(runs):
    _, messages, posts = runs["steps"]["first"]
    [(_, subject, body)] = [m for m in _slo_mails(messages) if "privileged_mfa" in m[1] and m[0] == (_address("IDENTITY_AND_ACCESS"),)]
    report = runs["reports"] / "2026-09" / "report.html"
    assert report.is_file()
    facts = dict(
        (label.strip(), value.strip()) for label, _, value in
        (line.partition(":") for line in body.splitlines()[2:13] if ":" in line)
    )
    assert facts == {
        "SLO": "privileged_mfa", "Month": "2026-09", "Status": "breached", "Value": "0.5", "Target": ">= 1",
        "Numerator": "1", "Denominator": "2", "Evaluated at": "2026-10-15T00:00:00+00:00", "Run": facts["Run"],
        "Owners": "team:identity-and-access (sent to team:identity-and-access)", "Report": str(report),
    }
    [(_, payload)] = [p for p in posts if p[0] == "/hooks/identity_and_access" and "privileged_mfa" in p[1]["text"]]
    assert "Numerator: 1" in payload["text"] and "Denominator: 2" in payload["text"] and str(report) in payload["text"]


def test_the_open_month_is_never_told(runs):
    _, messages, _ = runs["steps"]["first"]
    with open_warehouse(runs["warehouse"], read_only=True) as con:
        october = con.execute(
            "SELECT status FROM metrics.security_slo_monthly WHERE month = DATE '2026-10-01' AND slo_id = 'backup_restore_test'"
        ).fetchone()[0]
    # no restore test so far in October, which is in progress: pending (evidence may still come)
    assert october == "pending"
    assert not [m for m in _slo_mails(messages) if "2026-10" in m[1]]


def test_a_rerun_tells_nobody_again(runs):
    code, messages, posts = runs["steps"]["rerun"]
    assert _slo_mails(messages) == [] and _slo_posts(posts) == []


def test_a_recompute_that_ends_a_breach_sends_a_correction_to_the_same_teams(runs):
    _, messages, posts = runs["steps"]["after_withdraw"]
    subject = "[secops SLO correction] expired_certs_production 2026-09 is no longer breached: met"
    assert [(rcpts, s) for rcpts, s, _ in _slo_mails(messages)] == [
        ((_address("SECURITY_LEADERSHIP"),), subject), ((_address("VULNERABILITY_MANAGEMENT"),), subject),
    ]
    assert [p for p, _ in _slo_posts(posts)] == ["/hooks/security_leadership", "/hooks/vulnerability_management"]
    with open_warehouse(runs["warehouse"], read_only=True) as con:
        told = con.execute(
            "SELECT name, notified, status, team, count(*) FROM ingest.slo_notifications "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert ("expired_certs_production", "recovered", "met", "team:vulnerability-management", 2) in told
