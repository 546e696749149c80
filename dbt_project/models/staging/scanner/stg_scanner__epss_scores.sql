with source as (

    select * from {{ source('scanner', 'epss_scores') }}

),

renamed as (

    select
        upper(trim(cve)) as cve,
        epss,
        percentile,
        model_version,
        score_date,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
