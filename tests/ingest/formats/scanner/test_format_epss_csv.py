"""FIRST EPSS daily CSV (ingest/formats/scanner/epss_csv.py).

The real file (the first 99 scores of the 2026-09-29 file, model v2026.06.15) comes from
the shared samples and is skipped when absent; samples/epss-csv/ holds a file without
the comment line (as FIRST wrote them before model v2).
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.canonical.csv_export import CanonicalCsv
from ingest.formats.scanner.epss_csv import EpssCsv, comment_fields
from ingest.load import ingest_landing

HERE = Path(__file__).resolve().parent
NO_COMMENT = HERE / "samples" / "epss-csv" / "epss_scores-2021-12-31.csv"


def _shared_samples() -> Path:
    # tests/conftest.py's SHARED_SAMPLES, read by path: every conftest module is named
    # `conftest`, so importing it by name may give another folder's.
    spec = importlib.util.spec_from_file_location("_tests_root_conftest", HERE.parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHARED_SAMPLES


SAMPLE = _shared_samples() / "scanner" / "epss-csv" / "epss_2026-09-29_first100.csv"
needs_sample = pytest.mark.skipif(not SAMPLE.is_file(), reason="shared EPSS sample not present")


def _copy(source: Path, landing: Path) -> None:
    target = landing / "scanner" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def test_comment_line_fields():
    assert comment_fields("model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z") == {
        "model_version": "v2026.06.15", "score_date": "2026-09-29T12:00:22Z"}
    assert comment_fields(None) == {}


@needs_sample
def test_real_file_is_detected_and_not_claimed_as_canonical():
    head = SAMPLE.read_bytes()[: registry.HEAD_BYTES]
    assert EpssCsv().detect(SAMPLE, head)
    assert not CanonicalCsv().detect(SAMPLE, head)
    assert registry.detect(SAMPLE, "scanner").name == "first_epss_csv"


@needs_sample
def test_real_file_scores_with_model_version_and_score_date(con, landing, run_at):
    _copy(SAMPLE, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    # 101 lines: the comment line, the header and 99 scores
    assert (result.rows_loaded, result.rows_rejected, result.notes) == ({"epss_scores": 99}, 0, [])
    # from '#model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z', on every row
    assert con.execute("SELECT DISTINCT model_version, score_date FROM raw.epss_scores").fetchall() == [
        ("v2026.06.15", datetime(2026, 9, 29, 12, 0, 22, tzinfo=timezone.utc))]
    # the first record after the header: CVE-1999-0001,0.03351,0.88255 (doubles)
    assert con.execute(
        "SELECT cve, epss, percentile, _naive_timestamps FROM raw.epss_scores WHERE _source_row = 1"
    ).fetchall() == [("CVE-1999-0001", 0.03351, 0.88255, 0)]
    # and the last one
    assert con.execute("SELECT cve, epss, percentile FROM raw.epss_scores WHERE _source_row = 99"
                       ).fetchall() == [("CVE-1999-0100", 0.02831, 0.86089)]


def test_file_without_the_comment_line_is_epss_not_canonical(con, landing, run_at):
    head = NO_COMMENT.read_bytes()
    # `cve,epss,percentile` shares 3 of the 5 epss_scores columns: the canonical format
    # would claim it for an entity with a canonical section; EPSS has none
    assert not CanonicalCsv().detect(NO_COMMENT, head)
    assert registry.detect(NO_COMMENT, "scanner").name == "first_epss_csv"
    _copy(NO_COMMENT, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    assert result.rows_loaded == {"epss_scores": 3}
    assert result.notes == [
        "epss_scores-2021-12-31.csv: no '#model_version:...,score_date:...' line; the scores load "
        "without a score date, which the EPSS columns of the findings cannot use"]
    # the blank line is skipped but counted (record 3); ids are upper-cased
    assert con.execute(
        "SELECT _source_row, cve, epss, model_version, score_date FROM raw.epss_scores ORDER BY 1"
    ).fetchall() == [
        (1, "CVE-2021-44228", 0.97565, None, None),
        (2, "CVE-2021-27104", 0.9, None, None),
        (4, "CVE-2021-0001", 0.00043, None, None),
    ]


def test_other_csv_with_a_comment_line_is_not_epss(drop):
    path = drop("scanner", "notes.csv", "# exported by hand\ncve,epss,percentile\n")

    assert not EpssCsv().detect(path, path.read_bytes())


def test_canonical_epss_header_is_left_to_the_canonical_format(drop):
    path = drop("scanner", "epss_scores.csv", "cve,epss,percentile,model_version,score_date\n")

    assert not EpssCsv().detect(path, path.read_bytes())
    assert registry.detect(path, "scanner").name == "canonical_csv"
