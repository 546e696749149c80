{#-
  The incidents every incident metric may use: merged incidents (all categories)
  that satisfy the operational definition (macro incident_exclusion_reason), with
  the derived values the incident metrics share, judged at as_of.
-#}
with incidents as (

    select * from {{ ref('int_incidents_merged') }}

),

valid as (

    select *
    from incidents
    where {{ incident_exclusion_reason() }} is null

),

final as (

    select
        incident_id,
        title,
        category,
        severity,
        service,
        geography,
        occurred_at,
        detected_at,
        acknowledged_at,
        resolved_at,
        change_id,
        root_cause_category,
        category = 'security' as is_security,
        change_id is not null as is_change_induced,
        {{ month_of('detected_at') }} as detected_month,
        -- time to detect: NULL when occurred_at or detected_at is blank (outside MTTD)
        {{ hours_between('occurred_at', 'detected_at') }} as hours_to_detect,
        -- a resolution after as_of has not happened yet
        coalesce(resolved_at <= {{ as_of() }}, false) as is_resolved,
        case
            when resolved_at <= {{ as_of() }} then {{ hours_between('detected_at', 'resolved_at') }}
        end as hours_to_resolve,
        _source_file,
        _source_files,
        _source_records,
        {{ as_of() }} as as_of
    from valid

)

select * from final
