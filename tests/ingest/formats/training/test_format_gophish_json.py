"""GoPhish campaign results: the real campaign and results responses, and an own campaign list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats.base import ExportError
from ingest.formats.training.gophish_json import GophishJson
from ingest.rules import ParseContext
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "gophish_json"
SAMPLES = SHARED_SAMPLES / "training" / "gophish-json"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples absent")


def parse(path: Path) -> dict[str, dict]:
    rows = GophishJson().parse(path, "training", ParseContext()).entities["phishing_results"].to_dicts()
    return {r["user_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


@needs_samples
@pytest.mark.parametrize("name", ["gophish_api_campaign_full.json", "gophish_api_campaign_results.json"])
def test_real_campaign_and_results_responses(name):
    rows = parse(SAMPLES / name)
    assert set(rows) == {"user@example.com", "foo@bar.com"}
    sent_only, clicked = rows["user@example.com"], rows["foo@bar.com"]
    assert {r["campaign_id"] for r in rows.values()} == {"1"}
    assert (sent_only["sent_at"], sent_only["delivered"], sent_only["clicked_at"]) == (
        "2018-10-08T15:56:29.535158Z", "true", None)
    assert clicked["sent_at"] == "2018-10-08T15:56:29.548722Z"
    assert clicked["clicked_at"] == "2018-10-08T15:56:46.955281Z"   # tied by rid in the event details
    assert clicked["reported_at"] is None
    # counts: 2 delivered, 1 clicked, 0 reported
    counts = [sum(r[k] not in (None, "false") for r in rows.values()) for k in ("delivered", "clicked_at", "reported_at")]
    assert counts == [2, 1, 0]
    assert clicked["_extra"]["rid"] == "VYrDwtG"


def test_campaign_list_events_and_fallbacks():
    rows = parse(FIXTURES / "campaign_list.json")
    ana = rows["ana.silva@example.com"]
    assert (ana["sent_at"], ana["reported_at"]) == ("2024-04-02T09:00:01.500000Z", "2024-04-02T09:30:00.000000Z")
    ben = rows["ben.ng@example.com"]
    assert ben["clicked_at"] == "2024-04-02T10:04:00.000000Z"        # earliest of click and submit
    assert ben["reported_at"] == "2024-04-02T11:00:00Z"              # reported flag, no event
    assert ben["_extra"]["reported_source"] == "modified_date"
    error = rows["bad@example.invalid"]
    assert (error["delivered"], error["sent_at"]) == ("false", "2024-04-02T09:00:00Z")
    cara = rows["cara.diaz@example.com"]
    assert (cara["delivered"], cara["clicked_at"]) == ("true", "2024-04-02T12:00:00Z")
    assert cara["_extra"]["clicked_source"] == "modified_date"
    assert cara["_extra"]["sent_at_source"] == "send_date"
    scheduled = rows["dan.berg@example.com"]
    assert (scheduled["campaign_id"], scheduled["delivered"]) == ("8", "false")
    assert [r["_source_row"] for r in rows.values()] == [1, 2, 3, 4, 5]


def test_results_must_be_a_list(tmp_path):
    path = tmp_path / "campaign.json"
    path.write_text('{"id": 1, "results": {"email": "a"}, "timeline": []}')
    with pytest.raises(ExportError, match="campaign.json: results is not a list"):
        parse(path)
