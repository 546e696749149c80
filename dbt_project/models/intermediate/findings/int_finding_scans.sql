{#-
  The scans the finding lifecycle is judged on (SOURCES.md "scanner: findings";
  METRICS.md "Findings"): a scan is one scan_id of one asset at one scanned_at, a
  full snapshot of that asset by that scanner. A row with a blank vulnerability_id
  records a clean scan (the asset was scanned and had no findings). Evidence after
  as_of is ignored. Scans are numbered per (scanner, asset_id) in time order so that
  "the next scan of the asset by the same scanner" is scan_ordinal + 1.
-#}
with findings as (

    select * from {{ ref('stg_scanner__findings') }}

),

observed as (

    -- a scan after as_of is not used
    select
        scanner,
        scan_id,
        asset_id,
        scanned_at,
        vulnerability_id
    from findings
    where scanned_at <= {{ as_of() }}
        and scanner is not null
        and scan_id is not null
        and asset_id is not null

),

scans as (

    select
        scanner,
        scan_id,
        asset_id,
        scanned_at,
        count(vulnerability_id) as finding_rows,
        count(*) - count(vulnerability_id) as clean_rows
    from observed
    group by scanner, scan_id, asset_id, scanned_at

),

final as (

    select
        scanner,
        asset_id,
        scan_id,
        scanned_at,
        -- scans of one asset by one scanner in time order; simultaneous scans by scan_id
        row_number() over asset_scans as scan_ordinal,
        lag(scanned_at) over asset_scans as previous_scanned_at,
        lead(scanned_at) over asset_scans as next_scanned_at,
        finding_rows,
        clean_rows,
        finding_rows = 0 as is_clean,
        {{ as_of() }} as as_of
    from scans
    window asset_scans as (partition by scanner, asset_id order by scanned_at, scan_id)

)

select * from final
