{#-
  Merge the rows of an event entity into one record per natural key
  (METRICS.md "Edge rules", duplicate files):

    for each field a set value wins over a blank one, and where both are set
    the value from the export whose newest timestamp is later wins
    (ties: the later file name).

  relation           a staging relation with the lineage columns (_source_file,
                     _source_sha256, _source_row, _loaded_at, _extra, _naive_timestamps)
  natural_key        the key column (rows with a NULL key are not merged)
  columns            the columns to merge, NULL meaning blank; pass a column as
                     exported (e.g. `geography_reported`, `required_reported`), not
                     one where staging already replaced a blank by a default
  timestamp_columns  the entity's timestamp columns: an export's "newest
                     timestamp" is the latest of them over all its own rows

  Precedence of a row, lowest to highest: its export's newest timestamp (an
  export without any timestamp ranks first), then the export's file name, then
  its load time and sha256 (a file replaced under the same name), then the row
  number within the export (a key repeated inside one export: the later row).
  The merge does not depend on as_of: the marts judge the merged timestamps
  against as_of.

  Output: natural_key, the merged columns, and lineage:
  _source_file/_source_sha256/_source_row of the highest-precedence row,
  _source_files (every export that had the key), _source_records (rows merged),
  _export_newest_at (newest timestamp of the winning export), _loaded_at (latest),
  _naive_timestamps (max over the rows), _extra (highest-precedence non-NULL).
-#}
{% macro merge_event_records(relation, natural_key, columns, timestamp_columns) %}

    merge_records as (

        select * from {{ relation }}

    ),

    merge_exports as (

        -- one row per export (file version): its newest timestamp from its own rows
        select
            _source_file,
            _source_sha256,
            max(greatest({{ timestamp_columns | join(', ') }})) as _export_newest_at,
            max(_loaded_at) as _export_loaded_at
        from merge_records
        group by _source_file, _source_sha256

    ),

    merge_ranked as (

        select
            merge_records.*,
            merge_exports._export_newest_at,
            row_number() over (
                order by
                    merge_exports._export_newest_at asc nulls first,
                    merge_records._source_file asc nulls first,
                    merge_exports._export_loaded_at asc nulls first,
                    merge_records._source_sha256 asc nulls first,
                    merge_records._source_row asc nulls first
            ) as _precedence
        from merge_records
        left join merge_exports
            on merge_records._source_file is not distinct from merge_exports._source_file
            and merge_records._source_sha256 is not distinct from merge_exports._source_sha256
        where merge_records.{{ natural_key }} is not null

    ),

    merged as (

        select
            {{ natural_key }},
            {%- for column in columns %}
            arg_max({{ column }}, _precedence) filter (where {{ column }} is not null) as {{ column }},
            {%- endfor %}
            arg_max(_source_file, _precedence) as _source_file,
            arg_max(_source_sha256, _precedence) as _source_sha256,
            arg_max(_source_row, _precedence) as _source_row,
            list(distinct _source_file order by _source_file) as _source_files,
            count(*) as _source_records,
            arg_max(_export_newest_at, _precedence) as _export_newest_at,
            max(_loaded_at) as _loaded_at,
            max(_naive_timestamps) as _naive_timestamps,
            arg_max(_extra, _precedence) filter (where _extra is not null) as _extra
        from merge_ranked
        group by {{ natural_key }}

    )

{% endmacro %}
