with source as (

    select * from {{ source('iam', 'identities') }}

),

renamed as (

    select
        snapshot_at,
        user_id,
        email,
        {{ normalise_enum('status') }} as status,
        coalesce(is_privileged, false) as is_privileged,
        coalesce(mfa_enabled, false) as mfa_enabled,
        {{ normalise_upper('country') }} as country,
        {{ normalise_geography('geography') }} as geography,
        terminated_at,
        disabled_at,
        {{ normalise_upper('geography') }} as geography_reported,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
