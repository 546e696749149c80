{#- Merged incidents that violate the operational definition, with the reason (for the data-quality checks). -#}
with incidents as (

    select * from {{ ref('int_incidents_merged') }}

),

checked as (

    select
        *,
        {{ incident_exclusion_reason() }} as exclusion_reason
    from incidents

),

final as (

    select
        incident_id,
        exclusion_reason,
        category,
        severity,
        geography,
        occurred_at,
        detected_at,
        resolved_at,
        {{ month_of('detected_at') }} as detected_month,
        _source_file,
        _source_files,
        _source_records
    from checked
    where exclusion_reason is not null

)

select * from final
