with source as (

    select * from {{ source('backup', 'backup_jobs') }}

),

renamed as (

    select
        job_id,
        system_id,
        {{ normalise_enum('job_type') }} as job_type,
        started_at,
        completed_at,
        {{ normalise_enum('status') }} as status,
        encrypted,
        {{ normalise_enum('asset_environment') }} as asset_environment,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
