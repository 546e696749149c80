with source as (

    select * from {{ source('training', 'phishing_results') }}

),

renamed as (

    select
        campaign_id,
        user_id,
        sent_at,
        coalesce(delivered, false) as delivered,
        clicked_at,
        reported_at,
        {{ normalise_upper('country') }} as country,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
