{#-
  One row per identity snapshot of one directory: the unit of the privileged_mfa
  SLO and of the mfa_enforcement DPMO process (METRICS.md "Identity snapshots are
  complete for their own directory only": per-snapshot ratios are computed per
  directory and a month takes the worst).

  privileged_mfa_worst_rank orders the month's snapshots that have a population
  (privileged active identities > 0): 1 = the lowest privileged-with-MFA ratio;
  ties go to the earliest snapshot (METRICS.md "Ties between snapshots are settled
  by the earliest"), then to the directory name so the order is total.
-#}
with snapshots as (

    select * from {{ ref('int_identity_snapshots') }}

),

counted as (

    select
        directory,
        snapshot_at,
        snapshot_month,
        count(*) as identities,
        count(*) filter (where is_active) as active_identities,
        count(*) filter (where is_privileged_active) as privileged_active,
        count(*) filter (where is_privileged_active and mfa_enabled) as privileged_active_with_mfa,
        count(*) filter (where is_privileged_active and not mfa_enabled) as privileged_active_without_mfa,
        cast(sum(duplicate_rows) - count(*) as bigint) as duplicate_rows_reduced,
        list_sort(list_distinct(flatten(list(_source_files)))) as _source_files
    from snapshots
    group by directory, snapshot_at, snapshot_month

),

ratios as (

    select
        *,
        -- a ratio whose denominator is 0 is NULL
        cast(privileged_active_with_mfa as double) / nullif(privileged_active, 0) as privileged_mfa_ratio
    from counted

),

ranked as (

    select
        *,
        case
            when privileged_active > 0 then row_number() over (
                partition by snapshot_month, privileged_active > 0
                order by privileged_mfa_ratio asc, snapshot_at asc, directory asc
            )
        end as privileged_mfa_worst_rank
    from ratios

),

final as (

    select
        directory,
        snapshot_at,
        snapshot_month,
        identities,
        active_identities,
        privileged_active,
        privileged_active_with_mfa,
        privileged_active_without_mfa,
        privileged_mfa_ratio,
        privileged_active_without_mfa > 0 as has_privileged_without_mfa,
        privileged_mfa_worst_rank,
        duplicate_rows_reduced,
        _source_files,
        {{ as_of() }} as as_of
    from ranked

)

select * from final
