with source as (

    select * from {{ source('scanner', 'certificates') }}

),

renamed as (

    select
        observed_at,
        asset_id,
        {{ normalise_enum('asset_environment') }} as asset_environment,
        subject,
        serial,
        not_before,
        not_after,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
