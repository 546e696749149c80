{#-
  The assignment population of the training metrics, judged at as_of (METRICS.md
  "Training and phishing"; "Blank booleans"; "Instants"; "Conventions").

  One row per merged assignment (int_assignments_merged) that is required (blank =
  false, defaulted after the merge) and due by as_of: due_at <= as_of, so an
  assignment with due_at = as_of counts and one due later is not yet judged.
  - completed: completed_at <= as_of (a completion after as_of has not happened yet);
  - on time: completed_at <= due_at (the equality favours the team) and <= as_of.
  An assignment completed (by as_of) before it was assigned violates the
  operational definition: it keeps its row with an exclusion_reason, is left out
  of the metrics and is counted by the data-quality checks.
-#}
with assignments as (

    select * from {{ ref('int_assignments_merged') }}

),

due as (

    select *
    from assignments
    where required
        and due_at <= {{ as_of() }}

),

final as (

    select
        assignment_id,
        user_id,
        course,
        required,
        assigned_at,
        due_at,
        {{ month_of('due_at') }} as due_month,
        completed_at,
        country,
        coalesce(completed_at <= {{ as_of() }}, false) as is_completed,
        coalesce(completed_at <= due_at and completed_at <= {{ as_of() }}, false) as completed_on_time,
        case
            when completed_at < assigned_at and completed_at <= {{ as_of() }}
                then 'completed_before_assigned'
        end as exclusion_reason,
        _source_file,
        _source_files,
        _source_records,
        {{ as_of() }} as as_of
    from due

)

select * from final
