{#-
  Certificate observations grouped into snapshots by the instant of observed_at,
  not by file (METRICS.md "Snapshots"); observations after as_of are ignored.
  A certificate is (asset_id, serial, subject), a blank serial or subject being an
  ordinary value equal to itself. The same certificate seen more than once in one
  snapshot counts once ("one unit per (snapshot, certificate) pair"): the row of the
  highest precedence is kept (the later file name, then the later load, then the
  later sha256, then the later row of the file), `duplicate_rows` counts the rows
  reduced into it.

  is_production: asset_environment = production (blank is not production).
  is_expired: not_after < observed_at (a certificate with not_after = observed_at is
  not yet expired).
-#}
with certificates as (

    select * from {{ ref('stg_scanner__certificates') }}

),

in_scope as (

    select *
    from certificates
    where observed_at <= {{ as_of() }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by observed_at, asset_id, serial, subject
            order by
                _source_file desc nulls last,
                _loaded_at desc nulls last,
                _source_sha256 desc nulls last,
                _source_row desc nulls last
        ) as _precedence_rank,
        count(*) over (partition by observed_at, asset_id, serial, subject) as duplicate_rows
    from in_scope

),

final as (

    select
        observed_at,
        {{ month_of('observed_at') }} as snapshot_month,
        asset_id,
        serial,
        subject,
        asset_environment,
        not_before,
        not_after,
        coalesce(asset_environment = 'production', false) as is_production,
        coalesce(not_after < observed_at, false) as is_expired,
        {{ hours_between('observed_at', 'not_after') }} as hours_to_expiry,
        duplicate_rows,
        _source_file,
        _source_row,
        {{ as_of() }} as as_of
    from ranked
    where _precedence_rank = 1

)

select * from final
