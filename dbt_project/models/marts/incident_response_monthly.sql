{#-
  Incident response (METRICS.md "Incident response"): MTTD / MTTR of the
  security incidents detected in each month, judged at as_of.

  Population: valid (int_incidents_valid) security incidents with detected_at in
  the month and <= as_of. MTTD = detected_at - occurred_at over those with an
  occurred_at; MTTR = resolved_at - detected_at over those resolved by as_of,
  whenever resolved. Rows: the ('ALL', 'ALL') row of every month of the spine,
  plus every non-empty combination of severity (ALL, P1..P4) x geography
  (ALL, AMER, EMEA, APAC, UNKNOWN).
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

),

population as (

    select
        incidents.detected_month as month,
        case when incidents.severity in ('P1', 'P2', 'P3', 'P4') then incidents.severity end as severity,
        incidents.geography,
        incidents.hours_to_detect,
        incidents.hours_to_resolve,
        incidents.is_resolved,
        incidents.is_change_induced
    from {{ ref('int_incidents_valid') }} as incidents
    inner join spine
        on incidents.detected_month = spine.month
    where incidents.is_security
        and incidents.detected_at <= {{ as_of() }}

),

aggregated as (

    select
        month,
        case when grouping(severity) = 1 then 'ALL' else severity end as severity,
        case when grouping(geography) = 1 then 'ALL' else geography end as geography,
        grouping(severity) = 0 and severity is null as is_unclassified_severity,
        count(*) as incidents,
        avg(hours_to_detect) as mttd_hours,
        quantile_cont(hours_to_detect, 0.5) as mttd_median_hours,
        quantile_cont(hours_to_detect, 0.9) as mttd_p90_hours,
        avg(hours_to_resolve) as mttr_hours,
        quantile_cont(hours_to_resolve, 0.5) as mttr_median_hours,
        quantile_cont(hours_to_resolve, 0.9) as mttr_p90_hours,
        count(*) filter (where is_resolved) as resolved_incidents,
        count(*) filter (where is_change_induced) as change_induced_incidents
    from population
    group by grouping sets (
        (month),
        (month, severity),
        (month, geography),
        (month, severity, geography)
    )

),

all_all as (

    -- every month of the spine has its (ALL, ALL) row, empty months included
    select
        spine.month,
        'ALL' as severity,
        'ALL' as geography,
        coalesce(aggregated.incidents, 0) as incidents,
        aggregated.mttd_hours,
        aggregated.mttd_median_hours,
        aggregated.mttd_p90_hours,
        aggregated.mttr_hours,
        aggregated.mttr_median_hours,
        aggregated.mttr_p90_hours,
        coalesce(aggregated.resolved_incidents, 0) as resolved_incidents,
        coalesce(aggregated.change_induced_incidents, 0) as change_induced_incidents
    from spine
    left join aggregated
        on aggregated.month = spine.month
        and aggregated.severity = 'ALL'
        and aggregated.geography = 'ALL'

),

combinations as (

    -- non-empty severity x geography combinations (an incident whose severity is
    -- not P1..P4 counts in the ALL severity rows only)
    select
        month,
        severity,
        geography,
        incidents,
        mttd_hours,
        mttd_median_hours,
        mttd_p90_hours,
        mttr_hours,
        mttr_median_hours,
        mttr_p90_hours,
        resolved_incidents,
        change_induced_incidents
    from aggregated
    where not (severity = 'ALL' and geography = 'ALL')
        and not is_unclassified_severity

),

final as (

    select
        month,
        severity,
        geography,
        cast(incidents as bigint) as incidents,
        cast(mttd_hours as double) as mttd_hours,
        cast(mttd_median_hours as double) as mttd_median_hours,
        cast(mttd_p90_hours as double) as mttd_p90_hours,
        cast(mttr_hours as double) as mttr_hours,
        cast(mttr_median_hours as double) as mttr_median_hours,
        cast(mttr_p90_hours as double) as mttr_p90_hours,
        cast(resolved_incidents as bigint) as resolved_incidents,
        cast(change_induced_incidents as bigint) as change_induced_incidents,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from (
        select * from all_all
        union all
        select * from combinations
    ) as rows_
    order by month, severity, geography

)

select * from final
where {{ in_partition('month') }}
