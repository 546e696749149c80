"""The raw rows the dbt tests build from (timestamps in UTC unless an offset says otherwise).

as_of = 2024-05-15 12:00 UTC. Security incidents detected in March 2024:

| id     | sev | geo     | occurred    | detected    | resolved          | notes                          |
|--------|-----|---------|-------------|-------------|-------------------|--------------------------------|
| INC-1  | P1  | EMEA    | 03-01 00:00 | 03-01 01:00 | 03-01 03:00       | change CHG-1                   |
| INC-2  | P2  | AMER    | 03-05 10:00 | 03-05 12:00 | 03-05 18:00       | merged from two exports        |
| INC-3  | P1  | APAC    | 03-10 00:00 | 03-10 04:00 | 03-11 00:00       |                                |
| INC-4  | P3  | UNKNOWN | (blank)     | 03-15 00:00 | 03-15 10:00       | blank occurred_at, geography   |
| INC-5  | P2  | EMEA    | 03-20 00:00 | 03-20 03:00 | (open)            | change CHG-2                   |
| INC-9  | P4  | APAC    | 03-27 22:00 | 03-28 00:00 | 06-01 (> as_of)   | lower-case enumerations        |
| INC-6  | P1  | AMER    | 03-26 00:00 | 03-25 00:00 |                   | excluded: detected < occurred  |
| INC-7  | P2  | AMER    | 03-22 00:00 | 03-22 02:00 | 03-22 01:00       | excluded: resolved < detected  |
| INC-8  | P1  | AMER    | availability incident: not in the security population          |
Also: INC-10 detected 05-20 (after as_of), INC-11 an April availability incident,
INC-12 in a withdrawn export (April), so April and May have no security incident.

INC-2 is in two exports: export_b.csv (newest timestamp 03-11 00:00) says P4, AMER,
occurred 10:00, no resolution; export_a.csv (newest timestamp 06-01 00:00, from INC-9)
says P2, blank geography, blank occurred_at, resolved 18:00. Merged: P2 (both set, the
newer export wins despite its earlier name), AMER and occurred 10:00 (set beats blank),
resolved 18:00. The withdrawn export would make it P3 if it were used.

Other families (coverage): iam snapshot 2023-12-31 23:30-05:00 = 2024-01-01 04:30 UTC
(January); scanner scan 02-10 and certificate 03-01; training phishing 02-20 and an
assignment due 04-30; backup job 03-03. Ignored: a withdrawn backup job in 2023-10,
an identity snapshot 2024-06-01 and a scan 2024-07-01 (after as_of).
"""

from __future__ import annotations

from datetime import datetime, timezone

AS_OF = "2024-05-15T12:00:00Z"

UTC = timezone.utc


def ts(text: str | None) -> datetime | None:
    """'2024-03-01 00:00' in UTC, or with an explicit offset."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def incident(incident_id, category, severity, geography, occurred, detected, resolved=None,
             change_id=None, source_file="incident/export_a.csv", **extra):
    return {
        "incident_id": incident_id,
        "title": f"{incident_id} title",
        "category": category,
        "severity": severity,
        "service": "svc",
        "geography": geography,
        "occurred_at": ts(occurred),
        "detected_at": ts(detected),
        "acknowledged_at": None,
        "resolved_at": ts(resolved),
        "change_id": change_id,
        "root_cause_category": extra.pop("root_cause_category", None),
        "_source_file": source_file,
        **extra,
    }


B = "incident/export_b.csv"
A = "incident/export_a.csv"
W = "incident/export_withdrawn.csv"

INCIDENTS = [
    # export_b.csv: newest timestamp 2024-03-11 00:00 (INC-3 resolved)
    incident("INC-1", "security", "P1", "emea", "2024-03-01 00:00", "2024-03-01 01:00",
             "2024-03-01 03:00", change_id="CHG-1", source_file=B, root_cause_category="Process"),
    incident("INC-2", "Security", "p4", "AMER", "2024-03-05 10:00", "2024-03-05 12:00",
             None, source_file=B),
    incident("INC-3", "security", "P1", "APAC", "2024-03-10 00:00", "2024-03-10 04:00",
             "2024-03-11 00:00", source_file=B),
    # export_a.csv: newest timestamp 2024-06-01 00:00 (INC-9 resolved)
    incident("INC-2", "security", "P2", None, None, "2024-03-05 12:00", "2024-03-05 18:00"),
    incident("INC-4", "security", "P3", None, None, "2024-03-15 00:00", "2024-03-15 10:00"),
    incident("INC-5", "security", "P2", "EMEA", "2024-03-20 00:00", "2024-03-20 03:00",
             None, change_id="CHG-2"),
    incident("INC-6", "security", "P1", "AMER", "2024-03-26 00:00", "2024-03-25 00:00",
             "2024-03-26 06:00"),
    incident("INC-7", "security", "P2", "AMER", "2024-03-22 00:00", "2024-03-22 02:00",
             "2024-03-22 01:00"),
    incident("INC-8", "availability", "P1", "AMER", "2024-03-12 00:00", "2024-03-12 00:30",
             "2024-03-12 05:00"),
    incident("INC-9", "Security", "p4", "apac", "2024-03-27 22:00", "2024-03-28 00:00",
             "2024-06-01 00:00"),
    incident("INC-10", "security", "P3", "EMEA", "2024-05-19 00:00", "2024-05-20 00:00"),
    incident("INC-11", "availability", "P2", "EMEA", "2024-04-10 00:00", "2024-04-10 01:00",
             "2024-04-10 02:00"),
    # a withdrawn export: ignored entirely
    incident("INC-12", "security", "P1", "EMEA", "2024-04-05 00:00", "2024-04-05 00:10",
             None, source_file=W, _withdrawn=True),
    incident("INC-2", "security", "P3", "APAC", "2024-03-05 09:00", "2024-03-05 12:00",
             "2024-07-01 00:00", source_file=W, _withdrawn=True),
]

RAW_ROWS: dict[str, list[dict]] = {
    "incidents": INCIDENTS,
    "identities": [
        # 2023-12-31 23:30 at UTC-5 is 2024-01-01 04:30 UTC: January, not December
        {"snapshot_at": ts("2023-12-31 23:30:00-05:00"), "user_id": "u1", "email": "u1@example.com",
         "status": "Active", "is_privileged": True, "mfa_enabled": None, "country": "de",
         "geography": None, "_source_file": "iam/users_2024-01.csv"},
        {"snapshot_at": ts("2024-06-01 00:00"), "user_id": "u1", "email": "u1@example.com",
         "status": "active", "is_privileged": True, "mfa_enabled": True, "country": "DE",
         "geography": "emea", "_source_file": "iam/users_2024-06.csv"},
    ],
    "findings": [
        {"scan_id": "s1", "scanned_at": ts("2024-02-10 10:00"), "scanner": "trivy", "asset_id": "a1",
         "asset_environment": "Production", "vulnerability_id": "CVE-2024-0001", "severity": "Moderate",
         "cvss_score": 5.0, "package": "openssl"},
        {"scan_id": "s2", "scanned_at": ts("2024-07-01 10:00"), "scanner": "trivy", "asset_id": "a1",
         "vulnerability_id": None, "severity": None, "cvss_score": None},
        {"scan_id": "s1", "scanned_at": ts("2024-02-10 10:00"), "scanner": "trivy", "asset_id": "a2",
         "vulnerability_id": "CVE-2024-0002", "severity": None, "cvss_score": 9.8},
    ],
    "certificates": [
        {"observed_at": ts("2024-03-01 00:00"), "asset_id": "a1", "asset_environment": "production",
         "subject": "CN=a1", "serial": "01", "not_before": ts("2023-03-01 00:00"),
         "not_after": ts("2025-03-01 00:00")},
    ],
    "phishing_results": [
        {"campaign_id": "c1", "user_id": "u1", "sent_at": ts("2024-02-20 09:00"), "delivered": None,
         "clicked_at": None, "reported_at": None, "country": None},
    ],
    "assignments": [
        {"assignment_id": "as1", "user_id": "u1", "course": "Security 101", "required": True,
         "assigned_at": ts("2024-04-01 00:00"), "due_at": ts("2024-04-30 00:00"), "completed_at": None},
    ],
    "backup_jobs": [
        {"job_id": "j1", "system_id": "db1", "job_type": "Backup", "started_at": ts("2024-03-03 01:00"),
         "completed_at": ts("2024-03-03 02:00"), "status": "SUCCEEDED", "encrypted": None},
        {"job_id": "j0", "system_id": "db1", "job_type": "backup", "started_at": ts("2023-10-05 01:00"),
         "completed_at": ts("2023-10-05 02:00"), "status": "succeeded", "encrypted": True,
         "_source_file": "backup/withdrawn.json", "_withdrawn": True},
    ],
    "access_reviews": [
        {"review_id": "r1", "item_id": "i1", "user_id": "u1", "reviewer_id": "m1",
         "due_at": ts("2024-03-31 00:00"), "decided_at": None, "decision": None},
    ],
}

