"""Ingest and full-run benchmark against the floor a bare DuckDB read sets.

    .venv/bin/python bench/run.py [--scale N] [--months N] [--keep DIR]

1. generates a landing zone at the given scale (`secops generate`);
2. floor: a bare DuckDB `read_csv` of every canonical file into one table per entity;
3. ingest: `ingest_landing` of the same files into a fresh warehouse;
4. full run: `secops run` (ingest, dbt build and checks) into another fresh warehouse;
each step in a child process, so its peak RSS (of the whole child tree, dbt included) is its own.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
REPO = Path(__file__).resolve().parent.parent

FLOOR = r"""
import sys, duckdb
from pathlib import Path
from ingest.schemas import ENTITIES
landing, db = Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
con.execute("SET TimeZone='UTC'")
for e in ENTITIES:
    files = sorted(str(p) for p in (landing / e.family).rglob("*.csv"))
    files = [f for f in files if Path(f).name.startswith(e.table.split("_")[0][:5])] or files
    con.execute(f"CREATE TABLE t_{e.table} AS SELECT * FROM read_csv(?, union_by_name=true, all_varchar=true)", [files])
"""

INGEST = r"""
import sys
from pathlib import Path
from ingest.load import ingest_landing
from ingest.warehouse import ensure_schema, open_warehouse
with open_warehouse(sys.argv[2]) as con:
    ensure_schema(con)
    report = ingest_landing(con, Path(sys.argv[1]))
print(sum(report.rows_loaded_by_table.values()))
"""


def _timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the child tree in MB, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args[:3]} failed:\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest single descendant; report it in MB.
    return elapsed, max(peak, before) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="secops-bench-"))
    landing = work / "landing"
    results: dict[str, object] = {"scale": args.scale, "months": args.months,
                                  "machine": f"{platform.machine()} {platform.processor()} "
                                             f"{__import__('os').cpu_count()} cores"}
    gen_s, _, _ = _timed([PY, "-m", "orchestration.cli", "generate", "--out", str(landing),
                          "--months", str(args.months), "--scale", str(args.scale),
                          "--end", "2026-10-31T23:00:00Z"])
    results["generate_s"] = round(gen_s, 2)
    results["landing_mb"] = round(sum(p.stat().st_size for p in landing.rglob("*")) / 2**20, 1)

    floor_s, floor_mb, _ = _timed([PY, "-c", FLOOR, str(landing), str(work / "floor.duckdb")])
    ingest_s, ingest_mb, rows = _timed([PY, "-c", INGEST, str(landing), str(work / "ingest.duckdb")])
    full_s, full_mb, _ = _timed([PY, "-m", "orchestration.cli", "run", "--landing", str(landing),
                                 "--warehouse", str(work / "full.duckdb"),
                                 "--as-of", "2026-11-01T00:00:00Z"])
    results.update(
        rows_ingested=int(rows.strip() or 0),
        floor_s=round(floor_s, 2), floor_peak_rss_mb=round(floor_mb),
        ingest_s=round(ingest_s, 2), ingest_peak_rss_mb=round(ingest_mb),
        ingest_vs_floor=round(ingest_s / floor_s, 2),
        full_run_s=round(full_s, 2), full_run_peak_rss_mb=round(full_mb),
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
