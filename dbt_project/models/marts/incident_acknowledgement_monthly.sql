{#-
  Incident acknowledgement (METRICS.md "Further tables":
  metrics.incident_acknowledgement_monthly; "Edge rules": Incidents, Instants),
  judged at as_of.

  Population: valid (int_incidents_valid) security incidents with detected_at in the
  month and <= as_of. An incident acknowledged (by as_of) before it was detected
  violates the operational definition: it is left out of the population and counted
  in incidents_excluded (for the data-quality checks). Time to acknowledge (TTA) =
  acknowledged_at - detected_at in minutes; an acknowledgement timestamped after
  as_of has not happened yet. SLA: var incident_ack_sla_minutes (default 15).

    on time   acknowledged by as_of, at or before detected_at + SLA (exactly 15
              minutes is on time)
    late      acknowledged after detected_at + SLA, or not acknowledged by as_of
              once detected_at + SLA <= as_of (at as_of = detected_at + 15 min an
              acknowledgement could only have been on time if it were already
              timestamped, so the incident is judged, as a deadline equal to
              as_of is judged in the other populations)
    pending   not acknowledged by as_of and detected_at + SLA > as_of (detected less
              than 15 minutes before as_of): not yet judged; it counts in
              `incidents` and `incidents_pending` but not in ack_rate's
              denominator (`incidents_judged`), so it can only ever enter the rate
              with its outcome

  ack_rate = acknowledged_within_15m / incidents_judged (NULL when none is judged).
  tta_*_minutes: over the incidents acknowledged by as_of (on time or late),
  continuous quantiles; NULL when none is acknowledged.
  Rows: the 'ALL' row of every month of int_month_spine (0 and NULLs for an empty
  month), plus every geography (AMER, EMEA, APAC, UNKNOWN) with a population.
-#}

{%- set sla_minutes = var('incident_ack_sla_minutes', 15) -%}
{%- if sla_minutes is none or sla_minutes is string or sla_minutes is boolean
        or not (sla_minutes is number) or sla_minutes <= 0 -%}
    {{- exceptions.raise_compiler_error("var incident_ack_sla_minutes must be a number of minutes > 0, got " ~ sla_minutes) -}}
{%- endif -%}
{%- set sla = 'to_microseconds(' ~ ((sla_minutes * 60000000) | round | int) ~ ')' -%}

with spine as (

    select month from {{ ref('int_month_spine') }}

),

detected as (

    select
        incidents.detected_month as month,
        incidents.geography,
        incidents.detected_at,
        -- an acknowledgement after as_of has not happened yet
        case when incidents.acknowledged_at <= {{ as_of() }} then incidents.acknowledged_at end as acknowledged_at
    from {{ ref('int_incidents_valid') }} as incidents
    inner join spine
        on incidents.detected_month = spine.month
    where incidents.is_security
        and incidents.detected_at <= {{ as_of() }}

),

judged as (

    select
        month,
        geography,
        acknowledged_at < detected_at as is_excluded,
        acknowledged_at is not null as is_acknowledged,
        acknowledged_at <= detected_at + {{ sla }} as is_on_time,
        acknowledged_at is not null or detected_at + {{ sla }} <= {{ as_of() }} as is_judged,
        cast(epoch_us(acknowledged_at) - epoch_us(detected_at) as double) / 60000000 as tta_minutes
    from detected

),

population as (

    select
        month,
        geography,
        is_acknowledged,
        coalesce(is_on_time, false) as is_on_time,
        is_judged,
        tta_minutes
    from judged
    where not coalesce(is_excluded, false)

),

excluded as (

    select month, geography, count(*) as incidents_excluded
    from judged
    where coalesce(is_excluded, false)
    group by grouping sets ((month), (month, geography))

),

aggregated as (

    select
        month,
        case when grouping(geography) = 1 then 'ALL' else geography end as geography,
        count(*) as incidents,
        count(*) filter (where is_judged) as incidents_judged,
        count(*) filter (where not is_judged) as incidents_pending,
        count(*) filter (where is_acknowledged) as acknowledged,
        count(*) filter (where is_on_time) as acknowledged_within_15m,
        count(*) filter (where is_acknowledged and not is_on_time) as acknowledged_late,
        count(*) filter (where is_judged and not is_acknowledged) as unacknowledged_late,
        avg(tta_minutes) as tta_mean_minutes,
        quantile_cont(tta_minutes, 0.5) as tta_median_minutes,
        quantile_cont(tta_minutes, 0.9) as tta_p90_minutes
    from population
    group by grouping sets ((month), (month, geography))

),

all_rows as (

    -- every month of the spine has its ALL row, empty months included
    select
        spine.month,
        'ALL' as geography,
        coalesce(aggregated.incidents, 0) as incidents,
        coalesce(aggregated.incidents_judged, 0) as incidents_judged,
        coalesce(aggregated.incidents_pending, 0) as incidents_pending,
        coalesce(aggregated.acknowledged, 0) as acknowledged,
        coalesce(aggregated.acknowledged_within_15m, 0) as acknowledged_within_15m,
        coalesce(aggregated.acknowledged_late, 0) as acknowledged_late,
        coalesce(aggregated.unacknowledged_late, 0) as unacknowledged_late,
        aggregated.tta_mean_minutes,
        aggregated.tta_median_minutes,
        aggregated.tta_p90_minutes
    from spine
    left join aggregated
        on aggregated.month = spine.month
        and aggregated.geography = 'ALL'

),

geography_rows as (

    select
        month,
        geography,
        incidents,
        incidents_judged,
        incidents_pending,
        acknowledged,
        acknowledged_within_15m,
        acknowledged_late,
        unacknowledged_late,
        tta_mean_minutes,
        tta_median_minutes,
        tta_p90_minutes
    from aggregated
    where geography <> 'ALL'

),

final as (

    select
        rows_.month,
        rows_.geography,
        cast(rows_.incidents as bigint) as incidents,
        cast(rows_.acknowledged_within_15m as bigint) as acknowledged_within_15m,
        {{ safe_ratio('rows_.acknowledged_within_15m', 'rows_.incidents_judged') }} as ack_rate,
        cast(rows_.tta_median_minutes as double) as tta_median_minutes,
        cast(rows_.tta_p90_minutes as double) as tta_p90_minutes,
        cast(rows_.tta_mean_minutes as double) as tta_mean_minutes,
        cast(rows_.incidents_judged as bigint) as incidents_judged,
        cast(rows_.incidents_pending as bigint) as incidents_pending,
        cast(rows_.acknowledged as bigint) as acknowledged,
        cast(rows_.acknowledged_late as bigint) as acknowledged_late,
        cast(rows_.unacknowledged_late as bigint) as unacknowledged_late,
        cast(coalesce(excluded.incidents_excluded, 0) as bigint) as incidents_excluded,
        cast({{ sla_minutes }} as double) as ack_sla_minutes,
        {{ period_complete('rows_.month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from (
        select * from all_rows
        union all
        select * from geography_rows
    ) as rows_
    left join excluded
        on excluded.month = rows_.month
        and coalesce(excluded.geography, 'ALL') = rows_.geography
    order by rows_.month, rows_.geography

)

select * from final
where {{ in_partition('month') }}
