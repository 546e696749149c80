"""AWS Inspector2 list-findings JSON: own cases per finding type and status."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.formats import registry
from ingest.formats.scanner.aws_inspector2_json import AwsInspector2Json
from ingest.rules import ParseContext, load_rules

FIXTURES = Path(__file__).resolve().parent / "samples" / "aws_inspector2_json"


def parse(name: str):
    return AwsInspector2Json().parse(FIXTURES / name, "scanner", ParseContext(rules=load_rules()))


def rows(name: str) -> dict[tuple, dict]:
    frame = parse(name).entities["findings"]
    return {(r["asset_id"], r["vulnerability_id"], r["package"]): {**r, "_extra": json.loads(r["_extra"])}
            for r in frame.to_dicts()}


def test_counts_classes_and_skips():
    parsed = parse("many_findings.json")
    frame = parsed.entities["findings"]
    # 6 findings: SUPPRESSED skipped; glibc finding has 2 packages -> 2 rows; 4 others -> 1 row each
    assert frame.height == 6
    assert sorted(frame["finding_class"].to_list()) == ["code", "misconfiguration"] + ["vulnerability"] * 4
    assert "1 finding(s) in status SUPPRESSED skipped" in parsed.notes
    assert set(frame["scanner"]) == {"inspector2"}
    assert frame["scan_id"].n_unique() == 1 and frame["scan_id"][0].startswith("sha256:")
    # the latest lastObservedAt among all findings (the SUPPRESSED one included: it was observed)
    assert set(frame["scanned_at"]) == {"2024-05-21T06:00:00.000Z"}


def test_package_vulnerability_fields():
    found = rows("many_findings.json")
    glibc = found[("i-0abc1234def567890", "CVE-2023-4911", "glibc")]
    assert (glibc["severity"], glibc["cvss_score"], glibc["_extra"]["cvss_source"]) == ("HIGH", "7.8", "NVD 3.1")
    assert (glibc["exploited_in_wild"], glibc["_extra"]["exploit_available"]) == ("true", "YES")   # lastKnownExploitAt
    assert (glibc["fixed_at"], glibc["finding_class"]) == (None, "vulnerability")
    assert glibc["_extra"]["fixed_version"] == "0:2.26-63.amzn2" and glibc["_extra"]["epss"] == "0.0231"
    assert ("i-0abc1234def567890", "CVE-2023-4911", "glibc-common") in found
    closed = found[("arn:aws:ecr:eu-west-1:111122223333:repository/payments-prod/sha256:1f2e3d", "CVE-2022-40897", "setuptools")]
    assert (closed["fixed_at"], closed["cvss_score"], closed["exploited_in_wild"]) == ("2024-05-11T08:30:00.000Z", "5.9", None)


def test_network_code_and_untriaged():
    found = rows("many_findings.json")
    port = found[("i-0abc1234def567890", "inspector2:network:TCP/22-22", None)]
    assert (port["finding_class"], port["severity"], port["cvss_score"]) == ("misconfiguration", "MEDIUM", None)
    code = found[("arn:aws:lambda:eu-west-1:111122223333:function:ingest-dev:3", "python/hardcoded-credentials@v1.0",
                  "src/handler.py")]
    assert (code["finding_class"], code["severity"], code["cvss_score"]) == ("code", "CRITICAL", "9.1")
    assert code["_extra"]["cvss_source"] == "inspectorScore"
    untriaged = found[("i-0abc1234def567890", "CVE-2024-99999", "openssl")]
    # UNTRIAGED is no severity; the score is a word: read as the severity, marked in _extra
    assert (untriaged["severity"], untriaged["cvss_score"]) == ("HIGH", None)
    assert untriaged["_extra"]["cvss_score_word"] == "HIGH" and untriaged["_extra"]["inspector_severity"] == "UNTRIAGED"


def test_detection_and_empty_list():
    assert registry.detect(FIXTURES / "many_findings.json", "scanner").name == "aws_inspector2_json"
    assert registry.detect(FIXTURES / "no_findings.json", "scanner").name == "aws_inspector2_json"
    parsed = parse("no_findings.json")
    assert parsed.entities["findings"].height == 0
    assert parsed.notes == ["an empty findings list names no resource: nothing loaded"]
