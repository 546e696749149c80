"""Deterministic synthetic landing zone: canonical CSVs for every family (SOURCES.md).

    generate_landing(out, *, months=6, seed=7, scale=1.0, end=None, quirks=True) -> GenerationReport
    python -m ingest.generator --out DIR [--months N] [--seed N] [--scale N] [--end ISO] [--no-quirks]
    (`secops generate` reuses `ingest.generator.cli.add_arguments` / `run`.)

Period and determinism
- `end` defaults to now (UTC) truncated to the minute; a naive `end` is UTC. The data
  covers the `months` calendar months ending with end's month, from the first instant of
  the first month. No event, observation or snapshot time is after `end`: only the
  forward-looking columns in `FORWARD_COLUMNS` (certificate `not_after`, assignment and
  access-review `due_at`) may be, as in a real export taken at `end`.
- Same (months, seed, scale, end, quirks) => byte-identical files. Each family draws from
  its own random stream (numpy SeedSequence of seed + purpose), so families are independent.
- Rows are generated in bulk with numpy/polars (loops run per file, week or month, never per
  row). Scale 1 takes about a second; scale 100 gives ~10 M finding rows (~1.8 GB) in ~20 s.
- Files are written atomically (a hidden `.<name>.tmp-<pid>` then a rename). Files of the
  same name are overwritten; nothing else in `out` is touched or deleted.

Files (header = `Entity.column_names`, UTF-8, `\\n`, blank = unknown, `true`/`false`)
- scanner/findings_<scanner>_<YYYY-MM-DD>.csv  one per weekly scan: `qualys` (Mondays 02:00
  UTC) and `nessus` (Thursdays 20:00 UTC), each scan visiting its assets over 5 hours.
- scanner/certificates_<YYYY-MM-DD>.csv        weekly observation (Tuesdays 03:00 UTC).
- iam/identities_<YYYY-MM-DD>.csv              weekly full directory snapshot (Mondays 06:00).
- iam/access_reviews_<YYYY>-Q<n>.csv           one campaign per quarter (launched day 8).
- training/assignments_<YYYY-MM>.csv           assignments made that month (due the 25th).
- training/phishing_<YYYY-MM>.csv              that month's campaign (sent on the 10th).
- backup/backup_jobs_<YYYY-MM>.csv             jobs started that month (all job types).
- incident/incidents_<YYYY-MM>.csv             incidents that occurred that month.

Populations at scale 1 (scale multiplies each): ~300 people, ~400 assets, 150 certificate
slots, 40 backed-up systems, ~25 incidents a month, a 2,000-entry vulnerability catalogue
(fixed). Six months at scale 1: ~115 k finding rows, ~3.5 k certificate rows, ~7 k identity
rows, ~150 review items, ~1.9 k assignments, ~1.7 k phishing e-mails, ~6.8 k backup jobs,
~150 incidents.

What the metrics get to see
- People in 17 countries over AMER/EMEA/APAC; geography column set on a quarter of them,
  a few with a blank country and an explicit geography, a few with neither (UNKNOWN).
  ~10 % privileged; a few privileged accounts lose MFA for days (some snapshots breach,
  most months meet). ~1.2 %/month terminations: disabled within 24 h mostly, some late
  (1-12 days), some never (still active); disabled_at blank for a quarter of them (derive
  from snapshots); some suspended instead of deprovisioned; some later vanish from the
  directory. A few people are suspended for a while (leave); some are hired mid-period.
- Assets: production/staging/development/blank; some onboarded mid-period; per-asset
  finding rates vary widely, so some hosts get clean-scan rows (blank vulnerability_id).
  Findings: severities critical..info, with capitalised words (qualys), vendor words
  `Important`/`moderate`/`informational` (nessus), blank severity with CVSS only, and a
  couple with neither (-> info); CVSS 0-10; exploited_in_wild true/false/blank; blank
  packages; the same CVE in several packages. Fix delays by severity: criticals mostly
  within hours (so some meet and some miss 24 h), highs days, others weeks or never.
  A fix shows as the key's absence from the next scan, or (most fixes) as a row of the
  next scan carrying fixed_at. ~4 % of fixed keys reappear later (new instances).
- Certificates: 90- or 397-day certificates renewed ahead of expiry, except a few missed
  renewals, so production certificates are expired (not_after < observed_at) in some weeks.
- Access reviews: privileged people plus a sample; decided on time, late, or never.
- Training: a required course a month (8 % of rows not required, plus optional electives),
  completed on time, late, or never; country on some rows, blank on others (directory
  fallback); user_id sometimes the person's e-mail in upper or Title case. Phishing: a
  monthly campaign, ~96 % delivered (some false/blank), ~5 % clicked, ~20 % reported, a
  few people sent two e-mails.
- Backup: daily backups per system (failed, partial, encrypted false for a few systems and
  blank on some rows, `running` when unfinished at `end` and two hung jobs), restore tests
  on a few systems a month except one month with none at all (the middle month,
  `backup.restore_gap_month`), a DR test or two a quarter.
- Incidents: P1-P4, security/availability/other, geography mix incl. blank, detection in
  minutes to hours (P1 mostly < 1 h), acknowledgement mostly < 15 min, resolution hours to
  days, the latest ones still open, some change_id, root causes incl. blank.

Deliberate quirks (`quirks=True`; each is listed in `GenerationReport.notes` as "quirk: ...")
1. One security incident with detected_at 30 min before occurred_at.
2. One bad timestamp: a backup job's completed_at is `not-a-date`.
3. `+02:00` offsets (same instants): three incidents' occurred/detected/acknowledged_at and
   two access-review decided_at values.
4. No offset (UTC wall-clock): three assignment completed_at values and two backup jobs'
   started_at/completed_at.
5. One incident exported twice: in its month's file while open (resolved_at and
   root_cause_category blank) and again in the next month's file resolved (merged
   downstream by incident_id).
6. Two assignment rows with country `XX` (maps to no geography: directory fallback).
7. One backup job with status `running` that nevertheless carries a completed_at.
Quirks need enough data (incident quirks at least 8 incidents; the duplicate export at
least 2 months). With `quirks=False` every timestamp is `...Z` and none of these occur.
"""

from .landing import FORWARD_COLUMNS, GenerationReport, generate_landing

__all__ = ["FORWARD_COLUMNS", "GenerationReport", "generate_landing"]
