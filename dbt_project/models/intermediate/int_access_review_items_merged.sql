{#- One record per item_id, merged across exports (METRICS.md "Duplicate files"). -#}
with {{ merge_event_records(
        relation=ref('stg_iam__access_review_items'),
        natural_key='item_id',
        columns=['review_id', 'user_id', 'reviewer_id', 'due_at', 'decided_at', 'decision'],
        timestamp_columns=['due_at', 'decided_at'],
) }},

final as (

    select
        item_id,
        review_id,
        user_id,
        reviewer_id,
        due_at,
        decided_at,
        decision,
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
