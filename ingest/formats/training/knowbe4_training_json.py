"""KnowBe4 training enrollments (Reporting API `GET /v1/training/enrollments`: a JSON array).

Documented record shape: `enrollment_id, content_type, module_name, user{id, first_name,
last_name, email}, campaign_name, enrollment_date, start_date, completion_date, status,
time_spent, policy_acknowledged` (plus `campaign_id` when asked with include_campaign_id).
The KnowBe4 *User Event* API (`{data: [...], meta: {...}}`) is a different export and is
not an enrollment list: it is not recognised here.

COUNTING RULE: one enrollment record = one training assignment (`assignment_id` =
`enrollment_id`, merged across exports by that id downstream).

Fields:
- user_id = `user.email`, else `user.id` (people are matched by user_id else e-mail;
  KnowBe4's numeric id is known nowhere else); `user.id` goes to `_extra`.
- course = `module_name`; assigned_at = `enrollment_date`; completed_at =
  `completion_date` (KnowBe4 sets it when the module is passed/completed); the
  KnowBe4 status, content type, campaign, time spent go to `_extra`.
- required and due_at: an enrollment carries neither (KnowBe4 keeps the deadline on the
  training campaign). Completed by rules of the training section of ingest/rules.yaml,
  first that applies, each marked in `_extra.required_source` / `_extra.due_at_source`:
  1. the record's own `due_date` / `required`, when an export carries them ("export");
  2. the campaigns table `knowbe4_campaigns_csv` (columns `campaign` - the campaign name
     or id -, `required`, `due_at`, `due_days`), matched by campaign_id, else by
     campaign_name, case-insensitively ("campaigns_csv"): due_at, else enrollment_date
     plus due_days;
  3. `knowbe4_required` (default true: every enrollment in a security-awareness
     campaign is mandatory) and `knowbe4_due_days` (due_at = enrollment_date + N days)
     ("rule").
  With none of them, the field stays blank (required blank reads as false; an
  assignment without due_at is never due).
- country: from the training user directory (ingest/formats/people.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, read_csv_text, read_header, tidy_text
from ingest.formats.iam._json_records import (
    add_to_extra, build_frame, dig, has_key, head_text, instants, json_kind, leftovers, load_json,
    record_list,
)
from ingest.formats.people import COUNTRY_SOURCE, complete_country
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext

COLUMNS = (
    "assignment_id", "user_id", "course", "assigned_at", "completed_at",
    "_knowbe4_user_id", "_campaign_id", "_campaign_name", "_due_date", "_required",
)
MAPPED = ("enrollment_id", "module_name", "user", "enrollment_date", "completion_date", "due_date", "required")
ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"


class KnowBe4TrainingJson(ExportFormat):
    name: ClassVar[str] = "knowbe4_training_json"
    families: ClassVar[tuple[str, ...]] = ("training",)

    def detect(self, path: Path, head: bytes) -> bool:
        if json_kind(head) != "array":
            return False
        text = head_text(head)
        return has_key(text, "enrollment_id") and (
            has_key(text, "module_name") or has_key(text, "enrollment_date")
        )

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        notes: list[str] = []
        records = record_list(load_json(path), path, "the enrollment list")
        frame = build_frame([_row(n, r) for n, r in enumerate(records, start=1)], COLUMNS)
        frame = frame.with_columns(
            vendor_values.timestamp(pl.col(c)).alias(c) for c in ("assigned_at", "completed_at", "_due_date")
        ).with_columns(
            pl.coalesce("user_id", "_knowbe4_user_id").alias("user_id"),
            vendor_values.boolean_text(pl.col("_required")).alias("_required"),
        )
        rules = context.rules.get(family, {})
        campaigns = _campaigns(context.reference_file(family, "knowbe4_campaigns_csv"))
        frame = _join_campaigns(frame, campaigns)

        default_required = rules.get("knowbe4_required")
        default_days = rules.get("knowbe4_due_days")
        assigned = instants(frame["assigned_at"])
        frame = frame.with_columns(
            _plus_days(assigned, frame["_c_due_days"]).alias("_c_due_from_days"),
            _plus_days(assigned, pl.Series([default_days] * frame.height, dtype=pl.Float64))
            .alias("_rule_due"),
        )
        rule_required = None if default_required is None else ("true" if default_required else "false")
        frame = frame.with_columns(
            pl.coalesce("_required", "_c_required", pl.lit(rule_required, dtype=pl.String)).alias("required"),
            pl.when(pl.col("_required").is_not_null()).then(pl.lit("export"))
            .when(pl.col("_c_required").is_not_null()).then(pl.lit("campaigns_csv"))
            .when(pl.lit(rule_required is not None)).then(pl.lit("rule"))
            .alias("_required_source"),
            pl.coalesce("_due_date", "_c_due_at", "_c_due_from_days", "_rule_due").alias("due_at"),
            pl.when(pl.col("_due_date").is_not_null()).then(pl.lit("export"))
            .when(pl.coalesce("_c_due_at", "_c_due_from_days").is_not_null()).then(pl.lit("campaigns_csv"))
            .when(pl.col("_rule_due").is_not_null()).then(pl.lit("rule"))
            .alias("_due_at_source"),
        ).drop(
            "_required", "_c_required", "_due_date", "_c_due_at", "_c_due_days", "_c_due_from_days",
            "_rule_due", "_knowbe4_user_id", "_campaign_id", "_campaign_name",
        )
        frame = complete_country(frame, context, family, notes=notes)
        frame = add_to_extra(frame, ["_required_source", "_due_at_source", COUNTRY_SOURCE])
        return ParsedExport(format_name=self.name, entities={"assignments": frame}, notes=notes)


def _row(number: int, record: dict[str, Any]) -> dict[str, Any]:
    extra = leftovers(record, MAPPED)
    extra["knowbe4_user_id"] = dig(record, "user", "id")
    email = dig(record, "user", "email")
    return {
        SOURCE_ROW: number,
        "assignment_id": record.get("enrollment_id"),
        "user_id": email if isinstance(email, str) and email.strip() else None,
        "course": record.get("module_name"),
        "assigned_at": record.get("enrollment_date"),
        "completed_at": record.get("completion_date"),
        "_knowbe4_user_id": dig(record, "user", "id"),
        "_campaign_id": record.get("campaign_id"),
        "_campaign_name": record.get("campaign_name"),
        "_due_date": record.get("due_date"),
        "_required": record.get("required"),
        EXTRA: extra,
    }


def _campaigns(path: Path | None) -> pl.DataFrame | None:
    """The campaigns table: campaign (name or id), required, due_at, due_days."""
    if path is None:
        return None
    with path.open("rb") as handle:
        header = read_header(handle.read(HEAD_BYTES))
    if not header or "campaign" not in header:
        raise ExportError(f"{path}: the KnowBe4 campaigns table needs a campaign column")
    table = tidy_text(read_csv_text(path, header), header)

    def column(name: str) -> pl.Expr:
        return pl.col(name) if name in header else pl.lit(None, dtype=pl.String)

    return table.select(
        pl.col("campaign").str.to_lowercase().alias("_key"),
        vendor_values.boolean_text(column("required")).alias("_c_required"),
        vendor_values.timestamp(column("due_at")).alias("_c_due_at"),
        column("due_days").cast(pl.Float64, strict=False).alias("_c_due_days"),
    ).unique(subset="_key", keep="first", maintain_order=True)


CAMPAIGN_FIELDS = ("_c_required", "_c_due_at", "_c_due_days")


def _join_campaigns(frame: pl.DataFrame, campaigns: pl.DataFrame | None) -> pl.DataFrame:
    """The campaign's fields beside each enrollment: matched by campaign_id, else by name."""
    if campaigns is None:
        return frame.with_columns(
            pl.lit(None, dtype=pl.String).alias("_c_required"),
            pl.lit(None, dtype=pl.String).alias("_c_due_at"),
            pl.lit(None, dtype=pl.Float64).alias("_c_due_days"),
        )
    keyed = frame.with_columns(
        pl.col("_campaign_id").str.to_lowercase().alias("_key_id"),
        pl.col("_campaign_name").str.strip_chars().str.to_lowercase().alias("_key_name"),
    )
    by_id = keyed.join(campaigns, left_on="_key_id", right_on="_key", how="left", maintain_order="left")
    by_name = keyed.join(campaigns, left_on="_key_name", right_on="_key", how="left", maintain_order="left")
    found_by_id = by_id.select(pl.any_horizontal(pl.col(CAMPAIGN_FIELDS).is_not_null())).to_series()
    return frame.with_columns(
        pl.when(pl.lit(found_by_id)).then(pl.lit(by_id[name])).otherwise(pl.lit(by_name[name])).alias(name)
        for name in CAMPAIGN_FIELDS
    )


def _plus_days(start: pl.Series, days: pl.Series) -> pl.Series:
    """ISO UTC text of start + days (null where either is null)."""
    frame = pl.DataFrame({"start": start, "days": days.cast(pl.Float64)})
    return frame.select(
        (pl.col("start") + pl.duration(milliseconds=(pl.col("days") * 86_400_000).round(0).cast(pl.Int64)))
        .dt.strftime(ISO_UTC)
    ).to_series()
