{#-
  One row per certificate snapshot (an observed_at instant): the unit of the
  expired_certs_production SLO and of the certificate_management DPMO process
  (METRICS.md: production certificates in the snapshot; defect / count: expired at
  observed_at).

  expired_production_worst_rank orders the month's snapshots that have production
  certificates: 1 = the most expired production certificates; ties go to the
  earliest snapshot (METRICS.md "Ties between snapshots are settled by the earliest").
-#}
with certificates as (

    select * from {{ ref('int_certificate_snapshots') }}

),

counted as (

    select
        observed_at,
        snapshot_month,
        count(*) as certificates,
        count(*) filter (where is_production) as production_certificates,
        count(*) filter (where is_production and is_expired) as expired_production_certificates,
        count(*) filter (where is_expired) as expired_certificates,
        cast(sum(duplicate_rows) - count(*) as bigint) as duplicate_rows_reduced
    from certificates
    group by observed_at, snapshot_month

),

ranked as (

    select
        *,
        case
            when production_certificates > 0 then row_number() over (
                partition by snapshot_month, production_certificates > 0
                order by expired_production_certificates desc, observed_at asc
            )
        end as expired_production_worst_rank
    from counted

),

final as (

    select
        observed_at,
        snapshot_month,
        certificates,
        production_certificates,
        expired_production_certificates,
        expired_certificates,
        expired_production_certificates > 0 as has_expired_production,
        expired_production_worst_rank,
        duplicate_rows_reduced,
        {{ as_of() }} as as_of
    from ranked

)

select * from final
