"""Ingest and full-run benchmark against the floor a bare DuckDB read sets.

    .venv/bin/python bench/run.py [--scale N] [--months N] [--keep DIR]   (or: make bench)

In one run:
1. generates a canonical landing zone at the given scale (`secops generate`);
2. floor: a bare DuckDB `read_csv` of every file into one table per entity (what any loader
   of these bytes must at least spend);
3. ingest: `ingest_landing` of the same files into a fresh warehouse (detection, typing,
   rejection, lineage, manifest);
4. full run: `secops run` (ingest, every dbt model and test, checks) into another warehouse;
5. month run: `secops run --month` of the last complete month on that warehouse.
Each step runs in a child process; its peak RSS is sampled over the child's whole process
tree (dbt runs as a grandchild) from /proc every 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PY = sys.executable
REPO = Path(__file__).resolve().parent.parent
END = "2026-10-31T23:00:00Z"
AS_OF = "2026-11-01T00:00:00Z"

FLOOR = r"""
import sys, duckdb
from collections import defaultdict
from pathlib import Path
from ingest.formats.canonical.csv_export import recognise
from ingest.formats.csv_text import read_header
landing, db = Path(sys.argv[1]), sys.argv[2]
files = defaultdict(list)
for family_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
    for path in sorted(family_dir.rglob("*.csv")):
        entity = recognise(read_header(path.read_bytes()[:65536]), family_dir.name)
        files[entity.table].append(str(path))
con = duckdb.connect(db)
con.execute("SET TimeZone='UTC'")
for table, paths in files.items():
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, union_by_name=true)", [paths])
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


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack, page = 0, [root], os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def _timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the child's process tree in MB, stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_bytes(process.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    stop.set()
    sampler.join()
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} failed:\n{stderr[-3000:]}")
    return elapsed, peak / 2**20, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="secops-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    landing = work / "landing"
    env_note = {"SECOPS_MEMORY_LIMIT": os.environ.get("SECOPS_MEMORY_LIMIT", "2GB (default)")}
    results: dict[str, object] = {
        "scale": args.scale,
        "months": args.months,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        **env_note,
    }
    secops = [PY, "-m", "orchestration.cli"]
    if not landing.exists():
        gen_s, _, _ = _timed([*secops, "generate", "--out", str(landing), "--months", str(args.months),
                              "--scale", str(args.scale), "--end", END])
        results["generate_s"] = round(gen_s, 1)
    results["landing_mb"] = round(sum(p.stat().st_size for p in landing.rglob("*")) / 2**20)

    for name in ("bench_floor.duckdb", "bench_ingest.duckdb", "bench_full.duckdb"):
        (work / name).unlink(missing_ok=True)
    floor_s, floor_mb, _ = _timed([PY, "-c", FLOOR, str(landing), str(work / "bench_floor.duckdb")])
    ingest_s, ingest_mb, rows = _timed([PY, "-c", INGEST, str(landing), str(work / "bench_ingest.duckdb")])
    full_s, full_mb, _ = _timed([*secops, "run", "--landing", str(landing),
                                 "--warehouse", str(work / "bench_full.duckdb"), "--as-of", AS_OF])
    month_s, month_mb, _ = _timed([*secops, "run", "--landing", str(landing),
                                   "--warehouse", str(work / "bench_full.duckdb"), "--as-of", AS_OF,
                                   "--month", END[:7]])
    results.update(
        rows_ingested=int((rows.strip().splitlines() or ["0"])[-1]),  # after DuckDB progress bars
        floor_s=round(floor_s, 1), floor_peak_rss_mb=round(floor_mb),
        ingest_s=round(ingest_s, 1), ingest_peak_rss_mb=round(ingest_mb),
        ingest_vs_floor=round(ingest_s / floor_s, 2),
        full_run_s=round(full_s, 1), full_run_peak_rss_mb=round(full_mb),
        month_run_s=round(month_s, 1), month_run_peak_rss_mb=round(month_mb),
        month_vs_full=round(month_s / full_s, 2),
        work_folder=str(work),
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
