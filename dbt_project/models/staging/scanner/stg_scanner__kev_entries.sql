with source as (

    select * from {{ source('scanner', 'kev_catalog') }}

),

renamed as (

    select
        upper(trim(cve_id)) as cve_id,
        vendor_project,
        product,
        vulnerability_name,
        date_added,
        due_date,
        {{ normalise_enum('known_ransomware_campaign_use') }} as known_ransomware_campaign_use,
        catalog_version,
        date_released,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
