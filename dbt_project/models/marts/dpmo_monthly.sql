{#-
  Six Sigma DPMO per process and month (METRICS.md "Six Sigma"). Each process
  reads its units from the intermediate model that judges them, so the SLOs and
  DPMO share one definition of every population:
    patch_management        vulnerability instances (critical..low) due in the month and by as_of; defect: not fixed by due_at
    configuration_and_code  misconfiguration, secret or code instance due in the month and by as_of
                            (METRICS.md "Finding classes"); defect: not fixed by due_at
    mfa_enforcement         privileged active identity per snapshot in the month; defect: no MFA
    certificate_management  production certificate per snapshot in the month; defect: expired at observed_at
    backup                  finished backup job started in the month, 2 opportunities; defects: not
                            succeeded, encrypted not true (false or unknown), each once
    restore_testing         finished restore or DR test started in the month; defect: not succeeded
    access_review           review item due in the month and by as_of; defect: not decided by due_at
    deprovisioning          account terminated in the month, grace ended by as_of; defect: disabled late or never
    training                required assignment due in the month and by as_of; defect: not completed by due_at
    incident_detection      security P1 detected in the month; defect: detected more than 1 h after occurrence
  The row process = 'all' sums defects and opportunities over the processes.
-#}
with spine as (

    select month from {{ ref('int_month_spine') }}

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

review_items as (

    select * from {{ ref('int_access_review_items_judged') }}

),

accounts as (

    select * from {{ ref('int_identity_accounts') }}

),

assignments as (

    select * from {{ ref('int_training_assignments_due') }}

),

incidents as (

    select * from {{ ref('int_incidents_valid') }}

),

finished_jobs as (

    select *, {{ month_of('started_at') }} as started_month
    from backup_jobs
    where {{ is_finished_job() }}

),

process_counts as (

    select due_month as month, 'patch_management' as process, 1 as opportunities_per_unit,
           count(*) as units, count(*) filter (where not met_window) as defects
    from finding_instances
    where severity in ('critical', 'high', 'medium', 'low') and is_due and exclusion_reason is null
        and finding_class = 'vulnerability'
    group by due_month

    union all

    select due_month, 'configuration_and_code', 1,
           count(*), count(*) filter (where not met_window)
    from finding_instances
    where finding_class in ('misconfiguration', 'secret', 'code') and is_due and exclusion_reason is null
    group by due_month

    union all

    select snapshot_month, 'mfa_enforcement', 1,
           sum(privileged_active), sum(privileged_active_without_mfa)
    from identity_snapshots
    group by snapshot_month

    union all

    select snapshot_month, 'certificate_management', 1,
           sum(production_certificates), sum(expired_production_certificates)
    from certificate_snapshots
    group by snapshot_month

    union all

    select started_month, 'backup', 2,
           count(*),
           count(*) filter (where coalesce(status, '') <> 'succeeded')
           + count(*) filter (where not coalesce(encrypted, false))
    from finished_jobs
    where job_type = 'backup'
    group by started_month

    union all

    select started_month, 'restore_testing', 1,
           count(*), count(*) filter (where coalesce(status, '') <> 'succeeded')
    from finished_jobs
    where job_type in ('restore_test', 'dr_test')
    group by started_month

    union all

    select due_month, 'access_review', 1, count(*), count(*) filter (where is_defect)
    from review_items
    where is_due
    group by due_month

    union all

    select terminated_month, 'deprovisioning', 1, count(*), count(*) filter (where is_deprovisioning_defect)
    from accounts
    where terminated_at is not null and is_due
    group by terminated_month

    union all

    select due_month, 'training', 1, count(*), count(*) filter (where not completed_on_time)
    from assignments
    where exclusion_reason is null
    group by due_month

    union all

    select detected_month, 'incident_detection', 1, count(*), count(*) filter (where hours_to_detect > 1)
    from incidents
    where {{ is_measured_p1_detection() }}
    group by detected_month

),

processes as (

    select * from (values
        ('patch_management', 1), ('configuration_and_code', 1), ('mfa_enforcement', 1), ('certificate_management', 1),
        ('backup', 2), ('restore_testing', 1), ('access_review', 1),
        ('deprovisioning', 1), ('training', 1), ('incident_detection', 1)
    ) as t(process, opportunities_per_unit)

),

per_process as (

    select
        spine.month,
        processes.process,
        coalesce(process_counts.units, 0) as units,
        processes.opportunities_per_unit,
        coalesce(process_counts.units, 0) * processes.opportunities_per_unit as opportunities,
        coalesce(process_counts.defects, 0) as defects
    from spine
    cross join processes
    left join process_counts
        on spine.month = process_counts.month
        and processes.process = process_counts.process

),

all_processes as (

    select
        month,
        'all' as process,
        sum(units) as units,
        cast(null as integer) as opportunities_per_unit,
        sum(opportunities) as opportunities,
        sum(defects) as defects
    from per_process
    group by month

),

combined as (

    select * from per_process
    union all
    select * from all_processes

),

final as (

    select
        month,
        process,
        cast(units as bigint) as units,
        opportunities_per_unit,
        cast(opportunities as bigint) as opportunities,
        cast(defects as bigint) as defects,
        1e6 * {{ safe_ratio('defects', 'opportunities') }} as dpmo,
        {{ sigma_level('defects', 'opportunities') }} as sigma_level,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from combined

)

select * from final
where {{ in_partition('month') }}
