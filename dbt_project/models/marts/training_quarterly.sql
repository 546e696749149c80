{{ config(unique_key="quarter") }}

{#-
  Training and phishing by calendar quarter (METRICS.md "Quarterly training";
  "Training and phishing": `metrics.training_quarterly` has the same columns keyed
  by `quarter`). `quarter` is the first day of the calendar quarter; the counts are
  summed over its months of training_monthly and the rates computed from the sums
  (never averaged), NULL when the denominator is 0. Rows: the ALL row of every
  quarter with a month in the spine, plus every geography non-empty in one of its
  months. A quarter in progress holds its months through the month of as_of.
-#}
with monthly as (

    select * from {{ ref('training_monthly') }}

),

quarterly as (

    select
        cast(date_trunc('quarter', month) as date) as quarter,
        geography,
        sum(assignments_due) as assignments_due,
        sum(completed_on_time) as completed_on_time,
        sum(phishing_delivered) as phishing_delivered,
        sum(phishing_clicked) as phishing_clicked,
        sum(phishing_reported) as phishing_reported
    from monthly
    group by 1, 2

),

final as (

    select
        quarter,
        geography,
        cast(assignments_due as bigint) as assignments_due,
        cast(completed_on_time as bigint) as completed_on_time,
        cast(completed_on_time as double) / nullif(assignments_due, 0) as completion_rate,
        cast(phishing_delivered as bigint) as phishing_delivered,
        cast(phishing_clicked as bigint) as phishing_clicked,
        cast(phishing_clicked as double) / nullif(phishing_delivered, 0) as click_rate,
        cast(phishing_reported as bigint) as phishing_reported,
        cast(phishing_reported as double) / nullif(phishing_delivered, 0) as report_rate,
        {{ period_complete('quarter', 'quarter') }} as period_complete,
        {{ as_of() }} as as_of
    from quarterly
    order by quarter, geography

)

select * from final
where {{ in_partition_quarter('quarter') }}
