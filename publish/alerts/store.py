"""ingest.alert_deliveries: every delivery decision, and the memory that suppresses repeats.

The caller passes an open DuckDB connection, or the warehouse path: then the file is
opened only for each look-up and insert (DuckDB allows one writer per file, and a
delivery may wait on the network).
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from ingest.warehouse import connect

LOGGER = logging.getLogger("secops.alerts")

TABLE = "ingest.alert_deliveries"
STATUSES = ("sent", "suppressed", "failed", "not_configured")

ALERT_DELIVERIES_DDL = """
CREATE TABLE IF NOT EXISTS ingest.alert_deliveries (
  run_id VARCHAR NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL,    -- when the delivery was decided (the `now` of deliver_alerts)
  fingerprint VARCHAR NOT NULL,    -- sha256 of asset, check, failed expectations, team, channel
  asset VARCHAR NOT NULL,
  check_name VARCHAR NOT NULL,
  team VARCHAR NOT NULL,           -- owner as in owners.yaml ("team:<name>")
  channel VARCHAR NOT NULL,        -- email | webhook
  status VARCHAR NOT NULL,         -- sent | suppressed | failed | not_configured
  attempts INTEGER NOT NULL,       -- send attempts made (0 when none was made)
  error VARCHAR                    -- why not sent; never holds a secret
)
"""

INSERT_SQL = (
    "INSERT INTO ingest.alert_deliveries "
    "(run_id, sent_at, fingerprint, asset, check_name, team, channel, status, attempts, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

LAST_SENT_SQL = (
    "SELECT count(*) FROM ingest.alert_deliveries "
    "WHERE fingerprint = ? AND status = 'sent' AND sent_at > ?"
)


def ensure_alert_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    con.execute(ALERT_DELIVERIES_DDL)


class DeliveryStore:
    """Look-ups and inserts that log and carry on when the warehouse fails them."""

    def __init__(self, target: duckdb.DuckDBPyConnection | str | os.PathLike, redact: Callable[[object], str]):
        self._target = target
        self._redact = redact
        self._ready = False

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if isinstance(self._target, (str, os.PathLike)):
            con = connect(Path(self._target))
            try:
                yield con
            finally:
                con.close()
        else:
            yield self._target

    def _run(self, what: str, work: Callable[[duckdb.DuckDBPyConnection], Any], default: Any) -> Any:
        try:
            with self._connection() as con:
                if not self._ready:
                    ensure_alert_table(con)
                    self._ready = True
                return work(con)
        except Exception as exc:  # bookkeeping must not stop the run
            LOGGER.warning("alert bookkeeping (%s) failed: %s: %s", what, type(exc).__name__, self._redact(exc))
            return default

    def sent_since(self, fingerprint: str, since: datetime) -> bool:
        return bool(
            self._run(
                "suppression look-up",
                lambda con: con.execute(LAST_SENT_SQL, [fingerprint, since]).fetchone()[0],
                0,
            )
        )

    def record(self, row: tuple) -> bool:
        return self._run("record", lambda con: con.execute(INSERT_SQL, list(row)) and True, False)
