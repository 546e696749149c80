"""asset_environment completion shared by the scanner formats (ingest/formats/scanner/_assets.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingest.formats.base import ExportError
from ingest.formats.scanner._assets import complete_environment
from ingest.rules import ParseContext, load_rules

PATTERNS = [
    {"pattern": r"(^|[-_.])(prod|prd)([-_.]|$)", "environment": "production"},
    {"pattern": r"(^|[-_.])(dev|test)([-_.]|$)", "environment": "development"},
]


def _complete(assets: list[str | None], *, given: list[str | None] | None = None,
              landing: Path | None = None, patterns=PATTERNS, inventory: str = "reference/assets.csv") -> list[tuple]:
    frame = pl.DataFrame(
        {"asset_id": assets, "asset_environment": given or [None] * len(assets)},
        schema={"asset_id": pl.String, "asset_environment": pl.String},
    )
    rules = {"scanner": {"asset_inventory_csv": inventory, "asset_environment_patterns": patterns}}
    done = complete_environment(frame, ParseContext(landing=landing, rules=rules))
    return list(zip(done["asset_environment"], done["asset_environment_source"]))


def _inventory(landing: Path, text: str) -> None:
    path = landing / "reference" / "assets.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_name_patterns_first_match_wins_case_insensitively():
    assert _complete(["WEB-PROD-01", "api.dev.example.com", "prod-test-box", "preprod-db", None]) == [
        ("production", "name_pattern"),
        ("development", "name_pattern"),
        ("production", "name_pattern"),  # first pattern wins
        (None, None),                    # "preprod" is no production token
        (None, None),
    ]


def test_the_inventory_wins_over_patterns(tmp_path):
    _inventory(tmp_path, "asset_id,asset_environment,owner\nWEB-PROD-01,staging,team-a\nbilling-7,production,team-b\n")

    assert _complete(["web-prod-01", "billing-7", "api.dev.example.com"], landing=tmp_path) == [
        ("staging", "asset_inventory"),
        ("production", "asset_inventory"),
        ("development", "name_pattern"),
    ]


def test_an_environment_the_export_gives_is_kept(tmp_path):
    _inventory(tmp_path, "asset_id,asset_environment\nhost-1,production\n")

    assert _complete(["host-1"], given=["staging"], landing=tmp_path) == [("staging", "export")]


def test_no_inventory_file_means_patterns_only(tmp_path):
    assert _complete(["billing-7"], landing=tmp_path) == [(None, None)]


def test_the_project_rules_classify_common_names():
    frame = pl.DataFrame({"asset_id": ["shop-api-prod", "db-1.stg.example.com", "qa-runner"],
                          "asset_environment": [None, None, None]}, schema={"asset_id": pl.String,
                                                                            "asset_environment": pl.String})
    done = complete_environment(frame, ParseContext(rules=load_rules()))

    assert done["asset_environment"].to_list() == ["production", "staging", "development"]


def test_an_inventory_without_its_columns_fails_naming_it(tmp_path):
    _inventory(tmp_path, "host,env\nhost-1,production\n")

    with pytest.raises(ExportError, match=r"assets\.csv: asset inventory .* lacks column\(s\) asset_id, asset_environment"):
        _complete(["host-1"], landing=tmp_path)


def test_an_inventory_giving_two_environments_fails(tmp_path):
    _inventory(tmp_path, "asset_id,asset_environment\nhost-1,production\nHOST-1,staging\n")

    with pytest.raises(ExportError, match="asset 'host-1' several environments"):
        _complete(["host-1"], landing=tmp_path)


def test_an_invalid_pattern_fails_naming_the_rule():
    with pytest.raises(ExportError, match=r"asset_environment_patterns\[0\]: invalid regular expression"):
        _complete(["x"], patterns=[{"pattern": "(unclosed", "environment": "production"}])


def test_a_malformed_rule_fails_naming_it():
    with pytest.raises(ExportError, match=r"asset_environment_patterns\[1\]: expected"):
        _complete(["x"], patterns=[PATTERNS[0], {"regex": "x"}])
