{#-
  Every month from the earliest month any family covers through the month of
  as_of (METRICS.md "Months"): the rows every metric table holds. Empty when no
  family covers any month.
-#}
with bounds as (

    select min(month) as first_month
    from {{ ref('int_family_coverage_months') }}

),

months as (

    select cast(series.month as date) as month
    from bounds,
        generate_series(
            bounds.first_month,
            {{ month_of(as_of()) }},
            interval 1 month
        ) as series(month)
    where bounds.first_month is not null

),

final as (

    select
        month,
        cast(month as timestamptz) as month_start_at,
        -- a month ends at the first instant of the next month
        cast(month + interval 1 month as timestamptz) as month_end_at,
        month = {{ month_of(as_of()) }} as is_current_month,
        {{ as_of() }} as as_of
    from months
    order by month

)

select * from final
