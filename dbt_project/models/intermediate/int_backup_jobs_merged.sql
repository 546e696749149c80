{#- One record per job_id, merged across exports (METRICS.md "Duplicate files"). -#}
with {{ merge_event_records(
        relation=ref('stg_backup__jobs'),
        natural_key='job_id',
        columns=[
            'system_id', 'job_type', 'started_at', 'completed_at', 'status',
            'encrypted', 'asset_environment',
        ],
        timestamp_columns=['started_at', 'completed_at'],
) }},

final as (

    select
        job_id,
        system_id,
        job_type,
        started_at,
        completed_at,
        status,
        encrypted,
        asset_environment,
        _source_file,
        _source_sha256,
        _source_row,
        _source_files,
        _source_records,
        _export_newest_at,
        _loaded_at,
        _naive_timestamps,
        _extra
    from merged

)

select * from final
