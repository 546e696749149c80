{#-
  One record per assignment_id, merged across exports (METRICS.md "Duplicate files").
  `required` is merged as exported (required_reported) so a blank never overrides
  a set value, and defaulted to false only after the merge.
-#}
with {{ merge_event_records(
        relation=ref('stg_training__assignments'),
        natural_key='assignment_id',
        columns=[
            'user_id', 'course', 'required_reported', 'assigned_at', 'due_at',
            'completed_at', 'country',
        ],
        timestamp_columns=['assigned_at', 'due_at', 'completed_at'],
) }},

final as (

    select
        assignment_id,
        user_id,
        course,
        coalesce(required_reported, false) as required,
        assigned_at,
        due_at,
        completed_at,
        country,
        required_reported,
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
