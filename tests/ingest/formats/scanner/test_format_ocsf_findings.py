"""OCSF findings: Vulnerability and Compliance Findings as JSON, Prowler checks as JSON lines,
and the same events as Parquet (Security Lake)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.formats import registry
from ingest.formats.scanner.ocsf_findings import OcsfFindings
from ingest.rules import ParseContext, load_rules

FIXTURES = Path(__file__).resolve().parent / "samples" / "ocsf_findings"
JSON = FIXTURES / "vulnerability_findings.json"
JSONL = FIXTURES / "prowler_checks.ocsf.jsonl"


def parse(path: Path):
    return OcsfFindings().parse(path, "scanner", ParseContext(rules=load_rules()))


def rows(path: Path) -> dict[tuple, dict]:
    return {(r["scanner"], r["asset_id"], r["vulnerability_id"], r["package"]): {**r, "_extra": json.loads(r["_extra"])}
            for r in parse(path).entities["findings"].to_dicts()}


def test_vulnerability_and_compliance_findings():
    parsed = parse(JSON)
    found = rows(JSON)
    # 2 packages of CVE-2023-44487 + resolved setuptools + failed S3 control + clean row for the passing bucket
    assert parsed.entities["findings"].height == 5
    assert "1 event(s) in status Suppressed skipped" in parsed.notes
    assert "1 event(s) of checks that passed skipped" in parsed.notes
    rapid = found[("amazon inspector", "i-0web01-prod", "CVE-2023-44487", "nghttp2-libs")]
    assert (rapid["severity"], rapid["cvss_score"], rapid["finding_class"], rapid["fixed_at"]) == (
        "High", "7.5", "vulnerability", None)                             # newest CVSS version first
    assert (rapid["_extra"]["exploit_available"], rapid["exploited_in_wild"]) == ("true", None)
    assert rapid["_extra"]["fixed_version"] == "1.57.0"
    setuptools = found[("amazon inspector", "i-0web01-prod", "CVE-2022-40897", "setuptools")]   # OCSF 1.0 shapes
    assert (setuptools["cvss_score"], setuptools["fixed_at"], setuptools["severity"]) == ("5.9", "2024-05-19T06:00:00Z", "medium")
    bucket = found[("cloud custodian", "arn:aws:s3:::reports-prod", "s3-public-read", None)]
    assert (bucket["finding_class"], bucket["severity"]) == ("misconfiguration", "Critical")
    clean = found[("cloud custodian", "arn:aws:s3:::archive-prod", None, None)]
    assert clean["_source_row"] == 0
    # the latest event time: 1716200000000 ms (the suppressed event) = 2024-05-20T10:13:20Z
    assert set(parsed.entities["findings"]["scanned_at"]) == {"2024-05-20T10:13:20.000Z"}


def test_prowler_json_lines():
    parsed = parse(JSONL)
    found = rows(JSONL)
    assert registry.detect(JSONL, "scanner").name == "ocsf_findings"
    assert parsed.notes[0] == "read as OCSF jsonl"
    assert "1 event(s) of checks that passed skipped" in parsed.notes
    assert "1 event(s) of checks awaiting manual review skipped" in parsed.notes
    public = found[("prowler", "arn:aws:s3:::reports-prod", "s3_bucket_public_access", None)]
    assert (public["severity"], public["finding_class"], public["_source_row"]) == ("Critical", "misconfiguration", 1)
    assert ("prowler", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", None) in found
    # the root account: one PASS and one MANUAL and no failure -> one clean-scan row
    assert found[("prowler", "arn:aws:iam::111122223333:root", None, None)]["_source_row"] == 0
    assert len(found) == 3
    # Prowler writes `time` in seconds: 1716184803 s = 2024-05-20T06:00:03Z
    assert set(parsed.entities["findings"]["scanned_at"]) == {"2024-05-20T06:00:03.000Z"}


def test_parquet_as_security_lake_stores_it(tmp_path):
    events = [e for e in json.loads(JSON.read_text()) if e["class_uid"] == 2002][:1]
    for event in events:  # Security Lake types `time` as a timestamp
        event["time"] = datetime.fromtimestamp(event["time"] / 1000, tz=timezone.utc)
    lake = tmp_path / "part-00000.parquet"
    pq.write_table(pa.Table.from_pylist(events), lake)
    assert registry.detect(lake, "scanner").name == "ocsf_findings"
    parsed = parse(lake)
    assert parsed.notes[0] == "read as OCSF parquet"
    frame = parsed.entities["findings"]
    assert sorted(frame["package"].to_list()) == ["nghttp2", "nghttp2-libs"]
    assert set(frame["vulnerability_id"]) == {"CVE-2023-44487"} and set(frame["cvss_score"]) == {"7.5"}
    assert set(frame["scanned_at"]) == {"2024-05-20T06:00:00.000Z"}      # 1716184800000 ms


def test_json_detection_by_structure():
    assert registry.detect(JSON, "scanner").name == "ocsf_findings"
