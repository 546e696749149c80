{#-
  The five security SLOs per month (METRICS.md "Security SLOs"). Populations:
    critical_patch_24h        critical vulnerability instances (finding_class vulnerability) whose due_at falls in the month and is <= as_of
    privileged_mfa            each identity snapshot (per directory) taken in the month; the worst one
    expired_certs_production  each certificate snapshot in the month; the one with most expired
    backup_restore_test       finished restore tests started in the month (none with backup data: breached)
    p1_detection_1h           security P1 incidents detected in the month (with an occurred_at)
  Status is no_data when the SLO's family does not cover the month. In the month in
  progress (period_complete false) a row breached only because its evidence has not
  arrived yet is pending: backup_restore_test without a finished restore test so far.
  The other SLOs' breaches have already happened when they show (a critical past its
  window, a snapshot with a privileged account without MFA or an expired production
  certificate, a P1 detected late) and are breached at once (docs/DECISIONS.md).
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

),

coverage as (

    select * from {{ ref('int_family_coverage_months') }}

),

targets as (

    select * from {{ ref('metric_targets') }}
    where metric_table = 'security_slo_monthly'

),

finding_instances as (

    select * from {{ ref('int_finding_remediation') }}

),

identity_snapshots as (

    select * from {{ ref('int_identity_directory_snapshots') }}

),

certificate_snapshots as (

    select * from {{ ref('int_certificate_snapshot_counts') }}

),

backup_jobs as (

    select * from {{ ref('int_backup_jobs_merged') }}

),

incidents as (

    select * from {{ ref('int_incidents_valid') }}

),

critical_patch as (

    select
        due_month as month,
        'critical_patch_24h' as slo_id,
        'scanner' as family,
        count(*) filter (where met_window) as numerator,
        count(*) as denominator
    from finding_instances
    where severity = 'critical'
        and finding_class = 'vulnerability'
        and is_due
        and exclusion_reason is null
    group by due_month

),

privileged_mfa as (

    -- the worst snapshot of the month, the earliest if tied (rank computed upstream)
    select
        snapshot_month as month,
        'privileged_mfa' as slo_id,
        'iam' as family,
        privileged_active_with_mfa as numerator,
        privileged_active as denominator
    from identity_snapshots
    where privileged_mfa_worst_rank = 1

),

expired_certificates as (

    select
        snapshot_month as month,
        'expired_certs_production' as slo_id,
        'scanner' as family,
        expired_production_certificates as numerator,
        production_certificates as denominator
    from certificate_snapshots
    where expired_production_worst_rank = 1

),

restore_tests as (

    select
        {{ month_of('started_at') }} as month,
        'backup_restore_test' as slo_id,
        'backup' as family,
        count(*) filter (where status = 'succeeded') as numerator,
        count(*) as denominator
    from backup_jobs
    where job_type = 'restore_test'
        and {{ is_finished_job() }}
    group by 1

),

p1_detection as (

    select
        detected_month as month,
        'p1_detection_1h' as slo_id,
        'incident' as family,
        count(*) filter (where hours_to_detect <= 1) as numerator,
        count(*) as denominator
    from incidents
    where {{ is_measured_p1_detection() }}
    group by detected_month

),

measured as (

    select * from critical_patch
    union all select * from privileged_mfa
    union all select * from expired_certificates
    union all select * from restore_tests
    union all select * from p1_detection

),

slo_families as (

    select * from (values
        ('critical_patch_24h', 'scanner'),
        ('privileged_mfa', 'iam'),
        ('expired_certs_production', 'scanner'),
        ('backup_restore_test', 'backup'),
        ('p1_detection_1h', 'incident')
    ) as t(slo_id, family)

),

grid as (

    select spine.month, slo_families.slo_id, slo_families.family
    from spine
    cross join slo_families

),

joined as (

    select
        grid.month,
        grid.slo_id,
        targets.description,
        targets.target,
        targets.comparator,
        coalesce(measured.numerator, 0) as numerator,
        coalesce(measured.denominator, 0) as denominator,
        case
            -- the worst snapshot's count itself is the actual
            when grid.slo_id = 'expired_certs_production' then cast(measured.numerator as double)
            else {{ safe_ratio('measured.numerator', 'measured.denominator') }}
        end as actual,
        coverage.month is not null as covered,
        {{ period_complete('grid.month', 'month') }} as period_complete
    from grid
    inner join targets
        on grid.slo_id = targets.metric_id
    left join measured
        on grid.month = measured.month
        and grid.slo_id = measured.slo_id
    left join coverage
        on grid.month = coverage.month
        and grid.family = coverage.family

),

final as (

    select
        month,
        slo_id,
        description,
        target,
        comparator,
        actual,
        numerator,
        denominator,
        case
            -- no evidence is not met: backup data but no finished restore test (so far)
            when slo_id = 'backup_restore_test' and covered and denominator = 0
                then {{ awaiting_evidence_status('period_complete') }}
            else {{ target_status('actual', 'comparator', 'target', 'covered') }}
        end as status,
        period_complete,
        {{ as_of() }} as as_of
    from joined

)

select * from final
where {{ in_partition('month') }}
