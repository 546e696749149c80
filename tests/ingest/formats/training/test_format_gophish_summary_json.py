"""A GoPhish campaign summary is recognised and refused, naming the call that gives results."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.training.gophish_summary_json import GophishSummaryJson
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "gophish_summary_json"
REAL_RESULTS = SHARED_SAMPLES / "training" / "gophish-json" / "gophish_api_campaign_results.json"


@pytest.mark.parametrize(
    ("name", "campaigns", "call"),
    [("one_campaign_summary.json", "campaign 4 'Q1 invoice lure'", "/api/campaigns/4/results"),
     ("all_campaign_summaries.json", "campaign 4 'Q1 invoice lure', 5 'Q2 parcel notice'", "/api/campaigns/4/results")],
)
def test_summary_is_refused_with_the_export_to_take(name, campaigns, call):
    path = FIXTURES / name
    assert registry.detect(path, "training").name == "gophish_summary_json"
    with pytest.raises(ExportError) as refused:
        GophishSummaryJson().parse(path, "training")
    message = str(refused.value)
    assert message.startswith(f"{path}: a GoPhish campaign summary ({campaigns}: stats only)")
    assert "holds no per-recipient results" in message and f"GET {call}" in message


@pytest.mark.skipif(not REAL_RESULTS.is_file(), reason="shared samples absent")
def test_results_are_not_taken_for_a_summary():
    assert registry.detect(REAL_RESULTS, "training").name == "gophish_json"
