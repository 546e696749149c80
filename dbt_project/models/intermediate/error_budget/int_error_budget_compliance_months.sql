{#-
  Compliance drift per month (METRICS.md "Error budget"): the fraction of the
  month's observed time in a non-compliant state (int_error_budget_compliance_states,
  piecewise constant over snapshot instants).

  Observed window: from the later of the month start and the first snapshot of
  either kind (identity or certificate, <= as_of) to the earlier of the month end
  (the first instant of the next month) and as_of. drift_fraction =
  non_compliant_hours / observed_hours; NULL when the month has no observed time
  (before the first snapshot, or no snapshot at all).
-#}
with spine as (

    select * from {{ ref('int_month_spine') }}

),

states as (

    select * from {{ ref('int_error_budget_compliance_states') }}

),

first_snapshot as (

    select min(state_from) as first_snapshot_at from states

),

windows as (

    select
        spine.month,
        first_snapshot.first_snapshot_at,
        case
            when first_snapshot.first_snapshot_at is not null
                then greatest(spine.month_start_at, first_snapshot.first_snapshot_at)
        end as observed_from,
        least(spine.month_end_at, {{ as_of() }}) as observed_to
    from spine
    cross join first_snapshot

),

non_compliant_overlaps as (

    -- a state's time inside the observed window; the last state holds through as_of
    select
        windows.month,
        greatest(states.state_from, windows.observed_from) as overlap_from,
        least(coalesce(states.state_to, {{ as_of() }}), windows.observed_to) as overlap_to
    from windows
    inner join states
        on states.is_non_compliant
        and states.state_from < windows.observed_to
        and coalesce(states.state_to, {{ as_of() }}) > windows.observed_from

),

non_compliant as (

    select
        month,
        sum(greatest({{ hours_between('overlap_from', 'overlap_to') }}, 0)) as non_compliant_hours
    from non_compliant_overlaps
    group by month

),

observed as (

    select
        windows.month,
        windows.observed_from,
        windows.observed_to,
        case
            when windows.observed_to > windows.observed_from
                then {{ hours_between('windows.observed_from', 'windows.observed_to') }}
            else 0
        end as observed_hours,
        case
            when windows.observed_to > windows.observed_from
                then coalesce(non_compliant.non_compliant_hours, 0)
            else 0
        end as non_compliant_hours
    from windows
    left join non_compliant
        on windows.month = non_compliant.month

),

final as (

    select
        month,
        -- NULL when the month has no observed time
        case when observed_hours > 0 then observed_from end as observed_from,
        case when observed_hours > 0 then observed_to end as observed_to,
        cast(observed_hours as double) as observed_hours,
        cast(non_compliant_hours as double) as non_compliant_hours,
        {{ safe_ratio('non_compliant_hours', 'observed_hours') }} as drift_fraction,
        {{ as_of() }} as as_of
    from observed

)

select * from final
