{#-
  Identity snapshots (METRICS.md "Edge rules": Snapshots, Identity snapshots are
  complete for their own directory only). A directory is the export format of the
  file (`_format`: canonical_csv, okta_users_json, aws_credential_report, ...); a
  snapshot is every row of one directory at one instant of snapshot_at, whatever
  the files it came in. Snapshots after as_of are ignored.

  Snapshot rows are never de-duplicated across files, but an account counts once
  per snapshot ("one unit per (snapshot, identity) pair"): when a user_id appears
  more than once in one snapshot, the row of the highest precedence is kept, the
  same order the event merge uses: the later file name, then the later load, then
  the later sha256, then the later row of the file. `duplicate_rows` counts the
  rows reduced into the kept one (1 = no duplicate) for the data-quality checks.

  Geography (METRICS.md "Snapshots"): the row's `geography` when that is AMER,
  EMEA or APAC, else its country's (seed country_geography), else UNKNOWN.
-#}
with identities as (

    select * from {{ ref('stg_iam__identities') }}

),

country_geography as (

    select * from {{ ref('country_geography') }}

),

in_scope as (

    -- evidence after as_of is not used; ingest rejects rows without snapshot_at or user_id
    select
        -- the directory a snapshot is complete for; NULL only for rows loaded without a format
        coalesce(_format, 'unknown') as directory,
        *
    from identities
    where snapshot_at <= {{ as_of() }}
        and user_id is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by directory, snapshot_at, user_id
            order by
                _source_file desc nulls last,
                _loaded_at desc nulls last,
                _source_sha256 desc nulls last,
                _source_row desc nulls last
        ) as _precedence_rank
    from in_scope

),

duplicates as (

    select
        directory,
        snapshot_at,
        user_id,
        count(*) as duplicate_rows,
        list(distinct _source_file order by _source_file) as _source_files
    from in_scope
    group by directory, snapshot_at, user_id

),

kept as (

    select
        ranked.*,
        duplicates.duplicate_rows,
        duplicates._source_files
    from ranked
    inner join duplicates
        on ranked.directory = duplicates.directory
        and ranked.snapshot_at = duplicates.snapshot_at
        and ranked.user_id = duplicates.user_id
    where ranked._precedence_rank = 1

),

resolved as (

    select
        kept.*,
        case
            when kept.geography in ('AMER', 'EMEA', 'APAC') then kept.geography
            when country_geography.geography is not null then upper(country_geography.geography)
            else 'UNKNOWN'
        end as geography_resolved,
        case
            when kept.geography in ('AMER', 'EMEA', 'APAC') then 'given'
            when country_geography.geography is not null then 'country'
        end as geography_source
    from kept
    left join country_geography
        on kept.country = upper(country_geography.country_code)

),

final as (

    select
        directory,
        snapshot_at,
        {{ month_of('snapshot_at') }} as snapshot_month,
        user_id,
        email,
        nullif(lower(trim(email)), '') as email_lower,
        status,
        coalesce(status = 'active', false) as is_active,
        is_privileged,
        mfa_enabled,
        coalesce(status = 'active', false) and is_privileged as is_privileged_active,
        country,
        geography_reported,
        geography_resolved as geography,
        geography_source,
        terminated_at,
        disabled_at,
        duplicate_rows,
        _source_file,
        _source_row,
        _source_files,
        {{ as_of() }} as as_of
    from resolved

)

select * from final
