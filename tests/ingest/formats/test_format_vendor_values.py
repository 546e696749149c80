"""The value clean-up every vendor format shares."""

import polars as pl

from ingest.formats import vendor_values


def _timestamps(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    return frame.select(vendor_values.timestamp(pl.col("t"))).to_series().to_list()


def test_null_like_words_are_missing():
    frame = pl.DataFrame({"t": [" N/A ", "no_information", "not_supported", "None", "0001-01-01T00:00:00Z", "x"]})
    assert frame.select(vendor_values.text(pl.col("t"))).to_series().to_list() == [None] * 5 + ["x"]


def test_timestamp_forms_become_iso_text():
    assert _timestamps([
        "1546381587.125",            # epoch seconds (AWS CLI v1): 2019-01-01 22:26:27.125 UTC
        "Feb 9, 2024 10:48:42 UTC",  # month name with UTC
        "Apr 2, 2024 03:15 PM",      # month name, no zone: naive
        "01/15/2024 13:05:00",       # US date, no zone: naive
        "2024-01-01 10:00:00+00:00", # already ISO: untouched
        "garbage",                   # unrecognised: untouched, the loader rejects it
    ]) == [
        "2019-01-01T22:26:27.125000Z",
        "2024-02-09T10:48:42Z",
        "2024-04-02T15:15:00",
        "2024-01-15T13:05:00",
        "2024-01-01 10:00:00+00:00",
        "garbage",
    ]
