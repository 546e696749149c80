"""Findings exports through the loader: ingest_landing types them into raw.findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.load import ingest_landing
from tests.ingest.formats.scanner.findings_support import FORMAT_FOLDERS, SHARED_SCANNER, fixture


def _drop(landing: Path, source: Path, name: str | None = None) -> Path:
    target = landing / "scanner" / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def test_trivy_and_grype_files_land_in_raw_findings(con, landing, run_at):
    _drop(landing, fixture("trivy-json", "many_findings.json"), "trivy-billing.json")
    _drop(landing, fixture("grype-json", "one_finding.json"), "grype-shop.json")
    _drop(landing, fixture("trivy-json", "no_findings.json"), "trivy-shop-clean.json")
    inventory = landing / "reference" / "asset_inventory.csv"
    inventory.parent.mkdir(parents=True)
    inventory.write_text("asset_id,asset_environment\nregistry.example.com/shop/api:1.4.2,production\n")

    report = ingest_landing(con, landing, now=run_at)

    assert [(f.file, f.status, f.format, f.rows_loaded, f.rows_rejected) for f in report.files] == [
        ("scanner/grype-shop.json", "loaded", "grype_json", {"findings": 1}, 0),
        # 6 vulnerabilities and 1 failed misconfiguration
        ("scanner/trivy-billing.json", "loaded", "trivy_json", {"findings": 7}, 0),
        ("scanner/trivy-shop-clean.json", "loaded", "trivy_json", {"findings": 1}, 0),
    ]
    rows = con.execute(
        "SELECT _format, scanner, asset_id, asset_environment, vulnerability_id, severity, cvss_score, "
        "package, strftime(scanned_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS scanned_utc, "
        "_extra->>'asset_environment_source' AS env_source, _extra->>'installed_version' AS installed "
        "FROM raw.findings ORDER BY _source_file, _source_row"
    ).fetchall()
    assert rows[0] == (
        "grype_json", "grype", "registry.example.com/shop/api:1.4.2", "production", "CVE-2023-5363", "High",
        7.5, "libcrypto3", "2024-03-05 10:02:00", "asset_inventory", "3.1.3-r0",
    )
    # +01:00 in CreatedAt is honoured
    assert rows[1][:9] == (
        "trivy_json", "trivy", "billing-worker-prod", "production", "CVE-2024-2961", "CRITICAL", 9.8, "libc6",
        "2024-03-06 10:30:00",
    )
    assert rows[1][9:] == ("name_pattern", "2.36-9+deb12u4")
    # the clean rescan of the shop image: one row, no vulnerability
    assert rows[-1][:5] == ("trivy_json", "trivy", "registry.example.com/shop/api:1.4.2", "production", None)
    fixed_versions = con.execute(
        "SELECT _extra->'fixed_versions' FROM raw.findings WHERE vulnerability_id = 'CVE-2022-42003' LIMIT 1"
    ).fetchone()[0]
    assert json.loads(fixed_versions) == ["2.12.7.1", "2.13.4.2"]
    assert con.execute("SELECT count(*) FROM ingest.rejected_rows").fetchone() == (0,)


def test_a_malformed_file_fails_alone_and_names_itself(con, landing, run_at):
    _drop(landing, fixture("trivy-json", "malformed.json"), "broken.json")
    _drop(landing, fixture("grype-json", "one_finding.json"), "grype.json")

    report = ingest_landing(con, landing, now=run_at)

    (failed,) = report.failed
    assert failed.file == "scanner/broken.json"
    assert failed.error.startswith("scanner/broken.json: not valid JSON at line ")
    assert con.execute("SELECT count(*) FROM raw.findings").fetchone() == (1,)


def test_a_sarif_result_without_rule_is_counted_as_rejected(con, landing, run_at):
    _drop(landing, fixture("sarif", "result_without_rule.sarif"))

    (result,) = ingest_landing(con, landing, now=run_at).files

    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", {"findings": 1}, 1)
    assert con.execute("SELECT field, reason FROM ingest.rejected_rows").fetchall() == [
        ("vulnerability_id", "SARIF result runs[0].results[0] names no rule")
    ]


SHARED = sorted(
    path for folder in FORMAT_FOLDERS.values() for path in (SHARED_SCANNER / folder).glob("*") if path.is_file()
) if SHARED_SCANNER.is_dir() else []


@pytest.mark.skipif(not SHARED, reason="shared samples not present")
def test_every_real_sample_loads_and_only_the_decimal_less_template_is_refused(con, landing, run_at):
    for path in SHARED:
        _drop(landing, path, f"{path.parent.name}/{path.name}")

    report = ingest_landing(con, landing, now=run_at)

    # the one refusal: the Nessus template whose scores lost their decimal points (98 for
    # 9.8), all 5 records refused (test_format_nessus_csv.py), never rescaled
    assert [(f.file, f.status, f.rows_rejected) for f in report.files if f.status != "loaded" or f.rows_rejected] == [
        ("scanner/nessus-csv/dd_nessus_template_cvss4_epss.csv", "loaded", 5)
    ]
    loaded = dict(con.execute("SELECT _format, count(*) FROM raw.findings GROUP BY _format").fetchall())
    assert loaded == {
        "trivy_json": 3 + 13 + 5 + 1,
        "grype_json": 6 + 1 + 15,
        "sarif": 72 + 13 + 22,
        "nessus_csv": 30,
        "nessus_xml": 7,
        "qualys_csv": 28 + 5,
    }
    # naive vendor times (Nessus HOST_START, Qualys dates) are counted as such
    naive = dict(con.execute(
        "SELECT _format, sum(_naive_timestamps) FROM raw.findings GROUP BY _format"
    ).fetchall())
    assert naive["nessus_xml"] == 7 and naive["trivy_json"] == 0
