{#-
  Access-review items judged at as_of: the unit of the access_review DPMO process
  (METRICS.md: review item with due_at in the month and <= as_of; defect: not
  decided by due_at). An item is due when due_at <= as_of; decided on time when
  decided_at <= due_at (equality on time) and decided_at <= as_of (a decision
  after as_of has not happened yet).
-#}
with items as (

    select * from {{ ref('int_access_review_items_merged') }}

),

final as (

    select
        item_id,
        review_id,
        user_id,
        reviewer_id,
        due_at,
        decided_at,
        decision,
        {{ month_of('due_at') }} as due_month,
        coalesce(due_at <= {{ as_of() }}, false) as is_due,
        coalesce(decided_at <= {{ as_of() }}, false) as is_decided,
        coalesce(decided_at <= due_at and decided_at <= {{ as_of() }}, false) as decided_on_time,
        coalesce(due_at <= {{ as_of() }}, false)
            and not coalesce(decided_at <= due_at and decided_at <= {{ as_of() }}, false) as is_defect,
        _source_file,
        _source_files,
        _source_records,
        {{ as_of() }} as as_of
    from items

)

select * from final
