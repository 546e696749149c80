with source as (

    select * from {{ source('incident', 'incidents') }}

),

renamed as (

    select
        incident_id,
        title,
        {{ normalise_enum('category') }} as category,
        {{ normalise_upper('severity') }} as severity,
        service,
        {{ normalise_geography('geography') }} as geography,
        occurred_at,
        detected_at,
        acknowledged_at,
        resolved_at,
        change_id,
        {{ normalise_enum('root_cause_category') }} as root_cause_category,
        {{ normalise_upper('geography') }} as geography_reported,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
