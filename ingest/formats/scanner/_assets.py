"""asset_environment for scanner exports that carry none (SOURCES.md: "never a silent default").

No scanner export of this family says whether an asset is production. The
`scanner` section of the completion rules (ingest/rules.yaml, or the file named by
SECOPS_INGEST_RULES) decides, in this order:

1. an environment the export itself gives (kept as it is);
2. the asset inventory: the CSV named by `asset_inventory_csv` (relative to the
   landing folder), with columns `asset_id, asset_environment`, matched on the
   trimmed asset id, case-insensitively (host names are);
3. `asset_environment_patterns`: regular expressions tried in order against the
   asset id, case-insensitively, the first match giving its `environment`;
4. otherwise blank: unknown (certificate metrics count it as not production).

Each row records which rule decided in `_extra.asset_environment_source`:
`export`, `asset_inventory`, `name_pattern`, or null when none did. A broken
inventory file or rule fails the file with an error naming it, rather than
loading findings with guessed environments.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ingest.formats import vendor_values
from ingest.formats.base import ExportError
from ingest.formats.csv_text import read_csv_text, read_header, tidy_text
from ingest.rules import ParseContext

FAMILY = "scanner"
INVENTORY_KEY = "asset_inventory_csv"
PATTERNS_KEY = "asset_environment_patterns"
ENVIRONMENT = "asset_environment"
ENVIRONMENT_SOURCE = "asset_environment_source"
INVENTORY_COLUMNS = ("asset_id", "asset_environment")
HEAD_BYTES = 64 * 1024


def complete_environment(frame: pl.DataFrame, context: ParseContext | None) -> pl.DataFrame:
    """`frame` with `asset_environment` completed and `asset_environment_source` added.

    `frame` has text columns `asset_id` and `asset_environment` (blank where the
    export gives none).
    """
    context = context if context is not None else ParseContext()
    asset = vendor_values.text(pl.col("asset_id"))
    given = vendor_values.text(pl.col(ENVIRONMENT))

    inventory = _inventory(context)
    if inventory is None:
        from_inventory = pl.lit(None, dtype=pl.String)
    else:
        keys, environments = inventory
        from_inventory = asset.str.to_lowercase().replace_strict(keys, environments, default=None)

    from_pattern = _pattern_expression(asset, _patterns(context))
    return frame.with_columns(
        pl.coalesce(given, from_inventory, from_pattern).alias(ENVIRONMENT),
        pl.when(given.is_not_null()).then(pl.lit("export"))
        .when(from_inventory.is_not_null()).then(pl.lit("asset_inventory"))
        .when(from_pattern.is_not_null()).then(pl.lit("name_pattern"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias(ENVIRONMENT_SOURCE),
    )


def _inventory(context: ParseContext) -> tuple[pl.Series, pl.Series] | None:
    """(lower-cased asset ids, environments) of the inventory file, if there is one."""
    path = context.reference_file(FAMILY, INVENTORY_KEY)
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            header = read_header(handle.read(HEAD_BYTES))
    except OSError as error:
        raise ExportError(f"{path}: cannot read the asset inventory: {error}") from error
    missing = [c for c in INVENTORY_COLUMNS if c not in (header or [])]
    if missing:
        raise ExportError(
            f"{path}: asset inventory ({FAMILY}.{INVENTORY_KEY} in the rules) lacks column(s) "
            f"{', '.join(missing)}"
        )
    table = tidy_text(read_csv_text(path, header), INVENTORY_COLUMNS)
    table = table.select(
        pl.col("asset_id").str.to_lowercase().alias("key"),
        pl.col("asset_environment").alias("environment"),
        "_source_row",
    ).filter(pl.col("key").is_not_null() & pl.col("environment").is_not_null())
    conflicts = (
        table.group_by("key").agg(pl.col("environment").str.to_lowercase().n_unique().alias("n"),
                                  pl.col("_source_row").min())
        .filter(pl.col("n") > 1).sort("_source_row")
    )
    if not conflicts.is_empty():
        key = conflicts["key"][0]
        raise ExportError(
            f"{path}: asset inventory gives asset {key!r} several environments"
        )
    table = table.unique("key", keep="first", maintain_order=True)
    return table["key"], table["environment"]


def _patterns(context: ParseContext) -> list[tuple[str, str]]:
    rules: Any = context.rules.get(FAMILY) or {}
    entries = (rules.get(PATTERNS_KEY) or []) if isinstance(rules, dict) else []
    where = f"completion rules {FAMILY}.{PATTERNS_KEY}"
    if not isinstance(entries, list):
        raise ExportError(f"{where}: expected a list of {{pattern, environment}}")
    patterns: list[tuple[str, str]] = []
    for i, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("pattern"), str)
                and isinstance(entry.get("environment"), str)):
            raise ExportError(f"{where}[{i}]: expected {{pattern: <regex>, environment: <word>}}")
        pattern = "(?i)" + entry["pattern"]
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except Exception as error:  # polars reports an invalid regex at evaluation
            raise ExportError(
                f"{where}[{i}]: invalid regular expression {entry['pattern']!r}: "
                f"{str(error).splitlines()[0]}"
            ) from error
        patterns.append((pattern, entry["environment"].strip()))
    return patterns


def _pattern_expression(asset: pl.Expr, patterns: list[tuple[str, str]]) -> pl.Expr:
    """The environment of the first pattern the asset id matches, else null."""
    expression: Any = pl
    for pattern, environment in patterns:
        expression = expression.when(asset.str.contains(pattern)).then(pl.lit(environment))
    if expression is pl:
        return pl.lit(None, dtype=pl.String)
    return expression.otherwise(pl.lit(None, dtype=pl.String))

