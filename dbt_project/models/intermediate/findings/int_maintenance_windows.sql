{#-
  The regular maintenance-window calendar (METRICS.md "Vulnerability remediation
  windows"), generated from the var `regular_maintenance_window` (macro
  regular_maintenance_window_config; default the first Saturday of each month,
  02:00-06:00 UTC): one window per month, from the month of the earliest finding
  first_seen_at (the month of as_of when there is none) through
  `months_after_as_of` months after the month of as_of, so that every instance
  first seen by as_of has a next window. A month without the configured weekday
  occurrence (a 5th Saturday) has no row.
-#}
{%- set window = regular_maintenance_window_config() %}

with instances as (

    select first_seen_at from {{ ref('int_finding_instances') }}

),

bounds as (

    select
        least(
            coalesce(min({{ month_of('first_seen_at') }}), {{ month_of(as_of()) }}),
            {{ month_of(as_of()) }}
        ) as first_month,
        {{ month_of(as_of()) }} + interval {{ window.months_after_as_of }} month as last_month
    from instances

),

months as (

    select cast(series.month as date) as window_month
    from bounds,
        generate_series(bounds.first_month, bounds.last_month, interval 1 month) as series(month)

),

window_days as (

    select
        window_month,
        {%- if window.week_of_month > 0 %}
        -- the first such weekday of the month, plus whole weeks
        cast(
            window_month
            + ((({{ window.weekday }} - isodow(window_month)) + 7) % 7
               + 7 * ({{ window.week_of_month }} - 1)) * interval 1 day
            as date
        ) as window_day
        {%- else %}
        -- the last such weekday of the month
        cast(
            last_day(window_month)
            - (((isodow(last_day(window_month)) - {{ window.weekday }}) + 7) % 7) * interval 1 day
            as date
        ) as window_day
        {%- endif %}
    from months

),

final as (

    select
        window_month,
        -- the window's wall-clock start read in UTC, whatever the session time zone
        timezone(
            'UTC',
            window_day + make_time({{ window.start_hour }}, {{ window.start_minute }}, 0)
        ) as window_start_at,
        timezone(
            'UTC',
            window_day + make_time({{ window.start_hour }}, {{ window.start_minute }}, 0)
        ) + interval {{ window.duration_minutes }} minute as window_end_at,
        {{ as_of() }} as as_of
    from window_days
    -- a 5th weekday that falls in the next month is no window of this one
    where {{ month_of('window_day') }} = window_month
    order by window_month

)

select * from final
