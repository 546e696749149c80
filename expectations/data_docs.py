"""A human-readable page of the latest validations (in the spirit of GX Data Docs).

Written to `<data docs folder>/index.html` (README "Data quality"): every asset's
checks, each expectation with its measured value, threshold, severity and sample of
offending values, for the latest run that validated it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from jinja2 import Environment, select_autoescape

from expectations.results import ensure_results_table

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>secops-metrics data quality</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.pass{color:#1a7f37}.WARN{color:#9a6700;font-weight:bold}.ERROR{color:#cf222e;font-weight:bold}
</style></head><body>
<h1>Data quality: latest validations</h1>
<p>{{ assets|length }} assets; {{ failed }} failed expectations ({{ errors }} ERROR, {{ warns }} WARN).</p>
{% for asset, rows in assets.items() %}
<h2 id="{{ asset }}">{{ asset }}</h2>
<p>run {{ rows[0].run_id }} at {{ rows[0].validated_at }}, as_of {{ rows[0].as_of }}</p>
<table><tr><th>check</th><th>expectation</th><th>column</th><th>result</th><th>unexpected</th><th>expected</th><th>sample / observed</th></tr>
{% for r in rows %}<tr><td>{{ r.check_name }}</td><td>{{ r.expectation }}</td><td>{{ r.column_name }}</td>
<td class="{{ 'pass' if r.success else r.severity }}">{{ 'passed' if r.success else r.severity }}</td>
<td>{% if r.unexpected_count is not none %}{{ r.unexpected_count }} of {{ r.element_count }} ({{ '%.2f'|format(r.unexpected_percent or 0) }} %){% endif %}</td>
<td>{{ r.threshold }}</td><td>{{ r.sample }}</td></tr>
{% endfor %}</table>
{% endfor %}
</body></html>
"""


def write_data_docs(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """Render the latest validation of every asset to folder/index.html; returns its path."""
    ensure_results_table(con)
    cursor = con.execute(
        """
        WITH latest AS (
            SELECT asset_key, max(validated_at) AS validated_at
            FROM data_quality.validation_results GROUP BY asset_key
        )
        SELECT r.* FROM data_quality.validation_results AS r
        JOIN latest USING (asset_key, validated_at)
        ORDER BY r.asset_key, r.check_name, r.expectation, r.column_name
        """
    )
    names = [d[0] for d in cursor.description]
    assets: dict[str, list[dict]] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        samples = json.loads(row["sample_values"] or "[]")
        row["sample"] = ", ".join(samples) or (row["observed_value"] or row["error"] or "")
        assets.setdefault(row["asset_key"], []).append(row)
    failed = [r for rows in assets.values() for r in rows if not r["success"]]
    html = Environment(autoescape=select_autoescape(default=True)).from_string(_TEMPLATE).render(
        assets=assets,
        failed=len(failed),
        errors=sum(r["severity"] == "ERROR" for r in failed),
        warns=sum(r["severity"] == "WARN" for r in failed),
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
