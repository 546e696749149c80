"""AWS Security Hub ASFF: products, classes, workflow and record states, passed checks."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.formats import registry
from ingest.formats.scanner.aws_securityhub_asff_json import AwsSecurityHubAsffJson
from ingest.rules import ParseContext, load_rules

SAMPLE = Path(__file__).resolve().parent / "samples" / "aws_securityhub_asff_json" / "mixed_products.json"


def parse(path: Path = SAMPLE):
    return AwsSecurityHubAsffJson().parse(path, "scanner", ParseContext(rules=load_rules()))


def rows(path: Path = SAMPLE) -> dict[tuple, dict]:
    return {(r["scanner"], r["asset_id"], r["vulnerability_id"], r["package"]): {**r, "_extra": json.loads(r["_extra"])}
            for r in parse(path).entities["findings"].to_dicts()}


def test_counting_and_skips():
    parsed = parse()
    # 7 findings: Inspector CVE x 2 packages = 2; S3.8 x 2 buckets = 2; EC2.19 resolved = 1;
    # IAM.6 passed -> 1 clean-scan row for its account; S3.1 suppressed, S3.2 archived, GuardDuty TTP skipped
    assert parsed.entities["findings"].height == 6
    assert parsed.notes == [
        "1 finding(s) with RecordState ARCHIVED skipped",
        "1 finding(s) in Workflow.Status SUPPRESSED skipped",
        "1 finding(s) with Compliance.Status PASSED (checks that passed) skipped",
        "1 finding(s) of threat-detection types (TTPs, Effects, Unusual Behaviors) skipped",
    ]
    frame = parsed.entities["findings"]
    assert set(frame["scanned_at"]) == {"2024-05-21T07:00:00Z"}             # the latest UpdatedAt
    assert frame["finding_class"].null_count() == 0


def test_vulnerability_rows():
    found = rows()
    xz = found[("inspector", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0prod1", "CVE-2024-3094", "xz-libs")]
    assert (xz["severity"], xz["cvss_score"], xz["finding_class"], xz["exploited_in_wild"]) == (
        "CRITICAL", "10.0", "vulnerability", None)
    assert (xz["_extra"]["exploit_available"], xz["_extra"]["fixed_version"]) == ("YES", "5.6.1")
    assert xz["asset_environment"] is None
    assert ("inspector", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0prod1", "CVE-2024-3094", "xz") in found


def test_compliance_rows_are_misconfigurations():
    found = rows()
    bucket = found[("security hub", "arn:aws:s3:::reports-prod", "S3.8", None)]
    assert (bucket["severity"], bucket["finding_class"], bucket["fixed_at"], bucket["cvss_score"]) == (
        "HIGH", "misconfiguration", None, None)
    assert ("security hub", "arn:aws:s3:::exports-dev", "S3.8", None) in found
    resolved = found[("security hub", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc", "EC2.19", None)]
    assert (resolved["fixed_at"], resolved["_extra"]["workflow_status"]) == ("2024-05-18T07:00:00Z", "RESOLVED")
    clean = found[("security hub", "eu-west-1/AWS::::Account:111122223333", None, None)]   # non-ARN id + Region
    assert (clean["_source_row"], clean["finding_class"]) == (0, "misconfiguration")


def test_bare_array_as_prowler_writes_it(tmp_path):
    array = tmp_path / "prowler.asff.json"
    array.write_text(json.dumps(json.loads(SAMPLE.read_text())["Findings"][1:3]))
    assert registry.detect(array, "scanner").name == "aws_securityhub_asff_json"
    assert parse(array).entities["findings"].height == 3
    assert registry.detect(SAMPLE, "scanner").name == "aws_securityhub_asff_json"
