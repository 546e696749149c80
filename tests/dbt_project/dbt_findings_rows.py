"""Raw finding rows for the finding-lifecycle tests (timestamps UTC unless an offset says otherwise).

as_of = 2024-05-15 12:00 UTC. Regular maintenance window (default config): the first
Saturday of each month, 02:00-06:00 UTC: 2024-03-02, 2024-04-06, 2024-05-04, ...

| asset  | scanner | key (vulnerability, package)  | scans (x = key present, c = clean row, f = row with fixed_at)        |
|--------|---------|-------------------------------|-----------------------------------------------------------------------|
| web-1  | trivy   | CVE-2024-1000 critical openssl | 03-04 10:00 x (exploited), 03-05 09:00 c, 03-11 10:00 x, 03-12 12:00 c |
| web-1  | grype   | CVE-2024-1000 critical openssl | 03-05 09:30 x                                                        |
| db-1   | trivy   | CVE-2024-2000 high postgresql  | 03-01 08:00 x, 03-08 09:00 f (fixed_at 03-08 08:00), 03-15 08:00 x (exploited) |
| app-1  | trivy   | CVE-2024-3000 moderate (blank) | 04-01 00:00 x, 04-10 00:00 c                                         |
| app-1  | grype   | -                              | 04-02 00:00 c (another scanner's clean scan)                          |
| edge-1 | trivy   | CVE-2024-4000 critical libxml2 | 2024-03-31 23:30-02:00 (= 04-01 01:30 UTC) x                          |
| mw-1   | trivy   | CVE-2024-5000 medium nginx     | 03-02 03:00 x (inside the March window)                               |
| mw-2   | trivy   | CVE-2024-5001 low zlib         | 03-02 01:59 x, 03-02 06:00 c (just before the window; fixed at its end) |
| mw-3   | trivy   | CVE-2024-5002 medium curl      | 03-02 02:00 x (exactly at the window start)                           |
| late-1 | trivy   | CVE-2024-6000 high glibc       | 05-10 x, 05-14 x with fixed_at 05-16 (> as_of), 05-20 (> as_of): CVE-2024-6001 only |
| info-1 | trivy   | CVE-2024-7000 info (blank)     | 03-20 00:00 x                                                        |
"""

from __future__ import annotations

from dbt_fixture_rows import ts

AS_OF = "2024-05-15T12:00:00Z"

CATALOGUE = {
    # vulnerability_id: (title, severity as exported, cvss_score, package)
    "CVE-2024-1000": ("openssl overflow", "critical", 9.8, "openssl"),
    "CVE-2024-2000": ("postgres injection", "High", 8.1, "postgresql"),
    "CVE-2024-3000": ("kernel info leak", "moderate", 5.5, None),
    "CVE-2024-4000": ("libxml2 use after free", None, 9.1, "libxml2"),
    "CVE-2024-5000": ("nginx smuggling", "medium", 6.5, "nginx"),
    "CVE-2024-5001": ("zlib read", "low", 3.1, "zlib"),
    "CVE-2024-5002": ("curl redirect", "medium", 5.0, "curl"),
    "CVE-2024-6000": ("glibc overflow", "high", 7.8, "glibc"),
    "CVE-2024-6001": ("glibc leak", "high", 7.5, "glibc"),
    "CVE-2024-7000": ("banner disclosure", "informational", None, None),
}

ENVIRONMENTS = {"web-1": "production", "db-1": "Staging", "app-1": "development", "edge-1": "production",
                "mw-1": "production", "mw-2": "production", "mw-3": "production", "late-1": None,
                "info-1": None}


def finding(scanner, scan_id, scanned_at, asset_id, vulnerability_id=None, exploited=None,
            fixed_at=None, severity=None, cvss_score=None):
    """One raw finding row; vulnerability_id None is a clean-scan row."""
    title, cat_severity, cat_cvss, package = CATALOGUE.get(vulnerability_id, (None, None, None, None))
    return {
        "scan_id": scan_id,
        "scanned_at": ts(scanned_at),
        "scanner": scanner,
        "asset_id": asset_id,
        "asset_environment": ENVIRONMENTS[asset_id],
        "vulnerability_id": vulnerability_id,
        "title": title,
        "severity": severity or cat_severity,
        "cvss_score": cvss_score if cvss_score is not None else cat_cvss,
        "exploited_in_wild": exploited,
        "package": package,
        "fixed_at": ts(fixed_at),
        "_source_file": f"scanner/findings_{scanner}_{scan_id}.csv",
    }


FINDINGS = [
    # web-1 / trivy: a critical fixed by a clean rescan, then reopened (a new instance)
    finding("trivy", "t-0304", "2024-03-04 10:00", "web-1", "CVE-2024-1000", exploited=True),
    finding("trivy", "t-0305", "2024-03-05 09:00", "web-1"),
    finding("trivy", "t-0311", "2024-03-11 10:00", "web-1", "CVE-2024-1000", cvss_score=9.1),
    finding("trivy", "t-0312", "2024-03-12 12:00", "web-1"),
    # web-1 / grype: the same vulnerability is another key for another scanner
    finding("grype", "g-0305", "2024-03-05 09:30", "web-1", "CVE-2024-1000", exploited=False),
    # db-1 / trivy: the fix reported with fixed_at = due_at, then the key is back
    finding("trivy", "t-0301", "2024-03-01 08:00", "db-1", "CVE-2024-2000", exploited=False),
    finding("trivy", "t-0308", "2024-03-08 09:00", "db-1", "CVE-2024-2000", fixed_at="2024-03-08 08:00"),
    finding("trivy", "t-0315", "2024-03-15 08:00", "db-1", "CVE-2024-2000", exploited=True),
    # app-1: a trivy finding with a blank package; grype's clean scan does not close it,
    # trivy's clean rescan does
    finding("trivy", "t-0401", "2024-04-01 00:00", "app-1", "CVE-2024-3000"),
    finding("grype", "g-0402", "2024-04-02 00:00", "app-1"),
    finding("trivy", "t-0410", "2024-04-10 00:00", "app-1"),
    # edge-1: 23:30 on March 31 at UTC-2 is 01:30 on April 1 UTC
    finding("trivy", "t-0331", "2024-03-31 23:30:00-02:00", "edge-1", "CVE-2024-4000"),
    # maintenance windows: first Saturday of March = 2024-03-02, window 02:00-06:00
    finding("trivy", "t-0302a", "2024-03-02 03:00", "mw-1", "CVE-2024-5000"),
    finding("trivy", "t-0302b", "2024-03-02 01:59", "mw-2", "CVE-2024-5001"),
    finding("trivy", "t-0302c", "2024-03-02 06:00", "mw-2"),
    finding("trivy", "t-0302d", "2024-03-02 02:00", "mw-3", "CVE-2024-5002"),
    # late-1: a fix reported for after as_of has not happened; scans after as_of are ignored
    finding("trivy", "t-0510", "2024-05-10 00:00", "late-1", "CVE-2024-6000"),
    finding("trivy", "t-0514", "2024-05-14 00:00", "late-1", "CVE-2024-6000", fixed_at="2024-05-16 00:00"),
    finding("trivy", "t-0520", "2024-05-20 00:00", "late-1", "CVE-2024-6001"),
    # info-1: info has no window
    finding("trivy", "t-0320", "2024-03-20 00:00", "info-1", "CVE-2024-7000"),
]

RAW_ROWS: dict[str, list[dict]] = {"findings": FINDINGS}
