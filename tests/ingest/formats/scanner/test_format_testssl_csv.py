"""testssl.sh CSV: certificate observations (ingest/formats/scanner/testssl_csv.py).

The real export (DefectDojo's testssl.sh sample: www.defectdojo.org behind four
addresses) is read from the shared samples and skipped when they are absent; the
hand-made file under samples/testssl-csv/ covers several certificates per host, an
address-only target, zones and the file-name scan time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.canonical.csv_export import CanonicalCsv
from ingest.formats.scanner.testssl_csv import TestsslCsv
from ingest.load import ingest_landing

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "samples" / "testssl-csv" / "shop.prod.example.com-p443-20240301-1015.csv"


def _shared_samples() -> Path:
    # tests/conftest.py's SHARED_SAMPLES, read by path: every conftest module is named
    # `conftest`, so importing it by name may give another folder's.
    spec = importlib.util.spec_from_file_location("_tests_root_conftest", HERE.parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHARED_SAMPLES


SAMPLE = _shared_samples() / "scanner" / "testssl-csv" / "dd_testssl_many_vuln.csv"
needs_sample = pytest.mark.skipif(not SAMPLE.is_file(), reason="shared testssl.sh sample not present")

# a fixed modification time for the real sample's copy: 2024-03-15 09:30:00 UTC
MTIME = datetime(2024, 3, 15, 9, 30, tzinfo=timezone.utc)


def _copy(source: Path, landing: Path, name: str | None = None) -> Path:
    target = landing / "scanner" / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _certificates(con) -> list[dict]:
    cursor = con.execute(
        "SELECT observed_at, asset_id, asset_environment, subject, serial, not_before, not_after, "
        "_extra, _naive_timestamps, _source_row FROM raw.certificates ORDER BY _source_row"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row), _extra=json.loads(row[names.index("_extra")])) for row in cursor.fetchall()]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@needs_sample
def test_real_export_is_detected_and_not_claimed_as_canonical():
    head = SAMPLE.read_bytes()[: registry.HEAD_BYTES]
    assert TestsslCsv().detect(SAMPLE, head)
    assert not CanonicalCsv().detect(SAMPLE, head)
    assert registry.detect(SAMPLE, "scanner").name == "testssl_csv"


@needs_sample
def test_real_export_one_observation_per_address_with_the_mtime_fallback(con, landing, run_at):
    path = _copy(SAMPLE, landing)
    os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    assert (result.status, result.format, result.rows_loaded) == (
        "loaded", "testssl_csv", {"certificates": 4, "findings": 16})
    assert any("no scan time" in note for note in result.notes)
    rows = _certificates(con)
    # www.defectdojo.org on 185.199.108-111.153, port 443: one certificate each
    assert sorted(r["_extra"]["ip"] for r in rows) == [
        "185.199.108.153", "185.199.109.153", "185.199.110.153", "185.199.111.153"]
    for row in rows:
        assert row["asset_id"] == "www.defectdojo.org"
        assert row["subject"] == "CN=www.defectdojo.org"
        assert row["serial"] == "03F199EEC9C93A88EBE13060D76B8B18A54E"
        # cert_notBefore "2019-05-18 20:28", cert_notAfter "2019-08-16 20:28": no offset, read in
        # the default zone (UTC here) and counted as naive (2 per row)
        assert (row["not_before"], row["not_after"]) == (utc(2019, 5, 18, 20, 28), utc(2019, 8, 16, 20, 28))
        assert row["_naive_timestamps"] == 2
        # no scan time in the file: the documented fallback, the file's modification time
        assert row["observed_at"] == MTIME
        assert row["_extra"]["observed_at_source"] == "fallback_file_mtime"
        assert row["_extra"]["port"] == 443
        assert row["_extra"]["expiration_status"] == "30 >= 30 days"
        # no inventory, and www.defectdojo.org matches no name pattern: unknown
        assert row["asset_environment"] is None
        assert row["_extra"]["asset_environment_source"] is None
    # the record number is the first certificate check's (cert_serialNumber, line 39 = record 38)
    assert rows[0]["_source_row"] == 38


@needs_sample
def test_real_export_times_follow_the_configured_default_zone(con, landing, run_at):
    # testssl.sh printed the certificate's 18:28:09Z validity in the scanning machine's zone
    # (UTC+2 in May-August): read in Europe/Berlin, the instants are the certificate's own
    _copy(SAMPLE, landing)

    ingest_landing(con, landing, now=run_at, default_tz="Europe/Berlin")

    row = _certificates(con)[0]
    assert (row["not_before"], row["not_after"]) == (utc(2019, 5, 18, 18, 28), utc(2019, 8, 16, 18, 28))


def test_several_certificates_per_host_and_address_only_targets(con, landing, run_at):
    _copy(FIXTURE, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    # 3 certificates: hostCert#1 and #2 of shop.prod.example.com:443, and 203.0.113.20:8443,
    # whose notAfter is missing (a required field: that row is refused, with its reason;
    # its record number is its first certificate check's, cert_serialNumber on line 15 = record 14)
    # findings: HSTS not offered (LOW) on shop.prod.example.com, a clean TLS scan of 203.0.113.20
    assert (result.rows_loaded, result.rows_rejected) == ({"certificates": 2, "findings": 2}, 1)
    assert con.execute(
        "SELECT source_row, field, reason FROM ingest.rejected_rows").fetchall() == [
        (14, "not_after", "required field is blank")]
    first, second = _certificates(con)
    # the scan start from testssl.sh's file name (-p443-20240301-1015): local and naive
    for row in (first, second):
        assert row["observed_at"] == utc(2024, 3, 1, 10, 15)
        assert row["_extra"]["observed_at_source"] == "file_name"
        assert row["asset_id"] == "shop.prod.example.com"
        assert row["subject"] == "CN=shop.prod.example.com"
        # the rules' name pattern (^|[-_.])(prod|prd)([-_.]|$) makes it production
        assert (row["asset_environment"], row["_extra"]["asset_environment_source"]) == (
            "production", "name_pattern")
    assert (first["serial"], first["_extra"]["certificate_number"]) == ("0A1B2C3D4E5F", "1")
    assert (first["not_before"], first["not_after"]) == (utc(2024, 1, 1), utc(2024, 2, 29, 23, 59))
    # observed_at, not_before and not_after all naive
    assert first["_naive_timestamps"] == 3
    # hostCert#2: serial upper-cased; "UTC" and "+0200" keep their zones (12:00+02:00 = 10:00Z)
    assert (second["serial"], second["_extra"]["certificate_number"]) == ("0B77", "2")
    assert (second["not_before"], second["not_after"]) == (utc(2024, 2, 1), utc(2024, 5, 1, 10))
    assert second["_naive_timestamps"] == 1


def test_address_only_target_is_its_own_asset():
    parsed = TestsslCsv().parse(FIXTURE, "scanner")

    frame = parsed.entities["certificates"]
    row = frame.filter(frame["serial"] == "01").row(0, named=True)
    assert (row["asset_id"], row["subject"], row["not_after"]) == ("203.0.113.20", "CN=legacy.internal", None)
    assert json.loads(row["_extra"])["ip"] == "203.0.113.20"
    # the scan time came from the file name: no fallback note, only the findings count
    assert parsed.notes == ["shop.prod.example.com-p443-20240301-1015.csv: 1 rated TLS check line(s) loaded "
                            "as findings, 17 line(s) skipped (OK, INFO, WARN, DEBUG, certificate checks or grade)"]


def test_asset_inventory_decides_before_name_patterns(con, landing, run_at):
    _copy(FIXTURE, landing)
    inventory = landing / "reference" / "asset_inventory.csv"
    inventory.parent.mkdir(parents=True)
    inventory.write_text("asset_id,asset_environment\nSHOP.prod.example.com,staging\n")

    ingest_landing(con, landing, now=run_at)

    assert {(r["asset_environment"], r["_extra"]["asset_environment_source"]) for r in _certificates(con)} == {
        ("staging", "asset_inventory")}


def test_a_testssl_header_without_certificate_checks_has_no_observations(drop):
    path = drop("scanner", "no_certs.csv",
                '"id","fqdn/ip","port","severity","finding","cve","cwe"\n'
                '"SSLv2","example.com/192.0.2.1","443","OK","not offered","",""\n')

    parsed = TestsslCsv().parse(path, "scanner")

    assert parsed.entities["certificates"].height == 0
    # an OK line is no finding, but the host was scanned: one clean-scan row
    (clean,) = parsed.entities["findings"].to_dicts()
    assert (clean["asset_id"], clean["vulnerability_id"], clean["_source_row"]) == ("example.com", None, 0)
    assert parsed.notes[1:] == ["no_certs.csv: 0 rated TLS check line(s) loaded as findings, 1 line(s) skipped "
                                "(OK, INFO, WARN, DEBUG, certificate checks or grade)"]
