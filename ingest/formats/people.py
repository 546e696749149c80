"""Completing people rows from the user directory (SOURCES.md: "a user-directory CSV joined
by user id or e-mail"), shared by every vendor format whose export carries no country.

The directory is the CSV named by `user_directory_csv` in the family's section of the
rules (ingest/rules.yaml), relative to the landing folder, with the columns
`user_id, email, country` (other columns ignored; either of user_id and email may be
absent). A row is matched as people are across families (METRICS.md): its user_id
against the directory's user_id, else its e-mail against the directory's e-mail, else
its user_id against the directory's e-mail (training exports name people by e-mail);
all trimmed and case-insensitive. When the directory lists a key twice, the first
line wins. The export's own country always wins over the directory's.

The completed frame carries `_country_source` ('export', 'user_directory' or null),
which the formats fold into `_extra` so a completed value is never mistaken for one the
vendor gave.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingest.formats.base import ExportError
from ingest.formats.csv_text import read_csv_text, read_header, tidy_text
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext

DIRECTORY_KEY = "user_directory_csv"
COUNTRY_SOURCE = "_country_source"


def read_directory(path: Path) -> pl.DataFrame:
    """The directory CSV as (user_id, email, country) text, lower-cased keys for matching."""
    with path.open("rb") as handle:
        header = read_header(handle.read(HEAD_BYTES))
    if not header or "country" not in header or not ({"user_id", "email"} & set(header)):
        raise ExportError(
            f"{path}: user directory must have a country column and a user_id or email column"
        )
    frame = tidy_text(read_csv_text(path, header), header)
    return frame.select(
        (pl.col("user_id") if "user_id" in header else pl.lit(None, dtype=pl.String)).alias("user_id"),
        (pl.col("email") if "email" in header else pl.lit(None, dtype=pl.String)).alias("email"),
        pl.col("country").str.to_uppercase(),
    ).filter(pl.col("country").is_not_null())


def complete_country(
    frame: pl.DataFrame,
    context: ParseContext | None,
    family: str,
    *,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """`frame` with blank `country` filled from the family's user directory, plus `_country_source`.

    `frame` needs `user_id`; `email` and `country` are used when present. Without the rule
    or the file, countries stay as the export gave them (a note says why when the rule
    names a file that is not there).
    """
    if "country" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("country"))
    if "email" not in frame.columns:
        email = pl.lit(None, dtype=pl.String)
    else:
        email = pl.col("email")
    frame = frame.with_columns(
        pl.when(pl.col("country").is_not_null()).then(pl.lit("export")).alias(COUNTRY_SOURCE)
    )
    path = context.reference_file(family, DIRECTORY_KEY) if context is not None else None
    if path is None:
        configured = context.rules.get(family, {}).get(DIRECTORY_KEY) if context is not None else None
        if configured and notes is not None and context is not None and context.landing is not None:
            notes.append(f"user directory {configured} not found: country left as exported")
        return frame
    directory = read_directory(path)

    def lookup(column: str, alias: str) -> pl.DataFrame:
        return (
            directory.filter(pl.col(column).is_not_null())
            .select(pl.col(column).str.strip_chars().str.to_lowercase().alias("_key"), pl.col("country").alias(alias))
            .unique(subset="_key", keep="first", maintain_order=True)
        )

    keyed = frame.with_columns(
        pl.col("user_id").cast(pl.String).str.strip_chars().str.to_lowercase().alias("_key_id"),
        email.cast(pl.String).str.strip_chars().str.to_lowercase().alias("_key_email"),
    )
    joined = (
        keyed.join(lookup("user_id", "_by_id"), left_on="_key_id", right_on="_key", how="left",
                   maintain_order="left")
        .join(lookup("email", "_by_email"), left_on="_key_email", right_on="_key", how="left",
              maintain_order="left")
        .join(lookup("email", "_by_id_as_email"), left_on="_key_id", right_on="_key", how="left",
              maintain_order="left")
    )
    found = pl.coalesce("_by_id", "_by_email", "_by_id_as_email")
    return joined.with_columns(
        pl.coalesce(pl.col("country"), found).alias("country"),
        pl.when(pl.col("country").is_not_null()).then(pl.lit("export"))
        .when(found.is_not_null()).then(pl.lit("user_directory"))
        .alias(COUNTRY_SOURCE),
    ).drop("_key_id", "_key_email", "_by_id", "_by_email", "_by_id_as_email")
