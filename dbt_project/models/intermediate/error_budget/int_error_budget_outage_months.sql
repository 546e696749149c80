{#-
  Consumed minutes of the availability and security_incident error budgets per
  month (METRICS.md "Error budget"): the outages (int_error_budget_outages, already
  a union of disjoint intervals) clipped to the month [month start, first instant
  of the next month) and to as_of. An outage crossing a month boundary is split
  across both months. Every spine month has a row per dimension (0 minutes when
  no outage touches it).
-#}
with spine as (

    select * from {{ ref('int_month_spine') }}

),

outages as (

    select * from {{ ref('int_error_budget_outages') }}

),

dimensions as (

    select dimension
    from (values ('availability'), ('security_incident')) as dimensions(dimension)

),

clipped as (

    select
        spine.month,
        outages.dimension,
        outages.outage_number,
        greatest(outages.outage_start_at, spine.month_start_at) as clipped_start_at,
        least(outages.outage_end_at, spine.month_end_at, {{ as_of() }}) as clipped_end_at
    from outages
    inner join spine
        on outages.outage_start_at < spine.month_end_at
        and outages.outage_end_at > spine.month_start_at

),

per_month as (

    select
        month,
        dimension,
        sum(
            greatest(cast(epoch_us(clipped_end_at) - epoch_us(clipped_start_at) as double), 0) / 60000000
        ) as outage_minutes,
        count(*) filter (where clipped_end_at > clipped_start_at) as outages
    from clipped
    group by month, dimension

),

final as (

    select
        spine.month,
        dimensions.dimension,
        coalesce(per_month.outage_minutes, 0) as outage_minutes,
        coalesce(per_month.outages, 0) as outages,
        -- the month's calendar length in minutes (the allowance base, in progress or not)
        cast(epoch_us(spine.month_end_at) - epoch_us(spine.month_start_at) as double) / 60000000
            as month_minutes,
        {{ as_of() }} as as_of
    from spine
    cross join dimensions
    left join per_month
        on spine.month = per_month.month
        and dimensions.dimension = per_month.dimension

)

select * from final
