{#-
  Which months each source family covers (METRICS.md "Conventions" and "Months"):
  a family covers a month when one of its records has its scan, snapshot,
  observation or event time in that month; the incident family covers every
  month from its earliest incident's month through the month of as_of.
  Evidence after as_of is ignored.
-#}
with evidence as (

    select 'scanner' as family, scanned_at as evidence_at
    from {{ ref('stg_scanner__findings') }}

    union all

    select 'scanner' as family, observed_at as evidence_at
    from {{ ref('stg_scanner__certificates') }}

    union all

    select 'iam' as family, snapshot_at as evidence_at
    from {{ ref('stg_iam__identities') }}

    union all

    select 'backup' as family, started_at as evidence_at
    from {{ ref('int_backup_jobs_merged') }}

    union all

    select 'training' as family, due_at as evidence_at
    from {{ ref('int_assignments_merged') }}

    union all

    select 'training' as family, sent_at as evidence_at
    from {{ ref('stg_training__phishing_results') }}

),

evidence_months as (

    select
        family,
        {{ month_of('evidence_at') }} as month,
        count(*) as evidence_records
    from evidence
    where evidence_at <= {{ as_of() }}
    group by 1, 2

),

incident_evidence as (

    -- an incident's month is that of its occurred_at (its detected_at when
    -- occurred_at is blank); an incident not yet detected at as_of is not evidence
    select
        {{ month_of('coalesce(occurred_at, detected_at)') }} as month
    from {{ ref('int_incidents_merged') }}
    where coalesce(occurred_at, detected_at) <= {{ as_of() }}
        and coalesce(detected_at, occurred_at) <= {{ as_of() }}

),

incident_months as (

    select
        'incident' as family,
        cast(months.month as date) as month,
        (
            select count(*) from incident_evidence
            where incident_evidence.month = cast(months.month as date)
        ) as evidence_records
    from (
        select min(month) as first_month from incident_evidence
    ) as bounds,
    generate_series(
        bounds.first_month,
        {{ month_of(as_of()) }},
        interval 1 month
    ) as months(month)
    where bounds.first_month is not null

),

final as (

    select family, month, evidence_records, {{ as_of() }} as as_of
    from evidence_months

    union all

    select family, month, evidence_records, {{ as_of() }} as as_of
    from incident_months

)

select * from final
