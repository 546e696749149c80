{#-
  Data quality of the source records per month (METRICS.md "Further tables":
  metrics.data_quality_monthly; "Conventions": records that violate an operational
  definition are excluded from the metrics and counted by the data-quality checks).

  Grain: one row per month of int_month_spine x canonical entity (family, raw table):
  scanner/findings, scanner/certificates, iam/identities, iam/access_reviews,
  training/assignments, training/phishing_results, backup/backup_jobs,
  incident/incidents. Records come from the staging and intermediate models only
  (withdrawn exports are already gone), event entities after their merge by natural
  key. A record counts in the month of its coverage / event time, when that time is
  <= as_of (evidence after as_of is ignored):

    findings           scanned_at (every row, clean-scan rows included)
    certificates       observed_at (every row)
    identities         snapshot_at (every row, as int_identity_snapshots reads them)
    access_reviews     due_at, else decided_at (merged items)
    assignments        due_at, else assigned_at, else completed_at (merged)
    phishing_results   sent_at (every row: e-mails are never merged)
    backup_jobs        started_at (merged)
    incidents          occurred_at, else detected_at, detected by as_of (merged; as
                       int_family_coverage_months counts incident evidence)

  A record without any of its placing times has no month and is not counted.

  Scores, each a fraction in [0, 1] over the month's records a rule applies to; NULL
  when the entity has no record in the month or no rule applies:

  - completeness: the fields the metrics need are present. findings: severity or
    cvss_score (a clean-scan row, without vulnerability_id, needs neither);
    certificates: not_after and asset_environment; identities: geography resolved to
    AMER/EMEA/APAC (int_identity_snapshots: given, else the country's); access_reviews:
    due_at; assignments: due_at and required (as exported, before the false default);
    backup_jobs: status and encrypted; incidents: occurred_at and detected_at.
    phishing_results: NULL, not measurable here: staging replaces a blank `delivered`
    by false (METRICS.md "Blank booleans") and keeps no as-exported copy.
  - validity: the record does not break an operational definition. The verdicts of
    the judging intermediate models are reused: incidents int_incidents_excluded
    (detected before occurred, resolved before detected); assignments
    int_training_assignments_due (completed before assigned; judged only there:
    required assignments due by as_of); phishing_results int_phishing_emails_sent
    (clicked or reported before sent); findings: the rows that reported the fix of an
    instance int_finding_instances flags (fixed_before_last_seen). Rules without a
    judging model are written here: findings cvss_score outside [0, 10] or a severity
    word outside the vocabulary and vendor words (staging severity_from_cvss with a
    non-blank severity); certificates not_after < not_before; backup_jobs
    completed_at < started_at, a job_type outside backup/restore_test/dr_test (blank
    included) or a status word outside succeeded/failed/partial/running (blank status
    is a completeness gap). identities and access_reviews: no rule (NULL).
  - uniqueness: 1 - duplicate records / records, a duplicate being a row beyond the
    first of its key: findings (scanner, scan_id, asset_id, scanned_at,
    vulnerability_id, package) (a scan is one scan_id of one asset at one scanned_at;
    blank values equal themselves); certificates and identities: the rows their
    snapshot models reduce (int_certificate_snapshot_counts.duplicate_rows_reduced,
    int_identity_snapshots.duplicate_rows: key (observed_at, asset_id, serial,
    subject) and (directory, snapshot_at, user_id)). Merged event entities hold one
    record per natural key, so 1.0 by construction. phishing_results: no key (a
    campaign may send one person several e-mails), NULL.
  - timeliness: none of the record's own event timestamps is after the time it was
    loaded (_loaded_at; a merged record's latest load). Deadlines and validity
    bounds (due_at, not_before, not_after) are not event times and not compared.
    Event times: findings scanned_at, fixed_at; certificates observed_at;
    identities snapshot_at, terminated_at, disabled_at; access_reviews decided_at;
    assignments assigned_at, completed_at; phishing_results sent_at, clicked_at,
    reported_at; backup_jobs started_at, completed_at; incidents occurred_at,
    detected_at, acknowledged_at, resolved_at. Freshness against the family's
    cadence (owners.yaml) is a per-run check, not a monthly score.
  - consistency (assignments, phishing_results only): the person is found in some
    identity snapshot (user_id, else e-mail, case-insensitively; METRICS.md "People"):
    int_training_people_geography.person_in_directory, i.e. over the events it
    places (required assignments due by as_of; e-mails sent by as_of). NULL for the
    other entities.

  status: no_data when the entity has no record in the month; else pass when every
  non-NULL score is >= var data_quality_min_score (default 0.98), warn when one is
  below it but all are >= var data_quality_fail_score (default 0.9), else fail.
  Beside the scores, the row keeps the counts they come from (records and the
  records failing each rule; NULL where the score is NULL).
-#}

{%- set min_score = var('data_quality_min_score', 0.98) -%}
{%- set fail_score = var('data_quality_fail_score', 0.9) -%}
{%- for name, value in [('data_quality_min_score', min_score), ('data_quality_fail_score', fail_score)] -%}
    {%- if value is none or value is string or value is boolean or not (value is number)
            or value < 0 or value > 1 -%}
        {{- exceptions.raise_compiler_error("var " ~ name ~ " must be a number in [0, 1], got " ~ value) -}}
    {%- endif -%}
{%- endfor -%}
{%- if fail_score > min_score -%}
    {{- exceptions.raise_compiler_error(
        "var data_quality_fail_score (" ~ fail_score ~ ") must not exceed data_quality_min_score (" ~ min_score ~ ")") -}}
{%- endif %}

with spine as (

    select month from {{ ref('int_month_spine') }}

),

entities as (

    select family, entity
    from (
        values
            ('scanner', 'findings'),
            ('scanner', 'certificates'),
            ('iam', 'identities'),
            ('iam', 'access_reviews'),
            ('training', 'assignments'),
            ('training', 'phishing_results'),
            ('backup', 'backup_jobs'),
            ('incident', 'incidents')
    ) as entities_(family, entity)

),

-- ---- findings --------------------------------------------------------------------

findings as (

    select *
    from {{ ref('stg_scanner__findings') }}
    where scanned_at <= {{ as_of() }}

),

flagged_finding_instances as (

    select scanner, asset_id, vulnerability_id, package, first_seen_at, fixed_at
    from {{ ref('int_finding_instances') }}
    where exclusion_reason is not null

),

finding_fix_contradictions as (

    -- the rows that reported the contradicting fix of a flagged instance: its key, its
    -- fixed_at, scanned at or after its first sighting
    select distinct
        findings._source_file,
        findings._source_sha256,
        findings._source_row
    from findings
    inner join flagged_finding_instances as flagged
        on findings.scanner = flagged.scanner
        and findings.asset_id = flagged.asset_id
        and findings.vulnerability_id = flagged.vulnerability_id
        and findings.package is not distinct from flagged.package
        and findings.fixed_at = flagged.fixed_at
        and findings.scanned_at >= flagged.first_seen_at

),

finding_records as (

    select
        'findings' as entity,
        {{ month_of('findings.scanned_at') }} as month,
        findings.vulnerability_id is null
            or nullif(trim(findings.severity_reported), '') is not null
            or findings.cvss_score is not null as is_complete,
        not (
            coalesce(findings.cvss_score < 0 or findings.cvss_score > 10, false)
            or (nullif(trim(findings.severity_reported), '') is not null and findings.severity_from_cvss)
            or contradictions._source_row is not null
        ) as is_valid,
        row_number() over (
            partition by
                findings.scanner, findings.scan_id, findings.asset_id, findings.scanned_at,
                findings.vulnerability_id, findings.package
        ) > 1 as is_duplicate,
        case
            when findings._loaded_at is not null
                then coalesce(greatest(findings.scanned_at, findings.fixed_at) <= findings._loaded_at, true)
        end as is_timely,
        cast(null as boolean) as is_consistent
    from findings
    left join finding_fix_contradictions as contradictions
        on findings._source_file is not distinct from contradictions._source_file
        and findings._source_sha256 is not distinct from contradictions._source_sha256
        and findings._source_row is not distinct from contradictions._source_row

),

-- ---- certificates ----------------------------------------------------------------

certificate_records as (

    select
        'certificates' as entity,
        {{ month_of('observed_at') }} as month,
        not_after is not null and asset_environment is not null as is_complete,
        not coalesce(not_after < not_before, false) as is_valid,
        -- duplicates: int_certificate_snapshot_counts (snapshot_duplicates below)
        cast(null as boolean) as is_duplicate,
        case when _loaded_at is not null then observed_at <= _loaded_at end as is_timely,
        cast(null as boolean) as is_consistent
    from {{ ref('stg_scanner__certificates') }}
    where observed_at <= {{ as_of() }}

),

-- ---- identities ------------------------------------------------------------------

identity_accounts as (

    select * from {{ ref('int_identity_snapshots') }}

),

identity_records as (

    -- every row int_identity_snapshots reads (at or before as_of, with a user_id); its
    -- completeness is the geography the snapshot model resolved for that account
    select
        'identities' as entity,
        {{ month_of('identities.snapshot_at') }} as month,
        coalesce(accounts.geography in ('AMER', 'EMEA', 'APAC'), false) as is_complete,
        cast(null as boolean) as is_valid,
        -- duplicates: int_identity_snapshots.duplicate_rows (snapshot_duplicates below)
        cast(null as boolean) as is_duplicate,
        case
            when identities._loaded_at is not null then coalesce(
                greatest(identities.snapshot_at, identities.terminated_at, identities.disabled_at)
                    <= identities._loaded_at,
                true)
        end as is_timely,
        cast(null as boolean) as is_consistent
    from {{ ref('stg_iam__identities') }} as identities
    left join identity_accounts as accounts
        -- the directory of int_identity_snapshots: the export format
        on accounts.directory = coalesce(identities._format, 'unknown')
        and accounts.snapshot_at = identities.snapshot_at
        and accounts.user_id = identities.user_id
    where identities.snapshot_at <= {{ as_of() }}
        and identities.user_id is not null

),

-- ---- access-review items ---------------------------------------------------------

access_review_records as (

    select
        'access_reviews' as entity,
        {{ month_of('coalesce(due_at, decided_at)') }} as month,
        due_at is not null as is_complete,
        cast(null as boolean) as is_valid,
        false as is_duplicate,
        case when _loaded_at is not null then coalesce(decided_at <= _loaded_at, true) end as is_timely,
        cast(null as boolean) as is_consistent
    from {{ ref('int_access_review_items_merged') }}
    where coalesce(due_at, decided_at) <= {{ as_of() }}

),

-- ---- training --------------------------------------------------------------------

training_people as (

    select event_type, event_id, person_in_directory
    from {{ ref('int_training_people_geography') }}

),

assignment_records as (

    select
        'assignments' as entity,
        {{ month_of('coalesce(assignments.due_at, assignments.assigned_at, assignments.completed_at)') }} as month,
        assignments.due_at is not null and assignments.required_reported is not null as is_complete,
        case when judged.assignment_id is not null then judged.exclusion_reason is null end as is_valid,
        false as is_duplicate,
        case
            when assignments._loaded_at is not null then coalesce(
                greatest(assignments.assigned_at, assignments.completed_at) <= assignments._loaded_at,
                true)
        end as is_timely,
        people.person_in_directory as is_consistent
    from {{ ref('int_assignments_merged') }} as assignments
    left join {{ ref('int_training_assignments_due') }} as judged
        on judged.assignment_id = assignments.assignment_id
    left join training_people as people
        on people.event_type = 'assignment'
        and people.event_id = assignments.assignment_id
    where coalesce(assignments.due_at, assignments.assigned_at, assignments.completed_at) <= {{ as_of() }}

),

phishing_records as (

    select
        'phishing_results' as entity,
        {{ month_of('phishing.sent_at') }} as month,
        -- blank `delivered` is already false in staging: not measurable (see header)
        cast(null as boolean) as is_complete,
        case when sent.phishing_email_id is not null then sent.exclusion_reason is null end as is_valid,
        cast(null as boolean) as is_duplicate,
        case
            when phishing._loaded_at is not null then coalesce(
                greatest(phishing.sent_at, phishing.clicked_at, phishing.reported_at) <= phishing._loaded_at,
                true)
        end as is_timely,
        people.person_in_directory as is_consistent
    from {{ ref('stg_training__phishing_results') }} as phishing
    left join {{ ref('int_phishing_emails_sent') }} as sent
        on sent._source_file is not distinct from phishing._source_file
        and sent._source_sha256 is not distinct from phishing._source_sha256
        and sent._source_row is not distinct from phishing._source_row
    left join training_people as people
        on people.event_type = 'phishing'
        and people.event_id = sent.phishing_email_id
    where phishing.sent_at <= {{ as_of() }}

),

-- ---- backup jobs -----------------------------------------------------------------

backup_records as (

    select
        'backup_jobs' as entity,
        {{ month_of('started_at') }} as month,
        status is not null and encrypted is not null as is_complete,
        not (
            coalesce(completed_at < started_at, false)
            or coalesce(job_type not in ('backup', 'restore_test', 'dr_test'), true)
            or coalesce(status not in ('succeeded', 'failed', 'partial', 'running'), false)
        ) as is_valid,
        false as is_duplicate,
        case
            when _loaded_at is not null
                then coalesce(greatest(started_at, completed_at) <= _loaded_at, true)
        end as is_timely,
        cast(null as boolean) as is_consistent
    from {{ ref('int_backup_jobs_merged') }}
    where started_at <= {{ as_of() }}

),

-- ---- incidents -------------------------------------------------------------------

incident_records as (

    select
        'incidents' as entity,
        {{ month_of('coalesce(incidents.occurred_at, incidents.detected_at)') }} as month,
        incidents.occurred_at is not null and incidents.detected_at is not null as is_complete,
        excluded.incident_id is null as is_valid,
        false as is_duplicate,
        case
            when incidents._loaded_at is not null then coalesce(
                greatest(
                    incidents.occurred_at, incidents.detected_at,
                    incidents.acknowledged_at, incidents.resolved_at
                ) <= incidents._loaded_at,
                true)
        end as is_timely,
        cast(null as boolean) as is_consistent
    from {{ ref('int_incidents_merged') }} as incidents
    left join {{ ref('int_incidents_excluded') }} as excluded
        on excluded.incident_id = incidents.incident_id
    -- an incident not yet detected at as_of is not evidence
    where coalesce(incidents.occurred_at, incidents.detected_at) <= {{ as_of() }}
        and coalesce(incidents.detected_at, incidents.occurred_at) <= {{ as_of() }}

),

-- ---- scores ----------------------------------------------------------------------

records as (

    select * from finding_records
    union all
    select * from certificate_records
    union all
    select * from identity_records
    union all
    select * from access_review_records
    union all
    select * from assignment_records
    union all
    select * from phishing_records
    union all
    select * from backup_records
    union all
    select * from incident_records

),

aggregated as (

    -- a rule applies to the records whose flag is not NULL; counts are NULL when it
    -- applies to none
    select
        entity,
        month,
        count(*) as records,
        count(is_complete) as completeness_judged,
        count(*) filter (where not is_complete) as incomplete_records,
        count(is_valid) as validity_judged,
        count(*) filter (where not is_valid) as invalid_records,
        count(is_duplicate) as uniqueness_judged,
        count(*) filter (where is_duplicate) as duplicate_records,
        count(is_timely) as timeliness_judged,
        count(*) filter (where not is_timely) as future_dated_records,
        count(is_consistent) as consistency_judged,
        count(*) filter (where not is_consistent) as unmatched_person_records
    from records
    group by entity, month

),

snapshot_duplicates as (

    -- rows reduced into an earlier one of the same snapshot key, by the snapshot models
    select
        'certificates' as entity,
        snapshot_month as month,
        sum(duplicate_rows_reduced) as duplicate_records
    from {{ ref('int_certificate_snapshot_counts') }}
    group by snapshot_month

    union all

    select
        'identities' as entity,
        snapshot_month as month,
        sum(duplicate_rows - 1) as duplicate_records
    from identity_accounts
    group by snapshot_month

),

grid as (

    select
        spine.month,
        entities.family,
        entities.entity,
        coalesce(aggregated.records, 0) as records,
        case when aggregated.completeness_judged > 0 then aggregated.incomplete_records end as incomplete_records,
        aggregated.completeness_judged,
        case when aggregated.validity_judged > 0 then aggregated.invalid_records end as invalid_records,
        aggregated.validity_judged,
        case
            when aggregated.uniqueness_judged > 0 then aggregated.duplicate_records
            when aggregated.records > 0 then snapshot_duplicates.duplicate_records
        end as duplicate_records,
        case when aggregated.timeliness_judged > 0 then aggregated.future_dated_records end as future_dated_records,
        aggregated.timeliness_judged,
        case when aggregated.consistency_judged > 0 then aggregated.unmatched_person_records end as unmatched_person_records,
        aggregated.consistency_judged
    from spine
    cross join entities
    left join aggregated
        on aggregated.month = spine.month
        and aggregated.entity = entities.entity
    left join snapshot_duplicates
        on snapshot_duplicates.month = spine.month
        and snapshot_duplicates.entity = entities.entity

),

scored as (

    select
        month,
        family,
        entity,
        -- shares of the records passing each rule (uniqueness = 1 - duplicates / records)
        {{ safe_ratio('completeness_judged - incomplete_records', 'completeness_judged') }} as completeness,
        {{ safe_ratio('validity_judged - invalid_records', 'validity_judged') }} as validity,
        {{ safe_ratio('records - duplicate_records', 'records') }} as uniqueness,
        {{ safe_ratio('timeliness_judged - future_dated_records', 'timeliness_judged') }} as timeliness,
        {{ safe_ratio('consistency_judged - unmatched_person_records', 'consistency_judged') }} as consistency,
        records,
        incomplete_records,
        invalid_records,
        duplicate_records,
        future_dated_records,
        unmatched_person_records
    from grid

),

final as (

    select
        month,
        family,
        entity,
        completeness,
        validity,
        uniqueness,
        timeliness,
        consistency,
        case
            when records = 0 then 'no_data'
            -- least() skips NULL scores; with none at all nothing is below the threshold
            when coalesce(least(completeness, validity, uniqueness, timeliness, consistency)
                    >= cast({{ min_score }} as double), true) then 'pass'
            when least(completeness, validity, uniqueness, timeliness, consistency)
                    >= cast({{ fail_score }} as double) then 'warn'
            else 'fail'
        end as status,
        cast(records as bigint) as records,
        cast(incomplete_records as bigint) as incomplete_records,
        cast(invalid_records as bigint) as invalid_records,
        cast(duplicate_records as bigint) as duplicate_records,
        cast(future_dated_records as bigint) as future_dated_records,
        cast(unmatched_person_records as bigint) as unmatched_person_records,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from scored
    order by month, family, entity

)

select * from final
where {{ in_partition('month') }}
