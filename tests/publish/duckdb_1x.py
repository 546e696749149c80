"""A DuckDB 1.x Python client in its own virtual environment, as a BI tool's driver would be.

The environment is made once per version under the system temp folder (never in the
repository) and reused by later runs; a test skips, saying why, only when the package
registry cannot be reached to install the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

OLDEST_1X = "1.0.0"
NEWEST_1X = "1.5.6"

_UNREACHABLE = (
    "connection", "network is unreachable", "name resolution", "temporary failure",
    "timed out", "no matching distribution", "could not find a version",
)


def duckdb_1x_python(version: str) -> Path:
    """The interpreter of a venv with duckdb==version installed (made on first use)."""
    home = Path(tempfile.gettempdir()) / "secops-metrics-duckdb-1x" / f"duckdb-{version}"
    python = home / "bin" / "python"
    ready = home / ".installed"
    if ready.exists() and python.exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True, capture_output=True)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"duckdb=={version}", "pytz"],
        capture_output=True, text=True, timeout=600,
    )
    if install.returncode != 0:
        output = (install.stdout + install.stderr).strip()
        if any(word in output.lower() for word in _UNREACHABLE):
            pytest.skip(f"duckdb=={version} could not be installed from the package registry: {output.splitlines()[-1]}")
        raise AssertionError(f"pip install duckdb=={version} failed:\n{output}")
    ready.write_text(version)
    return python


# (pytz: the 1.x clients need it to return TIMESTAMP WITH TIME ZONE values.)
# Prints {"version": ..., "tables": {table: rows as JSON text}, "comments": [...]} for a
# read-only connection on argv[1]; every value as str(), so both clients compare alike.
READ_EVERY_METRICS_TABLE = r"""
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET TimeZone = 'UTC'")
tables = [r[0] for r in con.execute(
    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'metrics' ORDER BY table_name").fetchall()]
out = {"version": duckdb.__version__, "tables": {}}
for table in tables:
    rows = con.execute(f'SELECT * FROM metrics."{table}" ORDER BY ALL').fetchall()
    out["tables"][table] = [[None if v is None else str(v) for v in row] for row in rows]
out["table_comments"] = dict(con.execute(
    "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'metrics'").fetchall())
out["column_comments"] = [list(r) for r in con.execute(
    "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'metrics' "
    "ORDER BY table_name, column_index").fetchall()]
print(json.dumps(out))
"""


def read_with(python: Path, database: Path) -> dict:
    done = subprocess.run(
        [str(python), "-c", READ_EVERY_METRICS_TABLE, str(database)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": ""},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"exit {done.returncode}")
    return json.loads(done.stdout)


# A reader that keeps one read-only connection until told to reconnect. Commands on stdin:
# "read" prints max(as_of) and the row count of metrics.security_slo_monthly; "reconnect"
# closes and reopens the file; "quit" ends.
HOLDING_READER = r"""
import sys
import duckdb
path = sys.argv[1]
con = duckdb.connect(path, read_only=True)
con.execute("SET TimeZone = 'UTC'")
print("ready", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "read":
        as_of, rows = con.execute(
            "SELECT CAST(max(as_of) AS VARCHAR), count(*) FROM metrics.security_slo_monthly").fetchone()
        print(f"{as_of}|{rows}", flush=True)
    elif command == "reconnect":
        con.close()
        con = duckdb.connect(path, read_only=True)
        con.execute("SET TimeZone = 'UTC'")
        print("reconnected", flush=True)
    elif command == "quit":
        break
con.close()
"""
