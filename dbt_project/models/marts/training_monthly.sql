{#-
  Training and phishing (METRICS.md "Training and phishing"), judged at as_of.

  - Assignments: required assignments with due_at in the month and <= as_of
    (int_training_assignments_due); on time when completed_at <= due_at and
    <= as_of. completion_rate = completed_on_time / assignments_due.
  - Phishing: delivered e-mails sent in the month and <= as_of
    (int_phishing_emails_sent); clicked / reported when clicked_at / reported_at is
    set and <= as_of. click_rate and report_rate over the delivered e-mails.
  - Records that violate the operational definition (exclusion_reason set) are not
    counted.
  - Geography of each event: int_training_people_geography.
  A ratio whose denominator is 0 is NULL. Rows: the ALL row of every month of the
  spine, plus every geography (AMER, EMEA, APAC, UNKNOWN) with an assignment due or
  an e-mail delivered in the month.
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

),

assignments as (

    select * from {{ ref('int_training_assignments_due') }}

),

phishing as (

    select * from {{ ref('int_phishing_emails_sent') }}

),

people_geography as (

    select * from {{ ref('int_training_people_geography') }}

),

assignment_facts as (

    select
        assignments.due_month as month,
        people_geography.geography,
        1 as assignment_due,
        case when assignments.completed_on_time then 1 else 0 end as completed_on_time,
        0 as phishing_delivered,
        0 as phishing_clicked,
        0 as phishing_reported
    from assignments
    inner join people_geography
        on people_geography.event_type = 'assignment'
        and people_geography.event_id = assignments.assignment_id
    where assignments.exclusion_reason is null

),

phishing_facts as (

    select
        phishing.sent_month as month,
        people_geography.geography,
        0 as assignment_due,
        0 as completed_on_time,
        1 as phishing_delivered,
        case when phishing.is_clicked then 1 else 0 end as phishing_clicked,
        case when phishing.is_reported then 1 else 0 end as phishing_reported
    from phishing
    inner join people_geography
        on people_geography.event_type = 'phishing'
        and people_geography.event_id = phishing.phishing_email_id
    where phishing.is_delivered
        and phishing.exclusion_reason is null

),

facts as (

    select facts_.*
    from (
        select * from assignment_facts
        union all
        select * from phishing_facts
    ) as facts_
    inner join spine
        on facts_.month = spine.month

),

aggregated as (

    select
        month,
        case when grouping(geography) = 1 then 'ALL' else geography end as geography,
        sum(assignment_due) as assignments_due,
        sum(completed_on_time) as completed_on_time,
        sum(phishing_delivered) as phishing_delivered,
        sum(phishing_clicked) as phishing_clicked,
        sum(phishing_reported) as phishing_reported
    from facts
    group by grouping sets ((month), (month, geography))

),

all_rows as (

    -- every month of the spine has its ALL row, empty months included
    select
        spine.month,
        'ALL' as geography,
        coalesce(aggregated.assignments_due, 0) as assignments_due,
        coalesce(aggregated.completed_on_time, 0) as completed_on_time,
        coalesce(aggregated.phishing_delivered, 0) as phishing_delivered,
        coalesce(aggregated.phishing_clicked, 0) as phishing_clicked,
        coalesce(aggregated.phishing_reported, 0) as phishing_reported
    from spine
    left join aggregated
        on aggregated.month = spine.month
        and aggregated.geography = 'ALL'

),

geography_rows as (

    -- non-empty geographies only: each has an assignment due or an e-mail delivered
    select
        month,
        geography,
        assignments_due,
        completed_on_time,
        phishing_delivered,
        phishing_clicked,
        phishing_reported
    from aggregated
    where geography <> 'ALL'

),

final as (

    select
        month,
        geography,
        cast(assignments_due as bigint) as assignments_due,
        cast(completed_on_time as bigint) as completed_on_time,
        cast(completed_on_time as double) / nullif(assignments_due, 0) as completion_rate,
        cast(phishing_delivered as bigint) as phishing_delivered,
        cast(phishing_clicked as bigint) as phishing_clicked,
        cast(phishing_clicked as double) / nullif(phishing_delivered, 0) as click_rate,
        cast(phishing_reported as bigint) as phishing_reported,
        cast(phishing_reported as double) / nullif(phishing_delivered, 0) as report_rate,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from (
        select * from all_rows
        union all
        select * from geography_rows
    ) as rows_
    order by month, geography

)

select * from final
where {{ in_partition('month') }}
