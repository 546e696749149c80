{#-
  Finding instances (SOURCES.md "scanner: findings"; METRICS.md "Findings",
  "Vulnerability remediation windows"). The key is (scanner, asset_id,
  vulnerability_id, package), a blank package being an ordinary value equal to
  itself. Presence is judged per scan of the asset by the SAME scanner
  (int_finding_scans): an instance is a run of consecutive scans of its asset that
  contain the key. It is fixed

    - at the fixed_at a row of the instance carries (when <= as_of): the scanner
      reports the open instance fixed then, and that row ends the instance (a later
      presence is a new instance); otherwise
    - at the scanned_at of the first later scan of the asset by that scanner that
      lacks the key (a clean-scan row counts as a scan);

  and is open when neither exists at as_of. A key that reappears after being fixed
  is a new instance with a new clock. Severity, CVSS and the exploited flag are
  those of the instance's first row (first scan; within a scan the first file and
  row), and so is its finding_class (METRICS.md "Finding classes": vulnerability,
  misconfiguration, secret or code; the class is not part of the key). Gaps and islands with window functions: no keys x scans product.

  Exploited in the wild: the first row's scanner flag (blank = false; for a
  vulnerability only: another class is exploited only through the catalogue), or the
  known-exploited catalogue (int_kev_catalog, joined on the upper-cased
  vulnerability_id) listing the CVE at or before first_seen_at: exploited from the
  start, exploited_source 'kev' (the scanner's own flag wins the source when both
  hold). A listing after first_seen_at leaves the instance not exploited; its date
  is kept in kev_date_added and int_finding_remediation escalates the due date when
  the listing falls while the instance is open.
-#}
with findings as (

    select * from {{ ref('stg_scanner__findings') }}

),

scans as (

    select * from {{ ref('int_finding_scans') }}

),

kev as (

    -- one row per CVE, earliest date_added across catalogue versions, <= as_of
    select cve_id, date_added from {{ ref('int_kev_catalog') }}

),

finding_rows as (

    -- rows naming a vulnerability, in a scan at or before as_of (the inner join is the
    -- as_of cut: int_finding_scans holds no later scan)
    select
        findings.scanner,
        findings.asset_id,
        findings.vulnerability_id,
        findings.package,
        scans.scan_ordinal,
        scans.scan_id,
        scans.scanned_at,
        -- a fix timestamped after as_of has not happened yet
        case when findings.fixed_at <= {{ as_of() }} then findings.fixed_at end as fixed_at_reported,
        {
            'asset_environment': findings.asset_environment,
            'finding_class': findings.finding_class,
            'title': findings.title,
            'severity': findings.severity,
            'cvss_score': findings.cvss_score,
            'exploited_in_wild': findings.exploited_in_wild,
            'source_file': findings._source_file,
            'source_row': findings._source_row
        } as row_attributes,
        {'source_file': findings._source_file, 'source_row': findings._source_row} as row_position
    from findings
    inner join scans
        on findings.scanner = scans.scanner
        and findings.asset_id = scans.asset_id
        and findings.scan_id = scans.scan_id
        and findings.scanned_at = scans.scanned_at
    where findings.vulnerability_id is not null

),

presences as (

    -- one row per key and scan containing it (a key repeated in one scan, e.g. in two
    -- files of the scan, is one presence); any row carrying fixed_at reports the fix
    select
        scanner,
        asset_id,
        vulnerability_id,
        package,
        scan_ordinal,
        scan_id,
        scanned_at,
        min(fixed_at_reported) as fixed_at_reported,
        arg_min(row_attributes, row_position) as first_row
    from finding_rows
    group by scanner, asset_id, vulnerability_id, package, scan_ordinal, scan_id, scanned_at

),

islands as (

    -- gaps and islands in one sorted pass per key: consecutive scans of the asset share
    -- scan_ordinal - row_number (a gap changes it), and a presence reporting a fix ends
    -- its instance, so the count of fix reports before a presence splits a run
    select
        *,
        scan_ordinal - row_number() over key_presences as run_id,
        count(fixed_at_reported) over (
            key_presences rows between unbounded preceding and 1 preceding
        ) as fixes_before
    from presences
    window key_presences as (
        partition by scanner, asset_id, vulnerability_id, package
        order by scan_ordinal
    )

),

instance_runs as (

    select
        scanner,
        asset_id,
        vulnerability_id,
        package,
        run_id,
        fixes_before,
        min(scanned_at) as first_seen_at,
        arg_min(scan_id, scan_ordinal) as first_scan_id,
        arg_min(first_row, scan_ordinal) as first_row,
        -- the last scan that shows the key open (a fix-report row is not a sighting)
        max(scanned_at) filter (where fixed_at_reported is null) as last_open_scanned_at,
        max(scan_ordinal) as last_scan_ordinal,
        count(*) as scans_present,
        -- only the last presence of an instance can carry a fix
        max(fixed_at_reported) as fixed_at_reported
    from islands
    group by scanner, asset_id, vulnerability_id, package, run_id, fixes_before

),

closed as (

    -- the first later scan of the asset by the same scanner that lacks the key: by
    -- construction the scan right after the run's last presence, when there is one
    select
        instance_runs.*,
        closing_scans.scan_id as closing_scan_id,
        closing_scans.scanned_at as closing_scanned_at
    from instance_runs
    left join scans as closing_scans
        on instance_runs.scanner = closing_scans.scanner
        and instance_runs.asset_id = closing_scans.asset_id
        and closing_scans.scan_ordinal = instance_runs.last_scan_ordinal + 1
        and instance_runs.fixed_at_reported is null

),

exploitation as (

    -- Exploited in the wild: the scanner's own flag of the first row (blank = not
    -- exploited), or a known-exploited catalogue listing at or before first_seen_at
    -- (exploited from the start). A later listing does not make the instance
    -- exploited: int_finding_remediation escalates its due_at from kev_date_added
    -- when the listing falls while it is open.
    select
        closed.*,
        kev.date_added as kev_date_added,
        -- a misconfiguration, secret or code finding is exploited only through the
        -- catalogue (METRICS.md "Finding classes"): the scanner's flag counts for
        -- vulnerabilities
        coalesce(closed.first_row.exploited_in_wild, false)
            and closed.first_row.finding_class = 'vulnerability' as scanner_exploited,
        coalesce(kev.date_added <= closed.first_seen_at, false) as kev_exploited
    from closed
    left join kev
        on upper(trim(closed.vulnerability_id)) = kev.cve_id

),

final as (

    select
        md5(to_json([
            scanner, asset_id, vulnerability_id, package, cast(epoch_us(first_seen_at) as varchar)
        ])) as finding_instance_id,
        scanner,
        asset_id,
        first_row.asset_environment as asset_environment,
        first_row.finding_class as finding_class,
        vulnerability_id,
        package,
        first_row.title as title,
        first_row.severity as severity,
        first_row.cvss_score as cvss_score,
        scanner_exploited or kev_exploited as exploited_in_wild,
        case
            when scanner_exploited then 'scanner'
            when kev_exploited then 'kev'
        end as exploited_source,
        first_row.exploited_in_wild as exploited_in_wild_reported,
        kev_date_added,
        first_seen_at,
        coalesce(last_open_scanned_at, first_seen_at) as last_seen_at,
        coalesce(fixed_at_reported, closing_scanned_at) as fixed_at,
        case
            when fixed_at_reported is not null then 'reported'
            when closing_scanned_at is not null then 'scan'
        end as fix_source,
        -- a reported fix earlier than a scan that still showed the key open (or than
        -- the only sighting) contradicts the lifecycle: kept, flagged for the
        -- data-quality checks, and to be left out of the patch metrics
        case
            when fixed_at_reported < coalesce(last_open_scanned_at, first_seen_at)
                then 'fixed_before_last_seen'
        end as exclusion_reason,
        first_scan_id,
        closing_scan_id,
        scans_present,
        first_row.source_file as _source_file,
        first_row.source_row as _source_row,
        {{ as_of() }} as as_of
    from exploitation

)

select * from final
