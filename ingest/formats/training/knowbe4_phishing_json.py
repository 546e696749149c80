"""KnowBe4 phishing security-test recipients (Reporting API
`GET /v1/phishing/security_tests/{pst_id}/recipients`: a JSON array of recipients).

COUNTING RULE: one recipient record = one phishing row (one simulated e-mail to one
person in one security test); rows are never merged.

Fields:
- `pst_id` -> campaign_id (the security test; the campaign id is not in this payload).
- user_id = `user.email`, else `user.id`: people are matched across families by user_id
  else e-mail, and KnowBe4's numeric id is known nowhere else. `user.id`,
  `recipient_id` and the template go to `_extra`.
- sent_at = `delivered_at`, else `scheduled_at` (an undelivered e-mail keeps its
  scheduled time so it is counted, as undelivered, in its month); `_extra.sent_at_source`.
- delivered = true when `delivered_at` is set, false otherwise (bounced or not sent).
- clicked_at = `clicked_at`; when blank, the earliest of the other failure events
  KnowBe4 records (`data_entered_at`, `attachment_opened_at`, `macro_enabled_at`,
  `qr_code_scanned`), `_extra.clicked_source` naming the event. A reply
  (`replied_at`) or an open (`opened_at`) is not a click.
- reported_at = `reported_at`.
- country: the payload has none: from the training user directory
  (ingest/formats/people.py), `_extra.country_source`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, dig, has_key, head_text, instants, json_kind, leftovers, load_json,
    record_list,
)
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.rules import ParseContext

FAILURE_EVENTS = ("data_entered_at", "attachment_opened_at", "macro_enabled_at", "qr_code_scanned")
TIMES = ("scheduled_at", "delivered_at", "clicked_at", "reported_at", *FAILURE_EVENTS)
COLUMNS = ("campaign_id", "user_id", "_knowbe4_user_id", *TIMES)
# The other failure events stay in _extra as well: they are evidence of the click rule.
MAPPED = ("pst_id", "user", "scheduled_at", "delivered_at", "clicked_at", "reported_at")


class KnowBe4PhishingJson(ExportFormat):
    name: ClassVar[str] = "knowbe4_phishing_json"
    families: ClassVar[tuple[str, ...]] = ("training",)

    def detect(self, path: Path, head: bytes) -> bool:
        if json_kind(head) != "array":
            return False
        text = head_text(head)
        return has_key(text, "recipient_id") and has_key(text, "pst_id")

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        notes: list[str] = []
        records = record_list(load_json(path), path, "the recipient list")
        frame = build_frame([_row(n, r) for n, r in enumerate(records, start=1)], COLUMNS)
        frame = frame.with_columns(vendor_values.timestamp(pl.col(c)).alias(c) for c in TIMES)

        # The earliest failure event stands in for a missing click (Python-free: min over instants).
        failure_instants = pl.DataFrame({c: instants(frame[c]) for c in FAILURE_EVENTS})
        earliest = failure_instants.select(pl.min_horizontal(FAILURE_EVENTS)).to_series()
        earliest_event = failure_instants.select(
            pl.coalesce([pl.when(pl.col(c) == earliest).then(pl.lit(c)) for c in FAILURE_EVENTS])
        ).to_series()
        frame = frame.with_columns(
            earliest.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").alias("_earliest_failure"),
            earliest_event.alias("_earliest_failure_event"),
        )
        clicked = pl.col("clicked_at")
        frame = frame.with_columns(
            pl.coalesce("delivered_at", "scheduled_at").alias("sent_at"),
            pl.when(pl.col("delivered_at").is_not_null()).then(pl.lit("true")).otherwise(pl.lit("false"))
            .alias("delivered"),
            pl.coalesce(clicked, pl.col("_earliest_failure")).alias("clicked_at"),
            pl.when(pl.col("delivered_at").is_not_null()).then(pl.lit("delivered_at"))
            .when(pl.col("scheduled_at").is_not_null()).then(pl.lit("scheduled_at"))
            .alias("_sent_at_source"),
            pl.when(clicked.is_null()).then(pl.col("_earliest_failure_event")).alias("_clicked_source"),
            pl.coalesce(pl.col("user_id"), pl.col("_knowbe4_user_id")).alias("user_id"),
        ).drop("scheduled_at", "delivered_at", "_earliest_failure", "_earliest_failure_event",
               "_knowbe4_user_id", *FAILURE_EVENTS)
        frame = complete_country(frame, context, family, notes=notes)
        frame = add_to_extra(frame, ["_sent_at_source", "_clicked_source", COUNTRY_SOURCE])
        return ParsedExport(format_name=self.name, entities={"phishing_results": frame}, notes=notes)


def _row(number: int, record: dict[str, Any]) -> dict[str, Any]:
    extra = leftovers(record, MAPPED)
    extra["knowbe4_user_id"] = dig(record, "user", "id")
    return {
        SOURCE_ROW: number,
        "campaign_id": record.get("pst_id"),
        "user_id": vendor_text(dig(record, "user", "email")),
        "_knowbe4_user_id": dig(record, "user", "id"),
        **{name: record.get(name) for name in TIMES},
        EXTRA: extra,
    }


def vendor_text(value: Any) -> Any:
    """A blank string is no value (KnowBe4 writes "" for a user without e-mail)."""
    return None if isinstance(value, str) and not value.strip() else value
