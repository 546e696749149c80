"""`secops validate`: the real ingest path on a throwaway warehouse, loading nothing."""

from pathlib import Path

from ingest.validate import validate_file
from orchestration.cli import main

HEADER = "job_id,system_id,job_type,started_at,completed_at,status,encrypted,asset_environment\n"


def _export(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "exports" / "backup"
    folder.mkdir(parents=True)
    path = folder / "jobs.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_validate_reports_format_rows_and_refused_fields(tmp_path):
    path = _export(tmp_path, "j1,db,backup,2026-09-01T00:00:00Z,,succeeded,yes,\n"
                             "j2,db,backup,not-a-date,,failed,no,\n")
    result = validate_file(path)
    assert (result.family, result.format, result.error) == ("backup", "canonical_csv", None)
    assert result.rows_by_table == {"backup_jobs": 1}
    assert result.rejected == [("backup_jobs", 2, "started_at", "not-a-date", result.rejected[0][4])]
    assert "timestamp" in result.rejected[0][4]


def test_validate_names_an_unreadable_file_and_exits_non_zero(tmp_path, capsys):
    path = _export(tmp_path, '"unterminated,quote\n')
    assert main(["validate", str(path)]) == 1
    assert "jobs.csv: cannot be loaded" in capsys.readouterr().out
    # nothing is written beside the file: the dry run uses an in-memory warehouse
    assert sorted(p.name for p in path.parent.iterdir()) == ["jobs.csv"]


TRIVY_SAMPLES = Path(__file__).resolve().parent / "formats" / "scanner" / "samples" / "trivy-json"


def test_validate_says_where_every_record_went(tmp_path, capsys):
    # 1 vulnerability, 3 checks (FAIL, PASS, EXCEPTION), 2 secrets, 1 licence = 7 records
    path = TRIVY_SAMPLES / "misconfigurations_and_secrets.json"
    result = validate_file(path, family="scanner")
    assert result.records_held == 7
    assert result.rows_by_class == {"findings/vulnerability": 1, "findings/misconfiguration": 1, "findings/secret": 2}
    assert result.skipped == {
        "PASS misconfiguration (a check that did not fail is not a finding)": 1,
        "EXCEPTION misconfiguration (a check that did not fail is not a finding)": 1,
        "licence finding (not a security finding class)": 1,
    }
    assert main(["validate", "--family", "scanner", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("records: 7 held -> rows: 1 findings/misconfiguration, 2 findings/secret, 1 findings/vulnerability; "
            "0 record(s) refused; 3 skipped") in out


def test_the_manifest_keeps_the_accounting(tmp_path):
    import json

    import duckdb

    from ingest.load import ingest_landing

    landing = tmp_path / "landing"
    (landing / "scanner").mkdir(parents=True)
    (landing / "scanner" / "k8s.json").write_bytes((TRIVY_SAMPLES / "k8s_resources.json").read_bytes())
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    ingest_landing(con, landing)
    held, by_class, skipped, reasons = con.execute(
        "SELECT records_held, rows_by_class, records_skipped, skipped_reasons FROM ingest.file_manifest"
    ).fetchone()
    # three findings in three resources, and the clean Service
    assert (held, json.loads(by_class), skipped, json.loads(reasons)) == (
        3, {"findings/clean_scan": 1, "findings/misconfiguration": 2, "findings/vulnerability": 1}, 0, {})
    # the accounting columns stand together, after the columns the manifest had before them
    names = [r[0] for r in con.execute("DESCRIBE ingest.file_manifest").fetchall()]
    start = names.index("records_held")
    assert names[start:start + 4] == ["records_held", "rows_by_class", "records_skipped", "skipped_reasons"]
    assert start > names.index("withdrawn_at")
