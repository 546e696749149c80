{#-
  Pareto of the month's defects (METRICS.md "Pareto"), two dimensions:
    process     the defects of dpmo_monthly per process (the 'all' row excluded)
    root_cause  the valid security incidents (int_incidents_valid) detected in the
                month and by as_of, per root_cause_category (blank -> 'unknown';
                staging lower-cases and trims it)
  Within a month and dimension the categories are sorted by defects descending, ties
  by category name ascending; rank is that position (1, 2, ...),
  share = defects / the dimension's defects in the month, cumulative_share = the
  running sum of defects down to this rank / the total. vital_few is true for every
  category up to and including the one whose cumulative share first reaches 0.8, i.e.
  where the cumulative share before it is below 0.8 (compared on integer counts, so a
  cut at exactly 80 % is not lost to rounding).
  Only categories with defects appear (a category with no defect has no population in
  the Pareto); a month and dimension without any defect has no rows.
  dpmo_monthly is read whole; only the partition's months are written.
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

),

dpmo as (

    select * from {{ ref('dpmo_monthly') }}

),

incidents as (

    select * from {{ ref('int_incidents_valid') }}

),

process_defects as (

    select
        month,
        'process' as dimension,
        process as category,
        defects
    from dpmo
    where process <> 'all'
        and defects > 0

),

root_cause_defects as (

    select
        incidents.detected_month as month,
        'root_cause' as dimension,
        coalesce(incidents.root_cause_category, 'unknown') as category,
        count(*) as defects
    from incidents
    inner join spine
        on incidents.detected_month = spine.month
    where incidents.is_security
        and incidents.detected_at <= {{ as_of() }}
    group by 1, 2, 3

),

defects as (

    select * from process_defects
    union all
    select * from root_cause_defects

),

ranked as (

    select
        month,
        dimension,
        category,
        defects,
        sum(defects) over (partition by month, dimension) as total_defects,
        sum(defects) over (
            partition by month, dimension
            order by defects desc, category
            rows between unbounded preceding and current row
        ) as cumulative_defects,
        row_number() over (partition by month, dimension order by defects desc, category) as category_rank
    from defects

),

final as (

    select
        month,
        dimension,
        category,
        cast(defects as bigint) as defects,
        {{ safe_ratio('defects', 'total_defects') }} as share,
        {{ safe_ratio('cumulative_defects', 'total_defects') }} as cumulative_share,
        cast(category_rank as bigint) as rank,
        -- the cumulative share before this category is below 0.8: 5 x before < 4 x total
        5 * (cumulative_defects - defects) < 4 * total_defects as vital_few,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from ranked
    order by month, dimension, category_rank

)

select * from final
where {{ in_partition('month') }}
