"""GoPhish campaign results: the full campaign object (`GET /api/campaigns/:id`), its
results response (`GET /api/campaigns/:id/results`), or a list of campaign objects
(`GET /api/campaigns/`).

COUNTING RULE: one `results[]` entry (one recipient of one campaign, GoPhish's `rid`)
= one phishing row (one simulated e-mail); rows are never merged.

Fields:
- campaign_id = the campaign's `id`; its name, launch_date and status go to `_extra`.
- user_id = the result's `email` (people are matched by user_id else e-mail); rid,
  names, position and the GoPhish status go to `_extra`.
- Timeline events are tied to a result by the `rid` in their `details` payload, else by
  their e-mail:
  sent_at = the earliest 'Email Sent' event, else the result's `send_date`, else the
  campaign's `launch_date`;
  clicked_at = the earliest 'Clicked Link' or 'Submitted Data' event;
  reported_at = the earliest 'Email Reported' event.
  When the timeline lacks the event but the result says it happened (status 'Clicked
  Link'/'Submitted Data', or `reported` true), the result's `modified_date` (its last
  status change) stands in. Every choice is marked in `_extra` (`sent_at_source`,
  `clicked_source`, `reported_source`).
- delivered = true when an 'Email Sent' event exists or the status is one GoPhish only
  reaches after sending (Email Sent, Email Opened, Clicked Link, Submitted Data, Email
  Reported); false otherwise (Scheduled, Queued, Sending, Retrying, Error...).
- country: the results carry none: from the training user directory
  (ingest/formats/people.py).
- GoPhish's zero time `0001-01-01T00:00:00Z` (unset dates) is a missing value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, has_key, head_text, instants, json_kind, leftovers, load_json, record_list,
)
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.rules import ParseContext

SENT_STATUSES = ("email sent", "email opened", "clicked link", "submitted data", "email reported")
CLICK_STATUSES = ("clicked link", "submitted data")
EVENT_KINDS = {
    "Email Sent": "sent",
    "Clicked Link": "clicked",
    "Submitted Data": "clicked",
    "Email Reported": "reported",
}
COLUMNS = (
    "campaign_id", "user_id", "_rid", "_status", "_reported", "_send_date", "_modified_date", "_launch_date",
)
ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"


class GophishJson(ExportFormat):
    name: ClassVar[str] = "gophish_json"
    families: ClassVar[tuple[str, ...]] = ("training",)

    def detect(self, path: Path, head: bytes) -> bool:
        if json_kind(head) is None:
            return False
        text = head_text(head)
        if not has_key(text, "results"):
            return False
        return has_key(text, "timeline") or (has_key(text, "send_date") and has_key(text, "reported"))

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        notes: list[str] = []
        document = load_json(path)
        campaigns = record_list([document] if isinstance(document, dict) else document, path, "the campaign list")
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for index, campaign in enumerate(campaigns, start=1):
            where = "results" if len(campaigns) == 1 else f"results of campaign {index}"
            if "results" not in campaign:
                raise ExportError(f"{path}: campaign {index} has no results list (not GoPhish results)")
            results = record_list(campaign["results"], path, where)
            first = len(rows) + 1
            rows += [_row(first + n, campaign, result) for n, result in enumerate(results)]
            events += _events(campaign, rows[first - 1:], path, index)

        frame = build_frame(rows, COLUMNS)
        frame = frame.with_columns(
            vendor_values.timestamp(pl.col(c)).alias(c) for c in ("_send_date", "_modified_date", "_launch_date")
        )
        frame = frame.join(_first_events(events), on=SOURCE_ROW, how="left", maintain_order="left")
        status = pl.col("_status").str.to_lowercase()
        reported_flag = vendor_values.boolean_text(pl.col("_reported")) == "true"
        frame = frame.with_columns(
            pl.coalesce("_ev_sent", "_send_date", "_launch_date").alias("sent_at"),
            pl.when(pl.col("_ev_sent").is_not_null()).then(pl.lit("email_sent_event"))
            .when(pl.col("_send_date").is_not_null()).then(pl.lit("send_date"))
            .when(pl.col("_launch_date").is_not_null()).then(pl.lit("launch_date"))
            .alias("_sent_at_source"),
            pl.when(pl.col("_ev_sent").is_not_null() | status.is_in(SENT_STATUSES).fill_null(False))
            .then(pl.lit("true")).otherwise(pl.lit("false")).alias("delivered"),
            pl.when(pl.col("_ev_clicked").is_not_null()).then(pl.col("_ev_clicked"))
            .when(status.is_in(CLICK_STATUSES).fill_null(False)).then(pl.col("_modified_date"))
            .alias("clicked_at"),
            pl.when(pl.col("_ev_clicked").is_null() & status.is_in(CLICK_STATUSES).fill_null(False))
            .then(pl.lit("modified_date")).alias("_clicked_source"),
            pl.when(pl.col("_ev_reported").is_not_null()).then(pl.col("_ev_reported"))
            .when(reported_flag.fill_null(False)).then(pl.col("_modified_date"))
            .alias("reported_at"),
            pl.when(pl.col("_ev_reported").is_null() & reported_flag.fill_null(False))
            .then(pl.lit("modified_date")).alias("_reported_source"),
            vendor_values.text(pl.col("user_id")).alias("user_id"),
        ).drop(
            "_rid", "_status", "_reported", "_send_date", "_modified_date", "_launch_date",
            "_ev_sent", "_ev_clicked", "_ev_reported",
        )
        frame = complete_country(frame, context, family, notes=notes)
        frame = add_to_extra(frame, ["_sent_at_source", "_clicked_source", "_reported_source", COUNTRY_SOURCE])
        return ParsedExport(format_name=self.name, entities={"phishing_results": frame}, notes=notes)


def _row(number: int, campaign: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    extra = leftovers(result, ("email", "status", "reported", "send_date", "modified_date"))
    extra["rid"] = extra.pop("id", None)
    extra.update({
        "gophish_status": result.get("status"),
        "campaign_name": campaign.get("name"),
        "campaign_status": campaign.get("status"),
        "launch_date": campaign.get("launch_date"),
    })
    return {
        SOURCE_ROW: number,
        "campaign_id": campaign.get("id"),
        "user_id": result.get("email"),
        "_rid": result.get("id"),
        "_status": result.get("status"),
        "_reported": result.get("reported"),
        "_send_date": result.get("send_date"),
        "_modified_date": result.get("modified_date"),
        "_launch_date": campaign.get("launch_date"),
        EXTRA: extra,
    }


def _events(campaign: dict[str, Any], rows: list[dict[str, Any]], path: Path, index: int) -> list[dict[str, Any]]:
    """(row, kind, time) of the timeline events that count, tied to their result rows."""
    timeline = campaign.get("timeline") or []
    where = "timeline" if index == 1 else f"timeline of campaign {index}"
    by_rid = {row["_rid"]: row[SOURCE_ROW] for row in rows if row["_rid"] is not None}
    by_email: dict[str, list[int]] = {}
    for row in rows:
        if isinstance(row["user_id"], str):
            by_email.setdefault(row["user_id"].strip().lower(), []).append(row[SOURCE_ROW])
    found: list[dict[str, Any]] = []
    for event in record_list(timeline, path, where):
        kind = EVENT_KINDS.get(str(event.get("message", "")).strip())
        if kind is None:
            continue
        rid = _rid_of(event.get("details"))
        targets = [by_rid[rid]] if rid in by_rid else by_email.get(str(event.get("email", "")).strip().lower(), [])
        found += [{SOURCE_ROW: target, "kind": kind, "time": event.get("time")} for target in targets]
    return found


def _rid_of(details: Any) -> str | None:
    """The result id in an event's details (a JSON document in a string: payload.rid[0])."""
    if isinstance(details, str) and details.strip():
        try:
            details = json.loads(details)
        except json.JSONDecodeError:
            return None
    rid = details.get("payload", {}).get("rid") if isinstance(details, dict) else None
    if isinstance(rid, list):
        rid = rid[0] if rid else None
    return rid if isinstance(rid, str) else None


def _first_events(events: list[dict[str, Any]]) -> pl.DataFrame:
    """Per result row, the earliest time of each event kind (columns _ev_sent/_ev_clicked/_ev_reported)."""
    kinds = ("sent", "clicked", "reported")
    if not events:
        return pl.DataFrame(schema={SOURCE_ROW: pl.Int64, **{f"_ev_{k}": pl.String for k in kinds}})
    frame = pl.DataFrame(events, schema={SOURCE_ROW: pl.Int64, "kind": pl.String, "time": pl.String})
    frame = frame.with_columns(instants(_clean_times(frame["time"])).alias("at"))
    return frame.group_by(SOURCE_ROW).agg(
        pl.col("at").filter(pl.col("kind") == kind).min().dt.strftime(ISO_UTC).alias(f"_ev_{kind}")
        for kind in kinds
    )


def _clean_times(texts: pl.Series) -> pl.Series:
    """Vendor time forms as ISO text (GoPhish's zero time as missing)."""
    return pl.DataFrame({"t": texts}).select(vendor_values.timestamp(pl.col("t"))).to_series()
