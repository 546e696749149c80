"""sslyze 5.x JSON: certificate observations (ingest/formats/scanner/sslyze_json.py).

The real export (DefectDojo's sslyze 5.0.1 sample: example.com) is read from the
shared samples and skipped when they are absent; samples/sslyze-json/two_servers.json
covers two certificate deployments on one server, a server that could not be
reached and a time that carries its own offset.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.scanner.sslyze_json import SslyzeJson, serial_hex
from ingest.load import ingest_landing

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "samples" / "sslyze-json" / "two_servers.json"


def _shared_samples() -> Path:
    # tests/conftest.py's SHARED_SAMPLES, read by path: every conftest module is named
    # `conftest`, so importing it by name may give another folder's.
    spec = importlib.util.spec_from_file_location("_tests_root_conftest", HERE.parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHARED_SAMPLES


SAMPLE = _shared_samples() / "scanner" / "sslyze-json" / "dd_sslyze_new_one_target.json"
needs_sample = pytest.mark.skipif(not SAMPLE.is_file(), reason="shared sslyze sample not present")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _copy(source: Path, landing: Path) -> None:
    target = landing / "scanner" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _certificates(con) -> list[dict]:
    cursor = con.execute(
        "SELECT observed_at, asset_id, asset_environment, subject, serial, not_before, not_after, "
        "_extra, _naive_timestamps, _source_row FROM raw.certificates ORDER BY _source_row"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row), _extra=json.loads(row[names.index("_extra")])) for row in cursor.fetchall()]


def test_serial_is_upper_case_hex_in_whole_bytes():
    assert serial_hex(3428951006436800667962695313007041170) == "02946456517EB6A920B627F59843DA92"
    assert (serial_hex(255), serial_hex(4096), serial_hex("0a1b")) == ("FF", "1000", "0a1b")
    assert serial_hex(None) is None


@needs_sample
def test_real_export_leaf_certificate_in_utc(con, landing, run_at):
    assert registry.detect(SAMPLE, "scanner").name == "sslyze_json"
    _copy(SAMPLE, landing)

    report = ingest_landing(con, landing, now=run_at)

    # and one findings row: a clean TLS scan of example.com (no check failed)
    assert report.files[0].rows_loaded == {"certificates": 1, "findings": 1}
    (row,) = _certificates(con)
    # date_scans_started "2022-01-17T16:46:10.091480": naive, UTC per sslyze
    assert row["observed_at"] == datetime(2022, 1, 17, 16, 46, 10, 91480, tzinfo=timezone.utc)
    assert row["_extra"]["observed_at_source"] == "date_scans_started"
    assert (row["asset_id"], row["subject"]) == ("example.com", "CN=*.example.com")
    # serial_number 3428951006436800667962695313007041170 = 0x02946456517EB6A920B627F59843DA92
    assert row["serial"] == "02946456517EB6A920B627F59843DA92"
    assert row["_extra"]["serial_decimal"] == "3428951006436800667962695313007041170"
    # not_valid_before "2021-03-15T00:00:00", not_valid_after "2022-03-15T23:59:59": UTC
    assert (row["not_before"], row["not_after"]) == (utc(2021, 3, 15), utc(2022, 3, 15, 23, 59, 59))
    assert row["_naive_timestamps"] == 0
    assert (row["_extra"]["ip"], row["_extra"]["port"]) == ("1.1.1.1", 443)
    assert row["_extra"]["subject_alt_name_dns"] == ["*.example.com", "example.com"]
    assert row["_extra"]["issuer"] == "CN=RapidSSL TLS DV RSA Mixed SHA256 2020 CA-1,O=DigiCert Inc,C=US"
    assert row["asset_environment"] is None


def test_each_deployment_is_a_certificate_and_unreachable_servers_are_noted(con, landing, run_at):
    _copy(FIXTURE, landing)

    report = ingest_landing(con, landing, now=run_at)

    (result,) = report.files
    assert (result.format, result.rows_loaded, result.rows_rejected) == (
        "sslyze_json", {"certificates": 2, "findings": 0}, 0)
    # only certificate_info ran: no TLS check, so no findings row (not even a clean scan)
    assert result.notes == [
        "two_servers.json: no certificate observed for down.example.com (sslyze status ERROR_NO_CONNECTIVITY)",
        "two_servers.json: 0 failed TLS check(s) loaded as findings, 0 passed or not run skipped"]
    rsa, ecdsa = _certificates(con)
    for row in (rsa, ecdsa):
        assert row["observed_at"] == datetime(2024, 3, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
        assert row["asset_id"] == "api.stg.example.com"
        # the rules' name pattern (^|[-_.])(stg|stage|staging)([-_.]|$)
        assert (row["asset_environment"], row["_extra"]["asset_environment_source"]) == ("staging", "name_pattern")
    # the leaf (chain[0]) only, never the intermediate
    assert (rsa["serial"], rsa["subject"], rsa["_extra"]["deployment_number"]) == (
        "1000", "CN=api.stg.example.com,O=Example,C=US", 1)
    assert (rsa["not_before"], rsa["not_after"]) == (utc(2024, 1, 1), utc(2024, 6, 30, 23, 59, 59))
    # a time with its own offset keeps it
    assert (ecdsa["serial"], ecdsa["_extra"]["deployment_number"]) == ("FF", 2)
    assert (ecdsa["not_before"], ecdsa["not_after"]) == (utc(2024, 1, 2), utc(2024, 7, 1))
    assert ecdsa["_naive_timestamps"] == 0


def test_other_json_is_not_sslyze(drop):
    path = drop("scanner", "report.json", '{"SchemaVersion": 2, "Results": []}')

    assert not SslyzeJson().detect(path, path.read_bytes())
