"""Peak memory of `secops validate` and of ingest on one ~1 GB canonical CSV.

    .venv/bin/python bench/memory.py [--mb 1100] [--keep DIR]

Writes a canonical findings CSV of about `--mb` MB in the temporary folder, then
runs, each in a child process, `secops validate` of it and `ingest_landing` of a
landing folder holding it, sampling the peak RSS of the child's process tree
(bench/run.py's sampler). The target (issue 12): within SECOPS_MEMORY_LIMIT
(default 2GB) plus 0.5 GB. Not a test: it takes minutes and a gigabyte of disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import INGEST, PY, REPO, _timed  # noqa: E402  (bench/ is not a package)

HEADER = ("scan_id,scanned_at,scanner,asset_id,asset_environment,vulnerability_id,title,severity,"
          "cvss_score,exploited_in_wild,package,fixed_at\n")


def write_findings_csv(path: Path, megabytes: int) -> int:
    """A canonical findings CSV of about `megabytes` MB; returns its record count."""
    target = megabytes * 2**20
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        block = []
        while out.tell() < target:
            for _ in range(10_000):
                rows += 1
                block.append(
                    f"scan-{rows // 5000},2026-0{1 + rows % 9}-15T10:00:00Z,trivy,asset-{rows % 20000},"
                    f"production,CVE-2024-{rows % 90000:05d},Package vulnerable to a long descriptive title {rows},"
                    f"high,7.5,false,pkg-{rows % 700}@1.{rows % 13}.{rows % 7},\n"
                )
            out.write("".join(block))
            block.clear()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1100)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="secops-bench-memory-"))
    try:
        landing = work / "landing"
        (landing / "scanner").mkdir(parents=True, exist_ok=True)
        csv = landing / "scanner" / "findings.csv"
        started = time.perf_counter()
        rows = write_findings_csv(csv, args.mb)
        os.utime(csv, (time.time() - 3600, time.time() - 3600))  # past the quiet period
        generate_s = time.perf_counter() - started
        validate_s, validate_mb, _ = _timed([str(Path(PY).parent / "secops"), "validate", str(csv)])
        ingest_s, ingest_mb, loaded = _timed([PY, "-c", INGEST, str(landing), str(work / "warehouse.duckdb")])
        limit = os.environ.get("SECOPS_MEMORY_LIMIT", "2GB")
        print(json.dumps({
            "csv_mb": round(csv.stat().st_size / 2**20), "rows": rows, "memory_limit": limit,
            "generate_s": round(generate_s, 1),
            "validate_s": round(validate_s, 1), "validate_peak_rss_mb": round(validate_mb),
            "ingest_s": round(ingest_s, 1), "ingest_peak_rss_mb": round(ingest_mb),
            "rows_ingested": int(loaded.strip().splitlines()[-1]),  # after DuckDB's progress bars
        }))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
