"""Scanner family: findings and certificate observations (SOURCES.md "scanner")."""

from __future__ import annotations

from expectations.spec import Suite, as_of_query, expect
from expectations.suites._common import in_set, ordered, required, timeliness, unique

# Vendor words METRICS.md maps (moderate -> medium, ...) are valid; anything else is not.
SEVERITY_WORDS = [
    "critical", "high", "medium", "low", "info",
    "moderate", "important", "informational", "none", "negligible",
]

# METRICS.md "Finding classes": blank is vulnerability; another word is a validity defect
# of the export (staging counts it as vulnerability).
FINDING_CLASSES = ["vulnerability", "misconfiguration", "secret", "code"]


def _findings(gx, ctx):
    return [
        *required(gx, "scan_id", "scanned_at", "scanner", "asset_id"),
        in_set(gx, "severity_reported", SEVERITY_WORDS),
        in_set(gx, "finding_class_reported", FINDING_CLASSES),
        expect(gx.expectations.ExpectColumnValuesToBeBetween, "validity", column="cvss_score", min_value=0, max_value=10),
        unique(gx, "scan_id", "scanner", "asset_id", "vulnerability_id", "package"),
        *timeliness(gx, ctx, "scanner", "scanned_at"),
    ]


def _certificates(gx, ctx):
    return [
        *required(gx, "observed_at", "asset_id", "not_after"),
        ordered(gx, "not_after", "not_before"),
        unique(gx, "observed_at", "asset_id", "serial"),
        *timeliness(gx, ctx, "scanner", "observed_at"),
    ]


def _kev_catalog(gx, ctx):
    return [
        *required(gx, "cve_id", "date_added"),
        *timeliness(gx, ctx, "scanner", "date_added", fresh=False),
    ]


def _epss_scores(gx, ctx):
    return [
        *required(gx, "cve", "epss"),
        *[
            expect(gx.expectations.ExpectColumnValuesToBeBetween, "validity", column=c, min_value=0, max_value=1)
            for c in ("epss", "percentile")
        ],
        *timeliness(gx, ctx, "scanner", "score_date", fresh=False),
    ]


SUITES = [
    Suite(
        name="scanner.findings",
        asset_key=("scanner", "findings"),
        relation="staging.stg_scanner__findings",
        query=as_of_query(
            "staging.stg_scanner__findings",
            "scanned_at",
            # enumerations compare case-insensitively (METRICS.md "Edge rules")
            "* replace (lower(trim(severity_reported)) as severity_reported,"
            " nullif(lower(trim(finding_class_reported)), '') as finding_class_reported)",
        ),
        build=_findings,
        dimensions=("completeness", "validity", "uniqueness", "timeliness"),
        description="Findings as scanned: required fields, severity and finding-class words and CVSS 0-10, one row per key within a scan, timeliness.",
    ),
    Suite(
        name="scanner.certificates",
        asset_key=("scanner", "certificates"),
        relation="staging.stg_scanner__certificates",
        query=as_of_query("staging.stg_scanner__certificates", "observed_at"),
        build=_certificates,
        dimensions=("completeness", "validity", "uniqueness", "timeliness"),
        description="Certificate observations: required fields, not_after >= not_before, one row per certificate per observation, timeliness.",
    ),
    Suite(
        name="scanner.kev_catalog",
        asset_key=("scanner", "kev_catalog"),
        relation="staging.stg_scanner__kev_entries",
        query=as_of_query("staging.stg_scanner__kev_entries", "date_added"),
        build=_kev_catalog,
        dimensions=("completeness", "timeliness"),
        description="Known-exploited catalogue entries: CVE and date added present, none dated after its load.",
    ),
    Suite(
        name="scanner.epss_scores",
        asset_key=("scanner", "epss_scores"),
        relation="staging.stg_scanner__epss_scores",
        query=as_of_query("staging.stg_scanner__epss_scores", "score_date"),
        build=_epss_scores,
        dimensions=("completeness", "validity", "timeliness"),
        description="EPSS scores: CVE and score present, score and percentile in [0, 1], none dated after its load.",
    ),
]
