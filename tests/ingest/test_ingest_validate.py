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
