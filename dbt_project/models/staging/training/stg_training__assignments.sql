with source as (

    select * from {{ source('training', 'assignments') }}

),

renamed as (

    select
        assignment_id,
        user_id,
        course,
        coalesce(required, false) as required,
        assigned_at,
        due_at,
        completed_at,
        {{ normalise_upper('country') }} as country,
        required as required_reported,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
