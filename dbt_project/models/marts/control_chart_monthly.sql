{#-
  Control charts (METRICS.md "Control charts"), one point per month and chart.

  p-chart, for each process of dpmo_monthly (the ten processes and 'all'):
    value  p_M = defects / opportunities of month M (NULL without opportunities)
    n      n_M = the month's opportunities
    baseline  the up to 12 latest months before M with opportunities > 0 (M itself
              never: a point must not widen its own limits)
    center p̄ = Σdefects / Σopportunities over the baseline
    sigma  sqrt(p̄ (1 - p̄) / n_M)          (NULL when n_M = 0)
    limits p̄ ± 3 sigma, the lower floored at 0
  XmR chart of monthly MTTD, process 'mttd' (incident_response_monthly, severity ALL,
  geography ALL: the mean MTTD of the security incidents detected in the month):
    value  the month's mttd_hours; n = the month's incidents
    baseline  the up to 12 latest months before M with an MTTD
    center x̄ = mean of the baseline values
    MR̄     mean of the moving ranges |x_j - x_(j-1)| between successive baseline months
           (months without a value are skipped; a range reaching a month before the
           baseline is not used: k baseline months give k - 1 ranges)
    sigma  MR̄ / 1.128; limits x̄ ± 2.66 MR̄, the lower floored at 0
  Fewer than 3 baseline months: center, sigma and limits are NULL (not enough history).
  Western Electric rules, each point against its own month's centre and sigma, only for
  points with a value and limits, the sequence being those points in month order
  (a point without limits is skipped, it does not break a run):
    rule_1  the point is above ucl or below lcl
    rule_2  the point is beyond 2 sigma on one side and so are at least 2 of the
            (up to) 3 latest points, itself included
    rule_3  the point is beyond 1 sigma on one side and so are at least 4 of the
            (up to) 5 latest points, itself included
    rule_4  the 8 latest points, itself included, are all strictly on one side of
            their centres
  A point without limits (or without a value) has every rule false. special_cause is
  true when any rule fires.
  dpmo_monthly and incident_response_monthly are read whole: in a monthly partition run
  the earlier months are the stored ones, and only the partition's months are written.
-#}
with dpmo as (

    select * from {{ ref('dpmo_monthly') }}

),

incident_response as (

    select * from {{ ref('incident_response_monthly') }}
    where severity = 'ALL'
        and geography = 'ALL'

),

p_points as (

    select
        month,
        process,
        'p' as chart,
        {{ safe_ratio('defects', 'opportunities') }} as value,
        cast(opportunities as bigint) as n,
        cast(defects as bigint) as defects,
        cast(opportunities as bigint) as opportunities,
        coalesce(opportunities > 0, false) as is_baseline_candidate
    from dpmo

),

xmr_points as (

    select
        month,
        'mttd' as process,
        'XmR' as chart,
        cast(mttd_hours as double) as value,
        cast(incidents as bigint) as n,
        cast(null as bigint) as defects,
        cast(null as bigint) as opportunities,
        mttd_hours is not null as is_baseline_candidate
    from incident_response

),

points as (

    select
        *,
        -- how many earlier months of this chart can be baseline months
        coalesce(sum(case when is_baseline_candidate then 1 else 0 end) over (
            partition by process, chart
            order by month
            rows between unbounded preceding and 1 preceding
        ), 0) as prior_candidates
    from (
        select * from p_points
        union all
        select * from xmr_points
    ) as points_

),

candidates as (

    -- the months that can serve as a baseline, numbered in month order; the moving
    -- range of one is the distance to the previous candidate (months without a value skipped)
    select
        month,
        process,
        chart,
        value,
        defects,
        opportunities,
        row_number() over (partition by process, chart order by month) as candidate_seq,
        abs(value - lag(value) over (partition by process, chart order by month)) as moving_range
    from points
    where is_baseline_candidate

),

baselines as (

    -- for month M with k earlier candidates: the candidates k - 11 .. k (up to 12);
    -- moving ranges k - 10 .. k (both ends inside the baseline)
    select
        points.month,
        points.process,
        points.chart,
        count(history.month) as baseline_months,
        sum(history.defects) as baseline_defects,
        sum(history.opportunities) as baseline_opportunities,
        avg(history.value) as baseline_mean,
        avg(history.moving_range) filter (
            where history.candidate_seq > points.prior_candidates - 11
        ) as mean_moving_range
    from points
    left join candidates as history
        on history.process = points.process
        and history.chart = points.chart
        and history.candidate_seq between points.prior_candidates - 11 and points.prior_candidates
    group by points.month, points.process, points.chart

),

centred as (

    select
        points.month,
        points.process,
        points.chart,
        points.value,
        points.n,
        case
            when baselines.baseline_months < 3 then null
            when points.chart = 'p' then {{ safe_ratio('baselines.baseline_defects', 'baselines.baseline_opportunities') }}
            else baselines.baseline_mean
        end as center,
        baselines.mean_moving_range
    from points
    inner join baselines
        on baselines.month = points.month
        and baselines.process = points.process
        and baselines.chart = points.chart

),

with_sigma as (

    select
        *,
        case
            when center is null then null
            when chart = 'p' and n > 0 then sqrt(center * (1 - center) / n)
            when chart = 'XmR' then mean_moving_range / 1.128
        end as sigma
    from centred

),

limited as (

    -- half-width of the limits: 3 sigma (p), 2.66 MR̄ (XmR); NULL without a centre
    select
        month,
        process,
        chart,
        value,
        n,
        center,
        sigma,
        center + limit_width as ucl,
        -- DuckDB's greatest() skips NULLs: keep the lcl NULL without limits
        case when limit_width is not null then greatest(center - limit_width, 0) end as lcl
    from (
        select
            *,
            case
                when center is null then null
                when chart = 'p' then 3 * sigma
                else 2.66 * mean_moving_range
            end as limit_width
        from with_sigma
    ) as with_width

),

judged as (

    -- the points the rules look at: a value and limits
    select
        *,
        value > ucl or value < lcl as beyond_limits,
        value > center + 2 * sigma as above_2_sigma,
        value < center - 2 * sigma as below_2_sigma,
        value > center + sigma as above_1_sigma,
        value < center - sigma as below_1_sigma,
        value > center as above_center,
        value < center as below_center
    from limited
    where value is not null
        and ucl is not null

),

rules as (

    select
        month,
        process,
        chart,
        beyond_limits as rule_1,
        (above_2_sigma and sum(case when above_2_sigma then 1 else 0 end) over last_3 >= 2)
            or (below_2_sigma and sum(case when below_2_sigma then 1 else 0 end) over last_3 >= 2) as rule_2,
        (above_1_sigma and sum(case when above_1_sigma then 1 else 0 end) over last_5 >= 4)
            or (below_1_sigma and sum(case when below_1_sigma then 1 else 0 end) over last_5 >= 4) as rule_3,
        sum(case when above_center then 1 else 0 end) over last_8 = 8
            or sum(case when below_center then 1 else 0 end) over last_8 = 8 as rule_4
    from judged
    window
        last_3 as (partition by process, chart order by month rows between 2 preceding and current row),
        last_5 as (partition by process, chart order by month rows between 4 preceding and current row),
        last_8 as (partition by process, chart order by month rows between 7 preceding and current row)

),

final as (

    select
        limited.month,
        limited.process,
        limited.chart,
        cast(limited.value as double) as value,
        cast(limited.n as bigint) as n,
        cast(limited.center as double) as center,
        cast(limited.ucl as double) as ucl,
        cast(limited.lcl as double) as lcl,
        cast(limited.sigma as double) as sigma,
        coalesce(rules.rule_1, false) as rule_1,
        coalesce(rules.rule_2, false) as rule_2,
        coalesce(rules.rule_3, false) as rule_3,
        coalesce(rules.rule_4, false) as rule_4,
        coalesce(rules.rule_1 or rules.rule_2 or rules.rule_3 or rules.rule_4, false) as special_cause,
        {{ period_complete('limited.month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from limited
    left join rules
        on rules.month = limited.month
        and rules.process = limited.process
        and rules.chart = limited.chart
    order by limited.chart, limited.process, limited.month

)

select * from final
where {{ in_partition('month') }}
