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

  KEV escalation (SOURCES.md "scanner: findings"): an instance not exploited at
  first_seen_at whose CVE the known-exploited catalogue lists while it is open
  (first_seen_at < kev_date_added < fixed_at, or not fixed; macro finding_is_open_at
  at kev_date_added) is escalated at kev_date_added: due_at = the earlier of its own
  due_at and kev_date_added + the window of the decision the risk matrix gives its
  severity when exploited (macros finding_decision with exploited true, finding_due_at
  from kev_date_added): critical/high 24 h, medium/low 7 days. Info has no window
  exploited or not, so it stays without due_at (escalated_at is still recorded). The
  decision column keeps the decision at first_seen_at. A listing at or after the fix
  changes nothing.

  Every finding class gets the same matrix and due dates (METRICS.md "Finding
  classes"); the patch metrics keep finding_class = 'vulnerability' downstream.

  EPSS (int_epss_latest, the latest score at or before as_of) is carried as its own
  columns and changes neither exploited_in_wild nor the decision.
-#}
with instances as (

    select * from {{ ref('int_finding_instances') }}

),

windows as (

    select * from {{ ref('int_maintenance_windows') }}

),

epss as (

    select cve, epss_score, epss_percentile, epss_model_version, epss_score_date
    from {{ ref('int_epss_latest') }}

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

escalation as (

    -- the CVE listed as known-exploited while the instance is open, when it was not
    -- exploited at first_seen_at: the clock of the exploited tier starts at the listing
    select
        *,
        {{ finding_due_at('decision', 'first_seen_at', 'next_window_end_at') }} as own_due_at,
        case
            when not coalesce(exploited_in_wild, false)
                and kev_date_added > first_seen_at
                and {{ finding_is_open_at('first_seen_at', 'fixed_at', 'kev_date_added') }}
                then kev_date_added
        end as escalated_at,
        {{ finding_decision('severity', 'true') }} as exploited_decision
    from decided

),

escalated as (

    select
        *,
        case when escalated_at is not null then exploited_decision end as escalated_decision,
        case
            when escalated_at is not null
                then {{ finding_due_at('exploited_decision', 'escalated_at', 'next_window_end_at') }}
        end as escalated_due_at
    from escalation

),

due as (

    -- the earlier of the two deadlines; info has neither (NULL stays NULL)
    select
        *,
        case
            when escalated_due_at is not null then least(own_due_at, escalated_due_at)
            else own_due_at
        end as due_at
    from escalated

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
        {{ finding_state_at('fixed_at', 'due_at', as_of()) }} as state
    from due

),

final as (

    select
        finding_instance_id,
        scanner,
        asset_id,
        asset_environment,
        finding_class,
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
        kev_date_added,
        escalated_at,
        escalated_decision,
        escalated_due_at,
        is_due,
        is_open,
        met_window,
        state,
        {{ finding_hours_past_due_at('fixed_at', 'due_at', as_of()) }} as hours_past_due,
        exclusion_reason,
        epss.epss_score,
        epss.epss_percentile,
        epss.epss_model_version,
        epss.epss_score_date,
        {{ as_of() }} as as_of
    from judged
    left join epss
        on upper(trim(judged.vulnerability_id)) = epss.cve

)

select * from final
