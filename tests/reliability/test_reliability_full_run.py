"""The landing rules through `secops run`: a faulty drop, then put right, ends as a clean run does.

One small generated landing zone for the module. Three full runs: a clean one; one on the
same exports dropped badly (a placeholder-dated incident in an export later corrected, a
file still being copied, a folder with a typo, a FIFO, a link to outside); and one after
the drop was put right, whose raw row counts, manifest and every metrics table must equal
the clean run's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.generator import generate_landing
from ingest.warehouse import open_warehouse
from tests.reliability.conftest import settle, state_of

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SECOPS = str(Path(sys.executable).parent / "secops")
END = datetime(2026, 5, 31, 23, 0, tzinfo=timezone.utc)
AS_OF = "2026-06-01T00:00:00Z"


def _run(landing: Path, warehouse: Path, quiet: str = "0") -> subprocess.CompletedProcess:
    return subprocess.run(
        [SECOPS, "run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF],
        capture_output=True, text=True, cwd=REPO, timeout=1800,
        env={**os.environ, "SECOPS_QUIET_SECONDS": quiet},
    )


def _metrics(warehouse: Path) -> dict[str, list[tuple]]:
    with open_warehouse(warehouse, read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'metrics' ORDER BY 1"
        ).fetchall()]
        return {t: con.execute(f"SELECT * FROM metrics.{t} ORDER BY ALL").fetchall() for t in tables}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("full-run")
    clean_landing = base / "clean" / "landing"
    generate_landing(clean_landing, months=2, seed=7, scale=0.05, end=END, quirks=False)
    for path in clean_landing.rglob("*"):
        if path.is_file():
            settle(path)
    clean = _run(clean_landing, base / "clean" / "warehouse.duckdb")

    landing = base / "faulty" / "landing"
    shutil.copytree(clean_landing, landing, symlinks=True)
    incidents = sorted((landing / "incident").rglob("*.csv"))[0]
    good_incidents = incidents.read_bytes()
    header = good_incidents.split(b"\n", 1)[0].decode()
    columns = header.split(",")
    bogus = {"incident_id": "INC-PLACEHOLDER", "category": "security", "severity": "P1",
             "occurred_at": "0001-01-01T00:00:00Z", "detected_at": "2026-05-02T00:00:00Z",
             "resolved_at": "9999-12-31T00:00:00Z"}
    incidents.write_bytes(good_incidents + (",".join(bogus.get(c, "") for c in columns) + "\n").encode())
    settle(incidents)
    copying = sorted((landing / "scanner").rglob("*.csv"))[-1]
    good_scan = copying.read_bytes()
    copying.write_bytes(good_scan[: len(good_scan) // 2])  # a copy half done, modified just now
    shutil.copytree(landing / "backup", landing / "backups")  # a typo in the family name
    os.mkfifo(landing / "iam" / "pipe.csv")
    outside = base / "outside.csv"
    outside.write_text("secret\n")
    (landing / "iam" / "outside.csv").symlink_to(outside)
    warehouse = base / "faulty" / "warehouse.duckdb"
    # a quiet period long enough that loading the definitions never outlasts it on a slow machine
    faulty = _run(landing, warehouse, quiet="600")
    faulty_state = state_of(warehouse)

    # put right: the correction of the incident export, the copy completed, the rest removed
    incidents.write_bytes(good_incidents)
    settle(incidents)
    copying.write_bytes(good_scan)
    settle(copying)
    shutil.rmtree(landing / "backups")
    (landing / "iam" / "pipe.csv").unlink()
    (landing / "iam" / "outside.csv").unlink()
    rerun = _run(landing, warehouse, quiet="600")
    return {
        "clean": clean, "faulty": faulty, "rerun": rerun, "faulty_state": faulty_state,
        "clean_warehouse": base / "clean" / "warehouse.duckdb", "warehouse": warehouse,
        "incidents": incidents.relative_to(landing).as_posix(), "copying": copying.relative_to(landing).as_posix(),
    }


def test_the_clean_run_succeeds(runs):
    assert runs["clean"].returncode == 0, runs["clean"].stderr
    assert "warning: " not in "".join(line for line in runs["clean"].stdout.splitlines() if "ignored" in line)


def test_a_faulty_drop_is_said_path_by_path(runs):
    out = runs["faulty"].stdout
    assert "Traceback" not in out + runs["faulty"].stderr
    for line in (
        "warning: backups: ignored: a folder that names no family (families: scanner, iam, training, backup, incident)",
        "warning: iam/outside.csv: ignored: a symbolic link to outside the landing folder (never read)",
        "warning: iam/pipe.csv: ignored: a FIFO (named pipe)",
        f"warning: {runs['copying']}: modified less than 600 s ago (still being written?); "
        "skipped this run, read by a later one",
    ):
        assert out.count(line) == 1, (line, out)
    # the placeholder incident is refused, not loaded: no month gets a 1,109,848-hour MTTD
    rejected = runs["faulty_state"]["rejected"]
    assert [(r[0], r[3], r[4]) for r in rejected if r[0] == runs["incidents"]] == [
        (runs["incidents"], "occurred_at", "0001-01-01T00:00:00Z"),
        (runs["incidents"], "resolved_at", "9999-12-31T00:00:00Z"),
    ]
    with open_warehouse(runs["warehouse"], read_only=True) as con:
        # (read after the rerun: the placeholder never reached the merged incidents)
        assert con.execute(
            "SELECT count(*) FROM raw.incidents WHERE incident_id = 'INC-PLACEHOLDER' AND NOT _withdrawn"
        ).fetchall() == [(0,)]


def test_put_right_the_rerun_ends_as_the_clean_run(runs):
    assert runs["rerun"].returncode == 0, runs["rerun"].stderr
    assert "warning: " not in "".join(l for l in runs["rerun"].stdout.splitlines() if "ignored" in l or "written" in l)
    assert state_of(runs["warehouse"]) == state_of(runs["clean_warehouse"])
    clean, rerun = _metrics(runs["clean_warehouse"]), _metrics(runs["warehouse"])
    assert sorted(rerun) == sorted(clean) and len(clean) > 5
    for table in clean:
        assert rerun[table] == clean[table], table
