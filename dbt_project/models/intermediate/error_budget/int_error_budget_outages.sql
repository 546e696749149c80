{#-
  Outages of the availability and security_incident error budgets (METRICS.md
  "Error budget", "Incidents"): the UNION of the outage intervals

      [occurred_at, resolved_at when <= as_of, else as_of]

  of the valid (int_incidents_valid) P1/P2 incidents of category availability
  (dimension availability) and security (dimension security_incident). An incident
  with a blank occurred_at or detected_at is outside the unions; an incident not
  yet detected at as_of (hence also one occurring after it) is not used: evidence
  after as_of is ignored; a resolution after as_of has not happened yet, so the
  interval runs to as_of.

  Overlapping and touching intervals are merged into one outage (gaps and islands,
  set-based): intervals ordered by start; an interval starts a new outage when it
  starts strictly after the latest end of every earlier interval of its dimension
  (start = that end is touching: the same outage). One row per dimension x outage.
-#}
with incidents as (

    select * from {{ ref('int_incidents_valid') }}

),

outage_intervals as (

    select
        case category
            when 'availability' then 'availability'
            when 'security' then 'security_incident'
        end as dimension,
        incident_id,
        occurred_at as interval_start_at,
        case
            when resolved_at <= {{ as_of() }} then resolved_at
            else {{ as_of() }}
        end as interval_end_at
    from incidents
    where category in ('availability', 'security')
        and severity in ('P1', 'P2')
        and occurred_at is not null
        and detected_at is not null
        and occurred_at <= {{ as_of() }}
        and detected_at <= {{ as_of() }}

),

ordered as (

    select
        *,
        -- the latest end among the earlier intervals of the dimension
        max(interval_end_at) over (
            partition by dimension
            order by interval_start_at, interval_end_at, incident_id
            rows between unbounded preceding and 1 preceding
        ) as earlier_max_end_at
    from outage_intervals

),

island_starts as (

    select
        *,
        case
            when earlier_max_end_at is null then 1
            when interval_start_at > earlier_max_end_at then 1
            else 0
        end as starts_outage
    from ordered

),

islands as (

    select
        *,
        sum(starts_outage) over (
            partition by dimension
            order by interval_start_at, interval_end_at, incident_id
            rows between unbounded preceding and current row
        ) as outage_number
    from island_starts

),

final as (

    select
        dimension,
        cast(outage_number as bigint) as outage_number,
        min(interval_start_at) as outage_start_at,
        max(interval_end_at) as outage_end_at,
        cast(epoch_us(max(interval_end_at)) - epoch_us(min(interval_start_at)) as double) / 60000000
            as outage_minutes,
        count(*) as incidents,
        list(incident_id order by interval_start_at, incident_id) as incident_ids,
        {{ as_of() }} as as_of
    from islands
    group by dimension, outage_number

)

select * from final
