"""The synthetic landing-zone generator: contract, determinism, realism and quirks.

Each generated landing zone is loaded once into DuckDB, one all-text table per entity,
plus `<column>_t` = the column parsed as TIMESTAMPTZ (NULL when blank or unparsable).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from ingest.generator import FORWARD_COLUMNS, generate_landing
from ingest.schemas import CANONICAL_ENTITIES as ENTITIES, FAMILIES

END = datetime(2025, 6, 18, 14, 37, tzinfo=timezone.utc)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]
FILE_PREFIX = {e.table: ("phishing" if e.table == "phishing_results" else e.table) for e in ENTITIES}

Z_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
OFFSET_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+02:00$")
NAIVE_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def _entity_of(path: Path):
    for e in ENTITIES:
        if path.parent.name == e.family and path.name.startswith(FILE_PREFIX[e.table] + "_"):
            return e
    raise AssertionError(f"unexpected file {path}")


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Landing:
    def __init__(self, root: Path, report):
        self.root, self.report = root, report
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        for e in ENTITIES:
            pattern = (root / e.family / f"{FILE_PREFIX[e.table]}_*.csv").as_posix()
            parsed = "".join(f", try_cast({c} AS TIMESTAMPTZ) AS {c}_t" for c in e.timestamp_columns)
            self.con.execute(
                f"CREATE TABLE {e.table} AS SELECT * REPLACE (parse_filename(filename) AS filename)"
                f"{parsed} FROM read_csv('{pattern}', header = true, all_varchar = true, "
                f"delim = ',', quote = '\"', escape = '\"', filename = true)"
            )

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def one(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def values(self, table: str, column: str) -> set:
        return {r[0] for r in self.rows(f"SELECT DISTINCT {column} FROM {table}")}


def _generate(tmp_path_factory, name: str, **kw) -> Landing:
    root = tmp_path_factory.mktemp(name)
    args = dict(months=6, seed=7, scale=1.0, end=END) | kw
    return Landing(root, generate_landing(root, **args))


@pytest.fixture(scope="module")
def land(tmp_path_factory) -> Landing:
    return _generate(tmp_path_factory, "landing")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Landing:
    return _generate(tmp_path_factory, "landing_clean", quirks=False)


# --- contract ---------------------------------------------------------------------------

def test_every_entity_present_with_exact_canonical_header(land):
    files = sorted(p for p in land.root.rglob("*") if p.is_file())
    assert [p.relative_to(land.root).as_posix() for p in files] == list(land.report.files)
    assert {p.parent.name for p in files} == set(FAMILIES)
    seen: dict[str, int] = {}
    for p in files:
        e = _entity_of(p)
        with p.open(encoding="utf-8", newline="") as fh:
            header = fh.readline()
        assert header == ",".join(e.column_names) + "\n", p
        seen[e.table] = seen.get(e.table, 0) + 1
    assert set(seen) == {e.table for e in ENTITIES}
    assert not list(land.root.rglob(".*"))  # no temporary files left behind


def test_report_row_counts_match_files(land):
    for e in ENTITIES:
        assert land.report.rows[e.table] == land.one(f"SELECT count(*) FROM {e.table}") > 0
    rows = land.report.rows
    assert 60_000 < rows["findings"] < 250_000
    assert 250 <= land.one("SELECT count(DISTINCT user_id) FROM identities") <= 350
    assert 300 <= land.one("SELECT count(DISTINCT asset_id) FROM findings") <= 400
    assert 80 <= rows["incidents"] <= 250


def test_file_naming_and_schedules(land):
    names = {Path(f).name for f in land.report.files}
    scans: dict[str, list[datetime]] = {}
    for n in names:
        m = re.fullmatch(r"findings_(\w+)_(\d{4}-\d\d-\d\d)\.csv", n)
        if m:
            scans.setdefault(m[1], []).append(datetime.fromisoformat(m[2]))
    assert set(scans) == {"qualys", "nessus"}
    for dates in scans.values():
        dates.sort()
        assert 23 <= len(dates) <= 25
        assert {(b - a).days for a, b in zip(dates, dates[1:])} == {7}
    assert land.rows("SELECT filename FROM findings GROUP BY 1 HAVING count(DISTINCT scan_id) <> 1") == []
    for prefix in ("assignments", "phishing", "backup_jobs", "incidents"):
        got = sorted(n[len(prefix) + 1:-4] for n in names if re.fullmatch(prefix + r"_\d{4}-\d\d\.csv", n))
        assert got == MONTHS, prefix
    assert sorted(n for n in names if n.startswith("access_reviews_")) == [
        "access_reviews_2025-Q1.csv", "access_reviews_2025-Q2.csv"]
    for prefix in ("identities", "certificates"):
        assert 23 <= sum(bool(re.fullmatch(prefix + r"_\d{4}-\d\d-\d\d\.csv", n)) for n in names) <= 25
    # a snapshot file holds exactly one snapshot instant
    for table, col in (("identities", "snapshot_at"), ("certificates", "observed_at")):
        assert land.one(f"SELECT max(c) FROM (SELECT count(DISTINCT {col}) c FROM {table} GROUP BY filename)") == 1


def test_no_timestamp_after_end_and_coverage_is_the_six_months(land, clean):
    for lz, unparsable in ((land, 1), (clean, 0)):
        bad_total = 0
        for e in ENTITIES:
            for col in e.timestamp_columns:
                bad, latest = lz.rows(f"SELECT count(*) FILTER (WHERE {col} IS NOT NULL AND {col}_t IS NULL), "
                                      f"max({col}_t) FROM {e.table}")[0]
                bad_total += bad
                if col not in FORWARD_COLUMNS.get(e.table, ()):
                    assert latest is None or latest <= END, (e.table, col, latest)
            for col in e.coverage_columns:
                months = lz.rows(f"SELECT DISTINCT strftime({col}_t, '%Y-%m') m FROM {e.table} "
                                 f"WHERE {col}_t IS NOT NULL ORDER BY m")
                assert [m for (m,) in months] == MONTHS, (e.table, col)
        assert bad_total == unparsable
    # forward-looking columns stay sensible: assignments are due within the covered months
    assert land.one("SELECT max(due_at_t) FROM assignments") < datetime(2025, 7, 1, tzinfo=timezone.utc)
    assert land.one("SELECT min(scanned_at_t) FROM findings") >= START


# --- determinism and scale ---------------------------------------------------------------

def test_same_arguments_give_identical_bytes_another_seed_does_not(land, tmp_path):
    generate_landing(tmp_path / "again", months=6, seed=7, scale=1.0, end=END)
    assert _digests(tmp_path / "again") == _digests(land.root)
    generate_landing(tmp_path / "other", months=6, seed=8, scale=1.0, end=END)
    other, mine = _digests(tmp_path / "other"), _digests(land.root)
    shared = set(other) & set(mine)
    assert len(shared) > 100 and all(other[f] != mine[f] for f in shared)


def test_scale_roughly_multiplies_rows(land, tmp_path):
    half = generate_landing(tmp_path / "half", months=6, seed=7, scale=0.5, end=END)
    for e in ENTITIES:
        ratio = half.rows[e.table] / land.report.rows[e.table]
        assert 0.3 < ratio < 0.7, (e.table, ratio)


# --- realism -----------------------------------------------------------------------------

def test_geographies_and_countries(land):
    assert {"US", "CA", "BR", "GB", "DE", "FR", "IN", "JP", "SG"} <= land.values("identities", "country")
    assert land.values("identities", "geography") == {"AMER", "EMEA", "APAC", None}
    assert land.one("SELECT count(DISTINCT user_id) FROM identities "
                    "WHERE country IS NULL AND geography IS NOT NULL") >= 2
    assert land.one("SELECT count(DISTINCT user_id) FROM identities "
                    "WHERE country IS NULL AND geography IS NULL") >= 2
    # explicit geographies agree with the country where both are given
    assert land.rows("""SELECT DISTINCT country, geography FROM identities
                        WHERE (country IN ('US', 'CA', 'BR', 'MX') AND geography <> 'AMER')
                           OR (country IN ('GB', 'DE', 'FR') AND geography <> 'EMEA')
                           OR (country IN ('IN', 'JP', 'SG', 'AU') AND geography <> 'APAC')""") == []
    assert land.values("incidents", "geography") == {"AMER", "EMEA", "APAC", None}
    assert {None, "US", "GB", "IN"} <= land.values("assignments", "country")
    assert {None, "US", "GB", "IN"} <= land.values("phishing_results", "country")


def test_value_domains(land):
    assert land.values("identities", "status") == {"active", "suspended", "deprovisioned"}
    assert land.values("identities", "is_privileged") == {"true", "false"}
    assert land.values("identities", "mfa_enabled") == {"true", "false", None}
    sev = land.values("findings", "severity")
    assert {s.lower() for s in sev if s} == {
        "critical", "high", "medium", "low", "info", "moderate", "important", "informational"}
    assert {None, "Important", "moderate", "Critical", "critical"} <= sev
    assert land.values("findings", "asset_environment") == {"production", "staging", "development", None}
    assert land.values("findings", "exploited_in_wild") == {"true", "false", None}
    lo, hi = land.rows("SELECT min(cvss_score::DOUBLE), max(cvss_score::DOUBLE) FROM findings")[0]
    assert lo == 0.0 and 9.5 <= hi <= 10.0
    assert land.one("SELECT count(*) FROM findings WHERE vulnerability_id IS NOT NULL "
                    "AND severity IS NULL AND cvss_score IS NOT NULL") > 0
    assert land.one("SELECT count(*) FROM findings WHERE vulnerability_id IS NOT NULL AND package IS NULL") > 0
    assert land.values("backup_jobs", "job_type") == {"backup", "restore_test", "dr_test"}
    assert land.values("backup_jobs", "status") == {"succeeded", "failed", "partial", "running"}
    assert land.values("backup_jobs", "encrypted") == {"true", "false", None}
    assert land.values("incidents", "category") == {"security", "availability", "other"}
    assert land.values("incidents", "severity") == {"P1", "P2", "P3", "P4"}
    assert land.values("incidents", "root_cause_category") == {
        "people", "process", "technology", "environment", None}
    assert land.values("access_reviews", "decision") == {"approve", "revoke", None}
    assert land.values("assignments", "required") == {"true", "false"}
    assert land.values("phishing_results", "delivered") == {"true", "false", None}


def test_findings_fix_times_reopen_and_clean_scans(land):
    # critical keys first seen after the first scans: most fixed within 24 h, some later
    hours = [h for (h,) in land.rows("""
        WITH k AS (SELECT scanner, asset_id, vulnerability_id, coalesce(package, ''),
                          min(scanned_at_t) FILTER (WHERE fixed_at IS NULL) first_seen, min(fixed_at_t) first_fix
                   FROM findings WHERE lower(severity) = 'critical' GROUP BY ALL)
        SELECT epoch(first_fix - first_seen) / 3600 FROM k
        WHERE first_fix > first_seen AND first_seen > (SELECT min(scanned_at_t) + INTERVAL 1 DAY FROM findings)
    """)]
    assert sum(h > 24 for h in hours) > 2
    assert sum(h <= 24 for h in hours) > max(10, sum(h > 24 for h in hours))
    # a key reported fixed (fixed_at) that shows up open again in a later scan
    assert land.one("""
        SELECT count(*) FROM findings f JOIN findings g
          ON f.scanner = g.scanner AND f.asset_id = g.asset_id AND f.vulnerability_id = g.vulnerability_id
         AND coalesce(f.package, '') = coalesce(g.package, '')
        WHERE f.fixed_at IS NOT NULL AND g.fixed_at IS NULL AND g.scanned_at_t > f.scanned_at_t""") > 0
    # clean-scan rows: the asset was scanned and had no findings
    assert land.one("SELECT count(*) FROM findings WHERE vulnerability_id IS NULL") > 0
    assert land.one("SELECT count(*) FROM findings WHERE vulnerability_id IS NULL "
                    "AND (title IS NOT NULL OR severity IS NOT NULL OR package IS NOT NULL)") == 0
    # one row per (scan, asset, key)
    assert land.one("""SELECT count(*) FROM (SELECT scan_id, asset_id, vulnerability_id, package
                       FROM findings GROUP BY ALL HAVING count(*) > 1)""") == 0
    assert land.one("SELECT count(*) FROM findings WHERE exploited_in_wild = 'true'") > 0


def test_certificates_and_identities_breach_in_some_weeks_only(land):
    expired = [n for (n,) in land.rows("""
        SELECT count(*) FILTER (WHERE asset_environment = 'production' AND not_after_t < observed_at_t)
        FROM certificates GROUP BY observed_at""")]
    assert 0 < sum(n > 0 for n in expired) < len(expired) // 2
    no_mfa = [n for (n,) in land.rows("""
        SELECT count(*) FILTER (WHERE status = 'active' AND is_privileged = 'true' AND mfa_enabled <> 'true')
        FROM identities GROUP BY snapshot_at""")]
    assert 0 < sum(n > 0 for n in no_mfa) < len(no_mfa) // 2
    assert 0.07 < land.one("SELECT avg((is_privileged = 'true')::INT) FROM identities") < 0.13
    # terminations: disabled within 24 h mostly, some late, some never (still active)
    people = land.rows("""
        SELECT user_id, max(terminated_at_t), max(disabled_at_t), arg_max(status, snapshot_at_t)
        FROM identities WHERE terminated_at IS NOT NULL GROUP BY user_id""")
    hours = [(d - t).total_seconds() / 3600 for _, t, d, _ in people if d is not None]
    assert sum(h <= 24 for h in hours) > sum(h > 24 for h in hours) > 0
    assert any(d is None and s == "active" for _, _, d, s in people)  # never disabled
    assert any(d is None and s != "active" for _, _, d, s in people)  # disabled_at left to derive


def test_reviews_training_phishing_backup_incidents(land):
    late, never = land.rows("SELECT count(*) FILTER (WHERE decided_at_t > due_at_t), "
                            "count(*) FILTER (WHERE decided_at IS NULL) FROM access_reviews")[0]
    assert late > 0 and never > 0
    on_time = land.one("""SELECT avg((completed_at_t <= due_at_t)::INT) FROM assignments
                          WHERE required = 'true' AND due_at_t < TIMESTAMPTZ '2025-06-01'""")
    assert 0.7 < on_time < 0.95
    assert land.one("SELECT count(*) FROM assignments WHERE user_id LIKE '%@%' AND user_id <> lower(user_id)") > 20
    click, report = land.rows("SELECT count(clicked_at) / count(*), count(reported_at) / count(*) "
                              "FROM phishing_results WHERE delivered = 'true'")[0]
    assert 0.03 < click < 0.08 and 0.14 < report < 0.28
    # backup: a month with backups but no restore test at all
    months = dict(land.rows("""SELECT job_type, list(DISTINCT strftime(started_at_t, '%Y-%m'))
                               FROM backup_jobs GROUP BY 1"""))
    assert sorted(months["backup"]) == MONTHS
    assert set(months["backup"]) - set(months["restore_test"]) == {"2025-04"}
    assert "backup: no restore test at all in 2025-04" in land.report.notes
    # incidents: P1 detected mostly within 1 h, acknowledged mostly within 15 min, some open
    p1 = land.one("SELECT avg((detected_at_t - occurred_at_t <= INTERVAL 1 HOUR)::INT) FROM incidents "
                  "WHERE severity = 'P1'")
    assert 0.6 < p1 < 1.0
    ack = land.one("SELECT avg((acknowledged_at_t - detected_at_t <= INTERVAL 15 MINUTE)::INT) FROM incidents "
                   "WHERE acknowledged_at IS NOT NULL")
    assert 0.75 < ack < 1.0
    assert land.one("SELECT count(DISTINCT incident_id) FROM incidents WHERE resolved_at IS NULL") >= 2
    assert land.one("SELECT count(*) FROM incidents WHERE change_id IS NOT NULL") > 0


# --- quirks -------------------------------------------------------------------------------

def _timestamp_cells(lz: Landing) -> list[str]:
    cells: list[str] = []
    for e in ENTITIES:
        for col in e.timestamp_columns:
            cells += [v for (v,) in lz.rows(f"SELECT {col} FROM {e.table} WHERE {col} IS NOT NULL")]
    return cells


def test_quirks_present_when_on(land):
    notes = land.report.quirk_notes
    assert len(notes) == 16
    cells = _timestamp_cells(land)
    assert cells.count("not-a-date") == 1
    assert land.one("SELECT job_id FROM backup_jobs WHERE completed_at = 'not-a-date'") in " ".join(notes)
    offset = sum(bool(OFFSET_TS.match(c)) for c in cells)
    naive = sum(bool(NAIVE_TS.match(c)) for c in cells)
    assert offset == 3 * 3 + 2  # 3 incidents x occurred/detected/acknowledged, 2 review decisions
    assert naive == 3 + 2 * 2   # 3 completions, 2 backup jobs x started/completed
    assert sum(bool(Z_TS.match(c)) for c in cells) == len(cells) - 1 - offset - naive
    assert land.one("SELECT count(*) FROM incidents WHERE detected_at_t < occurred_at_t") == 1
    # one incident in two monthly files: open in the first, resolved in the second
    dup = land.rows("""SELECT incident_id, filename, resolved_at FROM incidents
                       WHERE incident_id IN (SELECT incident_id FROM incidents GROUP BY 1 HAVING count(*) > 1)
                       ORDER BY filename""")
    assert [(f, r is None) for _, f, r in dup] == [
        ("incidents_2025-05.csv", True), ("incidents_2025-06.csv", False)]
    assert dup[0][0] == dup[1][0]
    assert land.one("SELECT count(*) FROM assignments WHERE country = 'XX'") == 2
    assert land.one("SELECT count(*) FROM backup_jobs WHERE status = 'running' AND completed_at IS NOT NULL") == 1


def test_quirks_absent_when_off(clean):
    assert clean.report.quirk_notes == ()
    cells = _timestamp_cells(clean)
    assert cells and all(Z_TS.match(c) for c in cells)
    assert clean.one("SELECT count(*) FROM (SELECT incident_id FROM incidents GROUP BY 1 HAVING count(*) > 1)") == 0
    assert clean.one("SELECT count(*) FROM incidents WHERE detected_at_t < occurred_at_t") == 0
    assert clean.one("SELECT count(*) FROM assignments WHERE country = 'XX'") == 0
    assert clean.one("SELECT count(*) FROM backup_jobs WHERE status = 'running' AND completed_at IS NOT NULL") == 0
    # realism does not depend on the quirks
    assert clean.one("SELECT count(*) FROM assignments WHERE user_id LIKE '%@%'") > 0
    assert clean.values("backup_jobs", "status") == {"succeeded", "failed", "partial", "running"}


# --- entry points ---------------------------------------------------------------------------

def test_end_defaults_to_now_truncated_to_the_minute(tmp_path):
    before = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    report = generate_landing(tmp_path, months=2, scale=0.05)
    assert report.end.tzinfo is not None and report.end.second == 0 and report.end.microsecond == 0
    assert before <= report.end <= datetime.now(timezone.utc)
    assert report.start.day == 1 and report.start.hour == 0
    assert (report.end.year * 12 + report.end.month) - (report.start.year * 12 + report.start.month) == 1
    lz = Landing(tmp_path, report)
    assert lz.one("SELECT max(started_at_t) FROM backup_jobs") <= report.end


def test_cli_writes_the_same_landing_as_the_api(tmp_path, capsys):
    from ingest.generator.cli import main

    assert main(["--out", str(tmp_path / "cli"), "--months", "2", "--seed", "3", "--scale", "0.1",
                 "--end", "2025-03-10T12:00:00", "--no-quirks"]) == 0
    out = capsys.readouterr().out
    assert "scanner/findings" in out and "quirks off" in out
    report = generate_landing(tmp_path / "api", months=2, seed=3, scale=0.1, quirks=False,
                              end=datetime(2025, 3, 10, 12, tzinfo=timezone.utc))
    assert _digests(tmp_path / "cli") == _digests(tmp_path / "api")
    assert sorted(_digests(tmp_path / "api")) == list(report.files)
