{#-
  The known-exploited catalogue as of the run (SOURCES.md "scanner: findings"): every
  catalogue file loaded (CISA KEV CSV and JSON, any number of versions) is unioned,
  one row per CVE, and an entry's EARLIEST date_added across the versions counts
  (a later version re-dating an entry does not move its listing). Only listings with
  date_added <= as_of exist at as_of (evidence after as_of is ignored). The
  descriptive attributes come from the newest catalogue file listing the CVE (latest
  date_released, then the later file name, load, sha256 and row).
-#}
with entries as (

    select * from {{ ref('stg_scanner__kev_entries') }}
    where cve_id is not null
        and date_added is not null
        and date_added <= {{ as_of() }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by cve_id
            order by date_added, _source_file, _loaded_at, _source_sha256, _source_row
        ) as earliest_rank,
        row_number() over (
            partition by cve_id
            order by
                date_released desc nulls last,
                _source_file desc,
                _loaded_at desc,
                _source_sha256 desc,
                _source_row desc
        ) as newest_rank
    from entries

),

final as (

    select
        cve_id,
        min(date_added) as date_added,
        any_value(catalog_version) filter (where earliest_rank = 1) as first_catalog_version,
        any_value(_source_file) filter (where earliest_rank = 1) as first_source_file,
        any_value(vendor_project) filter (where newest_rank = 1) as vendor_project,
        any_value(product) filter (where newest_rank = 1) as product,
        any_value(vulnerability_name) filter (where newest_rank = 1) as vulnerability_name,
        any_value(known_ransomware_campaign_use) filter (where newest_rank = 1)
            as known_ransomware_campaign_use,
        any_value(catalog_version) filter (where newest_rank = 1) as latest_catalog_version,
        count(*) as catalogue_rows,
        count(distinct _source_sha256) as catalogue_files,
        {{ as_of() }} as as_of
    from ranked
    group by cve_id

)

select * from final
