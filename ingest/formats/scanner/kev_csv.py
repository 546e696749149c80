"""CISA Known Exploited Vulnerabilities catalogue, CSV edition (SOURCES.md "scanner: findings").

`known_exploited_vulnerabilities.csv` as CISA publishes it: a header row
`cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,
requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes` (the oldest
editions lack the last three columns), one entry per CVE. Rows become
`kev_catalog` entities; the dbt layer unions every catalogue file and keeps an
entry's earliest dateAdded (int_kev_catalog).

Readings of the format:
- `dateAdded` is a calendar date without zone. Its instant is 00:00 UTC of that
  date (written with `Z`, so it is not counted as a naive timestamp): a finding
  first seen on the day a CVE is listed counts as listed before it.
- `dueDate` (the BOD 22-01 remediation date for federal agencies) is kept as the
  text CISA gives; no metric uses it.
- The CSV edition carries no catalogue version or release time: `catalog_version`
  and `date_released` stay blank (the JSON edition has them).
- `shortDescription`, `requiredAction`, `notes` and `cwes` go to `_extra`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, read_csv_text, read_header, with_extras
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext
from ingest.schemas import KEV_CATALOG

# KEV field name (as CISA spells it) -> kev_catalog column; fields not named here
# and not in EXTRA_FIELDS are kept in _extra under their own name.
KEV_FIELDS: dict[str, str] = {
    "cveID": "cve_id",
    "vendorProject": "vendor_project",
    "product": "product",
    "vulnerabilityName": "vulnerability_name",
    "dateAdded": "date_added",
    "dueDate": "due_date",
    "knownRansomwareCampaignUse": "known_ransomware_campaign_use",
}
EXTRA_FIELDS: dict[str, str] = {
    "shortDescription": "short_description",
    "requiredAction": "required_action",
    "notes": "notes",
    "cwes": "cwes",
}
# The header names that identify a KEV CSV (normalised: lower-cased).
SIGNATURE = {"cveid", "vendorproject", "dateadded"}

_DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"


def date_as_utc_midnight(expr: pl.Expr) -> pl.Expr:
    """A KEV calendar date `YYYY-MM-DD` as 00:00 UTC of that date; other text passes through
    unchanged (a full timestamp keeps its own zone, anything else the loader rejects)."""
    value = vendor_values.text(expr)
    return pl.when(value.str.contains(_DATE_ONLY)).then(value + "T00:00:00Z").otherwise(value)


def kev_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical kev_catalog text columns from a frame whose columns are the kev_catalog
    names (missing ones allowed) plus `_source_row` and the `_extra` candidates."""
    frame = frame.with_columns(
        vendor_values.text(pl.col(name)).alias(name)
        for name in frame.columns
        if name not in (SOURCE_ROW, EXTRA) and frame.schema[name] == pl.String
    )
    frame = frame.with_columns(
        pl.col("cve_id").str.to_uppercase(),
        date_as_utc_midnight(pl.col("date_added")).alias("date_added"),
    )
    return with_extras(frame, KEV_CATALOG.column_names)


class KevCsv(ExportFormat):
    name: ClassVar[str] = "cisa_kev_csv"
    families: ClassVar[tuple[str, ...]] = ("scanner",)

    def detect(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        header = read_header(head)
        return header is not None and SIGNATURE <= set(header)

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        with path.open("rb") as handle:
            header = read_header(handle.read(HEAD_BYTES))
        if header is None or not SIGNATURE <= set(header):
            raise ExportError(f"{path}: not a CISA KEV CSV (no cveID, vendorProject, dateAdded header)")
        frame = read_csv_text(path, header)
        renames = {
            name.lower(): column
            for name, column in {**KEV_FIELDS, **EXTRA_FIELDS}.items()
            if name.lower() in header
        }
        frame = kev_frame(frame.rename(renames))
        return ParsedExport(format_name=self.name, entities={KEV_CATALOG.table: frame})
