"""KnowBe4 phishing security-test recipients: the real failed-recipients response and own fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.training.knowbe4_phishing_json import KnowBe4PhishingJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "knowbe4_phishing_json"
SAMPLE = SHARED_SAMPLES / "training" / "knowbe4-json" / "knowbe4_pst_failed_recipients.json"
needs_samples = pytest.mark.skipif(not SAMPLE.is_file(), reason="shared samples absent")


def parse(path: Path, *, landing: Path | None = None) -> list[dict]:
    frame = KnowBe4PhishingJson().parse(path, "training", ParseContext(landing=landing, rules=load_rules()))
    rows = frame.entities["phishing_results"].to_dicts()
    return [{**row, "_extra": json.loads(row["_extra"]) if row["_extra"] else {}} for row in rows]


@needs_samples
def test_real_failed_recipient():
    rows = parse(SAMPLE)
    assert len(rows) == 1
    row = rows[0]
    assert (row["campaign_id"], row["user_id"]) == ("14240", "example4@kb4-demo.com")
    assert (row["sent_at"], row["delivered"]) == ("2019-04-02T15:02:38.000Z", "true")
    assert row["clicked_at"] == "2019-04-02T15:02:38.000Z"
    assert row["reported_at"] is None
    assert row["_extra"]["knowbe4_user_id"] == 264215
    # counts over the file: 1 delivered, 1 clicked, 0 reported
    assert sum(r["delivered"] == "true" for r in rows) == 1
    assert sum(r["clicked_at"] is not None for r in rows) == 1
    assert sum(r["reported_at"] is not None for r in rows) == 0


def test_failure_events_delivery_and_reports():
    rows = {r["_extra"]["recipient_id"]: r for r in parse(FIXTURES / "failure_events.json")}
    opened_attachment = rows[501]
    assert opened_attachment["clicked_at"] == "2024-04-02T09:12:00.000000Z"   # earliest failure event
    assert opened_attachment["_extra"]["clicked_source"] == "attachment_opened_at"
    bounced = rows[502]
    assert (bounced["delivered"], bounced["sent_at"]) == ("false", "2024-04-02T09:00:00.000Z")
    assert bounced["_extra"]["sent_at_source"] == "scheduled_at"
    replied = rows[503]
    assert replied["clicked_at"] is None                                   # a reply is not a click
    assert replied["reported_at"] == "2024-04-02T10:02:00.000Z"
    no_mail = rows[504]
    assert no_mail["user_id"] == "14"                                      # falls back to the KnowBe4 id
    assert no_mail["clicked_at"] == "2024-04-03T08:00:00.000Z"             # the vendor click wins
    assert "clicked_source" not in no_mail["_extra"]
    assert sum(r["delivered"] == "true" for r in rows.values()) == 3


def test_country_from_the_training_directory(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "user_directory.csv").write_text(
        "user_id,email,country\nu-1,Ana.Silva@example.com,BR\n", encoding="utf-8"
    )
    rows = {r["user_id"]: r for r in parse(FIXTURES / "failure_events.json", landing=tmp_path)}
    assert rows["ana.silva@example.com"]["country"] == "BR"       # training user_id is the e-mail
    assert rows["ben.ng@example.com"]["country"] is None


def test_not_a_list(tmp_path):
    path = tmp_path / "pst.json"
    path.write_text('{"recipient_id": 1, "pst_id": 2}')
    with pytest.raises(ExportError, match="pst.json: the recipient list is not a list"):
        parse(path)
