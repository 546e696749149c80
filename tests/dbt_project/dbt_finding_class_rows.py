"""Raw finding rows of every class for the finding-class tests (METRICS.md "Finding classes").

as_of = 2024-05-15 12:00 UTC. Regular maintenance window (default config): the first
Saturday of each month, 02:00-06:00 UTC (2024-04-06 02:00-06:00).

| id | scanner  | asset  | key (vulnerability_id, package)          | class as exported   | severity, CVSS   | scans (x present, c clean)          |
|----|----------|--------|------------------------------------------|---------------------|------------------|-------------------------------------|
| V1 | trivy    | web-1  | CVE-2024-1111 openssl                    | (blank)             | critical 9.8     | 03-04 10:00 x, 03-06 10:00 c        |
| M1 | trivy    | web-1  | AVD-DS-0002 Dockerfile                   | "MISCONFIGURATION " | high             | 03-04 10:00 x, 03-06 10:00 c        |
| C1 | semgrep  | repo-1 | python.lang.security.audit.eval app.py   | "Code", then "code" | critical 9.1     | 03-04 10:00 x, 03-20 10:00 x        |
| S1 | gitleaks | repo-1 | aws-access-token config/.env             | secret (flag true)  | high             | 03-04 10:00 x                       |
| V2 | grype    | web-2  | CVE-2024-3333 zlib                       | vulnerability       | medium 5.3       | 04-02 00:00 x                       |
| I1 | trivy    | web-2  | AVD-KSV-0001 deployment/web              | misconfiguration    | info             | 04-02 00:00 x                       |
"""

from __future__ import annotations

from dbt_fixture_rows import ts

AS_OF = "2024-05-15T12:00:00Z"

ENVIRONMENTS = {"web-1": "production", "web-2": "production", "repo-1": None}


def finding(scanner, scan_id, scanned_at, asset_id, vulnerability_id=None, package=None,
            finding_class=None, severity=None, cvss_score=None, exploited=None, title=None):
    """One raw finding row; vulnerability_id None is a clean-scan row."""
    return {
        "scan_id": scan_id,
        "scanned_at": ts(scanned_at),
        "scanner": scanner,
        "asset_id": asset_id,
        "asset_environment": ENVIRONMENTS[asset_id],
        "vulnerability_id": vulnerability_id,
        "title": title or vulnerability_id,
        "severity": severity,
        "cvss_score": cvss_score,
        "exploited_in_wild": exploited,
        "package": package,
        "fixed_at": None,
        "finding_class": finding_class,
        "_source_file": f"scanner/{scanner}_{scan_id}.json",
    }


FINDINGS = [
    # web-1 / trivy: a critical vulnerability and a high misconfiguration, both closed by the clean rescan
    finding("trivy", "t-0304", "2024-03-04 10:00", "web-1", "CVE-2024-1111", "openssl", None, "critical", 9.8),
    finding("trivy", "t-0304", "2024-03-04 10:00", "web-1", "AVD-DS-0002", "Dockerfile", "MISCONFIGURATION ", "high"),
    finding("trivy", "t-0306", "2024-03-06 10:00", "web-1"),
    # repo-1 / semgrep: a code finding rated critical 9.1, still present on 03-20
    finding("semgrep", "s-0304", "2024-03-04 10:00", "repo-1", "python.lang.security.audit.eval", "app.py",
            "Code", "critical", 9.1),
    finding("semgrep", "s-0320", "2024-03-20 10:00", "repo-1", "python.lang.security.audit.eval", "app.py",
            "code", "critical", 9.1),
    # repo-1 / gitleaks: a secret the scanner flags as exploited (not a vulnerability: no effect)
    finding("gitleaks", "g-0304", "2024-03-04 10:00", "repo-1", "aws-access-token", "config/.env",
            "secret", "high", exploited=True),
    # web-2: a medium vulnerability (grype) and an info misconfiguration (trivy)
    finding("grype", "gr-0402", "2024-04-02 00:00", "web-2", "CVE-2024-3333", "zlib", "vulnerability", "medium", 5.3),
    finding("trivy", "t-0402", "2024-04-02 00:00", "web-2", "AVD-KSV-0001", "deployment/web", "misconfiguration", "info"),
]

RAW_ROWS: dict[str, list[dict]] = {"findings": FINDINGS}
