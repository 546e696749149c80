{#- One record per incident_id, merged across exports (METRICS.md "Duplicate files"). -#}
with {{ merge_event_records(
        relation=ref('stg_incident__incidents'),
        natural_key='incident_id',
        columns=[
            'title', 'category', 'severity', 'service', 'geography_reported',
            'occurred_at', 'detected_at', 'acknowledged_at', 'resolved_at',
            'change_id', 'root_cause_category',
        ],
        timestamp_columns=['occurred_at', 'detected_at', 'acknowledged_at', 'resolved_at'],
) }},

final as (

    select
        incident_id,
        title,
        category,
        severity,
        service,
        {{ normalise_geography('geography_reported') }} as geography,
        occurred_at,
        detected_at,
        acknowledged_at,
        resolved_at,
        change_id,
        root_cause_category,
        geography_reported,
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
