{#-
  The risk matrix applied to every finding instance (METRICS.md "Vulnerability
  remediation windows (risk matrix)", "Instants"), judged at as_of:

    critical            -> emergency_maintenance (exploited) / emergency_patch, 24 h
    high                -> emergency_maintenance 24 h (exploited) / maintenance_window_7d 7 days
    medium, low         -> maintenance_window_7d 7 days (exploited) / next_regular_window:
                           the END of the first regular window STARTING strictly after
                           first_seen_at (int_maintenance_windows)
    info                -> none, no due_at

  Window lengths: var finding_remediation_window_hours (macro finding_due_at). A
  finding meets its window when fixed_at <= due_at (equality favours the team); it
  breaches when fixed later, or when still open once due_at has passed (due_at < as_of).
-#}
with instances as (

    select * from {{ ref('int_finding_instances') }}

),

windows as (

    select * from {{ ref('int_maintenance_windows') }}

),

next_windows as (

    -- the first regular window starting strictly after first_seen_at
    select
        instances.*,
        windows.window_start_at as next_window_start_at,
        windows.window_end_at as next_window_end_at
    from instances
    asof left join windows
        on instances.first_seen_at < windows.window_start_at

),

decided as (

    select
        *,
        {{ finding_decision('severity', 'exploited_in_wild') }} as decision
    from next_windows

),

due as (

    -- HOOK (KEV, later issue): an instance whose CVE is listed while it is open is
    -- escalated to the earlier of this due_at and macro finding_due_at applied to the
    -- exploited decision (macro finding_decision with exploited true) from dateAdded.
    select
        *,
        {{ finding_due_at('decision', 'first_seen_at', 'next_window_end_at') }} as due_at
    from decided

),

judged as (

    select
        *,
        case
            when fixed_at is not null then {{ finding_fixed_in_window('fixed_at', 'due_at') }}
            -- still open once due_at is reached: not fixed by due_at
            when due_at <= {{ as_of() }} then false
        end as met_window,
        coalesce(due_at <= {{ as_of() }}, false) as is_due,
        {{ finding_is_open_at('first_seen_at', 'fixed_at', as_of()) }} as is_open,
        case
            when fixed_at is not null and coalesce({{ finding_fixed_in_window('fixed_at', 'due_at') }}, true)
                then 'fixed_in_window'
            when fixed_at is not null then 'fixed_late'
            when {{ finding_is_past_due_at('due_at', 'fixed_at', as_of()) }} then 'open_past_due'
            else 'open'
        end as state
    from due

),

final as (

    select
        finding_instance_id,
        scanner,
        asset_id,
        asset_environment,
        vulnerability_id,
        package,
        title,
        severity,
        cvss_score,
        exploited_in_wild,
        exploited_source,
        first_seen_at,
        last_seen_at,
        fixed_at,
        fix_source,
        decision,
        case when decision = 'next_regular_window' then next_window_start_at end as regular_window_start_at,
        due_at,
        {{ month_of('due_at') }} as due_month,
        is_due,
        is_open,
        met_window,
        state,
        -- hours from due_at to the fix, or to as_of while open; 0 when not past due
        case
            when due_at is not null
                then greatest({{ hours_between('due_at', 'coalesce(fixed_at, ' ~ as_of() ~ ')') }}, 0)
        end as hours_past_due,
        exclusion_reason,
        {{ as_of() }} as as_of
    from judged

)

select * from final
