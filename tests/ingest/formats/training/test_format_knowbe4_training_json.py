"""KnowBe4 training enrollments: a fixture of the documented shape (the shared samples hold
User Event API data instead, which must not pass for enrollments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.base import ExportError
from ingest.formats.training.knowbe4_training_json import KnowBe4TrainingJson
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

FIXTURES = Path(__file__).resolve().parent / "samples" / "knowbe4_training_json"
USER_EVENTS = SHARED_SAMPLES / "training" / "knowbe4-json" / "knowbe4_user_events_api.json"


def parse(path: Path, *, training_rules: dict, landing: Path | None = None) -> dict[str, dict]:
    rules = {**load_rules(), "training": training_rules}
    parsed = KnowBe4TrainingJson().parse(path, "training", ParseContext(landing=landing, rules=rules))
    rows = parsed.entities["assignments"].to_dicts()
    return {r["assignment_id"]: {**r, "_extra": json.loads(r["_extra"])} for r in rows}


@pytest.fixture
def with_campaigns(tmp_path: Path) -> Path:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "campaigns.csv").write_bytes((FIXTURES / "reference_campaigns.csv").read_bytes())
    return tmp_path


def test_fields_and_rule_completion():
    rows = parse(FIXTURES / "enrollments.json", training_rules={"knowbe4_required": True, "knowbe4_due_days": 30})
    passed = rows["7001"]
    assert (passed["user_id"], passed["course"]) == ("ana.silva@example.com", "2024 Security Awareness Training")
    assert (passed["assigned_at"], passed["completed_at"]) == ("2024-03-01T08:00:00.000Z", "2024-03-10T16:30:00.000Z")
    assert (passed["required"], passed["due_at"]) == ("true", "2024-03-31T08:00:00.000000Z")
    assert passed["_extra"]["required_source"] == "rule" and passed["_extra"]["due_at_source"] == "rule"
    assert passed["_extra"]["status"] == "Passed"
    assert rows["7003"]["user_id"] == "15"                       # no e-mail: the KnowBe4 user id
    assert rows["7004"]["due_at"] == "2024-03-20T23:59:59.000Z"   # the export's own due date wins
    assert rows["7004"]["_extra"]["due_at_source"] == "export"


def test_campaigns_table_by_id_then_name(with_campaigns):
    rules = {"knowbe4_campaigns_csv": "reference/campaigns.csv", "knowbe4_required": True, "knowbe4_due_days": 30}
    rows = parse(FIXTURES / "enrollments.json", training_rules=rules, landing=with_campaigns)
    assert (rows["7002"]["required"], rows["7002"]["_extra"]["required_source"]) == ("false", "campaigns_csv")
    assert rows["7002"]["due_at"] == "2024-03-31T08:00:00.000000Z"      # table has no due: the rule
    assert rows["7003"]["due_at"] == "2024-05-01T00:00:00Z"             # matched by campaign_id 4261
    assert rows["7001"]["due_at"] == "2024-03-15T08:00:00.000000Z"      # name, any case: +14 days
    assert rows["7001"]["_extra"]["due_at_source"] == "campaigns_csv"
    assert rows["7001"]["required"] == "true"                           # table blank: the rule


def test_without_rules_required_and_due_stay_blank():
    rows = parse(FIXTURES / "enrollments.json", training_rules={})
    assert rows["7001"]["required"] is None and rows["7001"]["due_at"] is None
    assert "due_at_source" not in rows["7001"]["_extra"]


@pytest.mark.skipif(not USER_EVENTS.is_file(), reason="shared samples absent")
def test_user_events_are_not_enrollments():
    head = USER_EVENTS.read_bytes()[:65536]
    assert not KnowBe4TrainingJson().detect(USER_EVENTS, head)
    with pytest.raises(ExportError, match="not a recognised training export"):
        registry.detect(USER_EVENTS, "training")


def test_record_not_an_object(tmp_path):
    path = tmp_path / "enrollments.json"
    path.write_text('[{"enrollment_id": 1, "module_name": "x"}, 3]')
    with pytest.raises(ExportError, match="record 2 of the enrollment list"):
        parse(path, training_rules={})
