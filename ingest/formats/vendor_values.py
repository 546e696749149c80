"""Value clean-up shared by the vendor formats, as polars expressions (no loop per row).

Seen in real exports: null-like words (`N/A`, `no_information`, `not_supported`,
`None`, the zero time `0001-01-01T00:00:00Z`), timestamps as epoch floats, as
`Feb 9, 2024 10:48:42 UTC`, as `MM/DD/YYYY HH:MM:SS`, with `Z`, `+00:00` or a space
instead of `T`. The loader parses ISO 8601 (with or without an offset); these
helpers turn the other forms into ISO text first and leave anything they do not
recognise untouched, so the loader rejects it with its reason.
"""

from __future__ import annotations

import polars as pl

NULL_LIKE = (
    "", "n/a", "na", "none", "null", "nil", "-", "no_information", "not_supported",
    "0001-01-01t00:00:00z", "0001-01-01t00:00:00", "0001-01-01 00:00:00",
)

_EPOCH = r"^\d{9,11}(\.\d+)?$"
_MONTH_NAME = r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}(:\d{2})?( [AP]M)?( UTC)?$"
_US_DATE = r"^\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?$"


def text(expr: pl.Expr) -> pl.Expr:
    """Trimmed text with null-like words as null."""
    stripped = expr.cast(pl.String).str.strip_chars()
    return pl.when(stripped.str.to_lowercase().is_in(NULL_LIKE)).then(None).otherwise(stripped)


def _iso(parsed: pl.Expr) -> pl.Expr:
    return parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")


def timestamp(expr: pl.Expr, *, us_dates_are_utc: bool = False) -> pl.Expr:
    """ISO 8601 text for a vendor timestamp; unrecognised forms pass through unchanged.

    Epoch seconds become UTC instants; `Mon D, YYYY HH:MM[:SS] [AM|PM] [UTC]` too when it
    says UTC, else naive ISO text.
    `MM/DD/YYYY [HH:MM[:SS]]` carries no zone: it becomes naive ISO text (read in the
    configured default zone and counted), or UTC when the vendor documents it so.
    """
    value = text(expr)
    epoch = _iso(
        (value.cast(pl.Float64, strict=False) * 1_000_000)
        .round(0)
        .cast(pl.Int64, strict=False)
        .cast(pl.Datetime("us", "UTC"))
    )
    month_name = value.str.replace(r" UTC$", "").str.strip_chars()
    month_name_parsed = pl.coalesce(
        month_name.str.strptime(pl.Datetime("us"), "%b %d, %Y %I:%M:%S %p", strict=False),
        month_name.str.strptime(pl.Datetime("us"), "%b %d, %Y %I:%M %p", strict=False),
        month_name.str.strptime(pl.Datetime("us"), "%b %d, %Y %H:%M:%S", strict=False),
        month_name.str.strptime(pl.Datetime("us"), "%b %d, %Y %H:%M", strict=False),
    )
    us_parsed = pl.coalesce(
        value.str.strptime(pl.Datetime("us"), "%m/%d/%Y %H:%M:%S", strict=False),
        value.str.strptime(pl.Datetime("us"), "%m/%d/%Y %H:%M", strict=False),
        value.str.strptime(pl.Datetime("us"), "%m/%d/%Y", strict=False),
    )
    us_text = us_parsed.dt.strftime("%Y-%m-%dT%H:%M:%S") + (pl.lit("Z") if us_dates_are_utc else pl.lit(""))
    return (
        pl.when(value.str.contains(_EPOCH)).then(epoch)
        .when(value.str.contains(_MONTH_NAME) & month_name_parsed.is_not_null())
        .then(
            month_name_parsed.dt.strftime("%Y-%m-%dT%H:%M:%S")
            + pl.when(value.str.ends_with(" UTC")).then(pl.lit("Z")).otherwise(pl.lit(""))
        )
        .when(value.str.contains(_US_DATE) & us_parsed.is_not_null()).then(us_text)
        .otherwise(value)
    )


def boolean_text(expr: pl.Expr) -> pl.Expr:
    """Booleans as the loader reads them ('true'/'false'); other text passes through."""
    value = text(expr)
    lowered = value.str.to_lowercase()
    return (
        pl.when(lowered.is_in(["true", "yes", "1", "t", "y"])).then(pl.lit("true"))
        .when(lowered.is_in(["false", "no", "0", "f", "n"])).then(pl.lit("false"))
        .otherwise(value)
    )
