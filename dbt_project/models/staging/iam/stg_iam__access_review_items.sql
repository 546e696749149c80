with source as (

    select * from {{ source('iam', 'access_reviews') }}

),

renamed as (

    select
        review_id,
        item_id,
        user_id,
        reviewer_id,
        due_at,
        decided_at,
        {{ normalise_enum('decision') }} as decision,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
