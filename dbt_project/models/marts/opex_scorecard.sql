{{ config(unique_key=['metric', 'period', 'period_start']) }}

{#-
  Operational excellence scorecard (METRICS.md "Operational excellence scorecard").
  One row per metric and period; target and comparator from the seed metric_targets
  (by metric_id; training_completion has its own row), status by target_status:

    metric                    period   actual                                              family (coverage)
    slo_compliance            month    security_slo_monthly: SLOs met / SLOs met or        any SLO met or breached
                                       breached (pending and no_data SLOs left out)
    change_induced_incidents  month    incident_response_monthly ALL/ALL change_induced    incident
    mttd_hours                month    incident_response_monthly ALL/ALL mttd_hours        incident
    mttd_hours                week     mean MTTD of the valid security incidents detected  incident
                                       in the ISO week (Monday 00:00 UTC, 7 days), by as_of
    training_completion       quarter  training_quarterly ALL completion_rate              training
    dpmo                      month    dpmo_monthly process 'all' dpmo                     any family
    dr_test_success           quarter  succeeded / finished dr_test jobs started in the    backup
                                       quarter (a running job is not finished)
    runbook_currency          month    NULL (source not connected)                         never: no_data
    global_delivery_audit     month    NULL (source not connected)                         never: no_data

  Periods: every month of int_month_spine; every quarter holding one of them; every ISO
  week that overlaps one of them and has started by as_of. period_complete: the period
  ended at or before as_of (macros/periods.sql). A week or quarter is covered when its
  family covers at least one month the period touches; no_data otherwise (the measured
  actual is kept, as in the monthly marts). An empty population with data present is
  met with a NULL actual, except:
    slo_compliance   with no SLO met or breached: NULL actual, pending in the month in
                     progress, no_data once it is complete
    dr_test_success  no finished DR test in the quarter: breached (no evidence is not
                     met), pending while the quarter is in progress; no_data before the
                     backup family's first DR test (any dr_test job started by as_of,
                     running ones included) and in a quarter the family does not cover

  Incremental key (metric, period, period_start): weeks and quarters start on the same
  day as some months, so period_start alone is not a key. A monthly partition run
  writes the months of the partition, every week that touches one of them and the
  quarters holding them, each recomputed whole from the sources (read whole), so a
  week or quarter shared with a neighbouring partition is replaced, never duplicated.
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

),

coverage as (

    select family, month from {{ ref('int_family_coverage_months') }}

),

targets as (

    select * from {{ ref('metric_targets') }}

),

security_slos as (

    select * from {{ ref('security_slo_monthly') }}

),

incident_response as (

    select * from {{ ref('incident_response_monthly') }}
    where severity = 'ALL'
        and geography = 'ALL'

),

dpmo as (

    select * from {{ ref('dpmo_monthly') }}
    where process = 'all'

),

training as (

    select * from {{ ref('training_quarterly') }}
    where geography = 'ALL'

),

incidents as (

    select * from {{ ref('int_incidents_valid') }}

),

backup_jobs as (

    select * from {{ ref('int_backup_jobs_merged') }}

),

scorecard as (

    -- the scorecard: metric, period, the seed row holding its target, and whose coverage
    -- decides no_data (security_slos: any SLO with data; any: any family; NULL: the
    -- source is not connected, always no_data)
    select * from (values
        ('slo_compliance', 'month', 'slo_compliance', 'security_slos'),
        ('change_induced_incidents', 'month', 'change_induced_incidents', 'incident'),
        ('mttd_hours', 'week', 'mttd_hours', 'incident'),
        ('mttd_hours', 'month', 'mttd_hours', 'incident'),
        ('training_completion', 'quarter', 'training_completion', 'training'),
        ('dpmo', 'month', 'dpmo', 'any'),
        ('dr_test_success', 'quarter', 'dr_test_success', 'backup'),
        ('runbook_currency', 'month', 'runbook_currency', null),
        ('global_delivery_audit', 'month', 'global_delivery_audit', null)
    ) as t(metric, period, target_metric_id, family)

),

months as (

    select
        'month' as period,
        month as period_start,
        month as first_month,
        month as last_month,
        {{ period_complete('month', 'month') }} as period_complete
    from spine

),

weeks as (

    -- ISO weeks (Monday, UTC) overlapping the spine and started by as_of
    select
        'week' as period,
        week_start as period_start,
        cast(date_trunc('month', week_start) as date) as first_month,
        cast(date_trunc('month', week_start + interval 6 day) as date) as last_month,
        {{ period_complete('week_start', 'week') }} as period_complete
    from (
        select cast(series.week_start as date) as week_start
        from (
            select
                min(month) as first_month,
                max(month) as last_month
            from spine
        ) as bounds,
        generate_series(
            cast(date_trunc('week', bounds.first_month) as date),
            cast(date_trunc('week', least(
                cast(bounds.last_month + interval 1 month - interval 1 day as date),
                cast({{ as_of() }} as date)
            )) as date),
            interval 7 day
        ) as series(week_start)
        where bounds.first_month is not null
    ) as week_starts

),

quarters as (

    select distinct
        'quarter' as period,
        cast(date_trunc('quarter', month) as date) as period_start,
        cast(date_trunc('quarter', month) as date) as first_month,
        cast(date_trunc('quarter', month) + interval 2 month as date) as last_month,
        {{ period_complete("cast(date_trunc('quarter', month) as date)", 'quarter') }} as period_complete
    from spine

),

periods as (

    select * from months
    union all
    select * from weeks
    union all
    select * from quarters

),

period_coverage as (

    -- the families that cover a month the period touches
    select distinct
        periods.period,
        periods.period_start,
        coverage.family
    from periods
    inner join coverage
        on coverage.month between periods.first_month and periods.last_month

),

family_coverage as (

    select period, period_start, family from period_coverage
    union
    -- 'any': some family covers a month the period touches
    select period, period_start, 'any' as family from period_coverage

),

slo_compliance as (

    select
        'slo_compliance' as metric,
        'month' as period,
        month as period_start,
        -- pending and no_data SLOs are outside both numerator and denominator
        {{ safe_ratio("count(*) filter (where status = 'met')",
                      "count(*) filter (where status in ('met', 'breached'))") }} as actual,
        count(*) filter (where status in ('met', 'breached')) > 0 as covered
    from security_slos
    group by month

),

incident_months as (

    select
        'change_induced_incidents' as metric,
        'month' as period,
        month as period_start,
        cast(change_induced_incidents as double) as actual
    from incident_response

    union all

    select
        'mttd_hours' as metric,
        'month' as period,
        month as period_start,
        mttd_hours as actual
    from incident_response

),

mttd_weeks as (

    select
        'mttd_hours' as metric,
        'week' as period,
        weeks.period_start,
        avg(incidents.hours_to_detect) as actual
    from weeks
    inner join incidents
        on incidents.detected_at >= cast(weeks.period_start as timestamptz)
        and incidents.detected_at < cast(weeks.period_start + interval 7 day as timestamptz)
    where incidents.is_security
        and incidents.detected_at <= {{ as_of() }}
    group by weeks.period_start

),

training_quarters as (

    select
        'training_completion' as metric,
        'quarter' as period,
        quarter as period_start,
        completion_rate as actual
    from training

),

dpmo_months as (

    select
        'dpmo' as metric,
        'month' as period,
        month as period_start,
        dpmo as actual
    from dpmo

),

dr_test_quarters as (

    select
        'dr_test_success' as metric,
        'quarter' as period,
        cast(date_trunc('quarter', {{ month_of('started_at') }}) as date) as period_start,
        {{ safe_ratio("count(*) filter (where status = 'succeeded')", 'count(*)') }} as actual
    from backup_jobs
    where job_type = 'dr_test'
        and {{ is_finished_job() }}
    group by 3

),

first_dr_test as (

    -- the backup family's first DR test known at as_of (finished or not): before it, no_data
    select min(started_at) as first_dr_test_at
    from backup_jobs
    where job_type = 'dr_test'
        and started_at <= {{ as_of() }}

),

measured as (

    select metric, period, period_start, actual from slo_compliance
    union all select * from incident_months
    union all select * from mttd_weeks
    union all select * from training_quarters
    union all select * from dpmo_months
    union all select * from dr_test_quarters

),

joined as (

    select
        scorecard.metric,
        scorecard.period,
        periods.period_start,
        targets.target,
        targets.comparator,
        -- a source that is not connected has nothing measured
        case when scorecard.family is not null then measured.actual end as actual,
        case
            when scorecard.family is null then false
            when scorecard.family = 'security_slos' then coalesce(slo_compliance.covered, false)
            else family_coverage.family is not null
        end as covered,
        periods.period_complete,
        case
            -- no SLO met or breached (all pending or no_data, or no SLO row)
            when scorecard.metric = 'slo_compliance' and not coalesce(slo_compliance.covered, false)
                then {{ awaiting_evidence_status('periods.period_complete', once_complete='no_data') }}
            when scorecard.metric = 'dr_test_success' and family_coverage.family is null
                then 'no_data'
            -- the quarter ends before the first DR test (its judging instant is the earlier
            -- of its end and as_of; first_dr_test_at is at or before as_of)
            when scorecard.metric = 'dr_test_success'
                    and coalesce(first_dr_test.first_dr_test_at >= {{ period_end_at('periods.period_start', 'quarter') }}, true)
                then 'no_data'
            -- no finished DR test in the quarter: no evidence is not met
            when scorecard.metric = 'dr_test_success' and measured.actual is null
                then {{ awaiting_evidence_status('periods.period_complete') }}
        end as status_without_evidence
    from scorecard
    inner join periods
        on periods.period = scorecard.period
    inner join targets
        on targets.metric_id = scorecard.target_metric_id
    left join measured
        on measured.metric = scorecard.metric
        and measured.period = scorecard.period
        and measured.period_start = periods.period_start
    left join slo_compliance
        on scorecard.family = 'security_slos'
        and slo_compliance.period_start = periods.period_start
    left join family_coverage
        on family_coverage.period = periods.period
        and family_coverage.period_start = periods.period_start
        and family_coverage.family = scorecard.family
    cross join first_dr_test

),

final as (

    select
        metric,
        period,
        period_start,
        cast(target as double) as target,
        comparator,
        cast(actual as double) as actual,
        coalesce(
            status_without_evidence,
            {{ target_status('actual', 'comparator', 'target', 'covered') }}
        ) as status,
        period_complete,
        {{ as_of() }} as as_of
    from joined
    order by metric, period, period_start

)

select * from final
where
{%- set months = partition_months() %}
{%- if months %}
    case period
        when 'month' then {{ in_partition('period_start') }}
        when 'quarter' then {{ in_partition_quarter('period_start') }}
        -- a week touching a month of the partition (its first or last day in the range)
        else cast(date_trunc('month', period_start) as date) <= cast('{{ months[1] }}' as date)
            and cast(date_trunc('month', period_start + interval 6 day) as date) >= cast('{{ months[0] }}' as date)
    end
{%- else %}
    true
{%- endif %}
