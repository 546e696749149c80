{#-
  What someone must do now, at the run's as_of (METRICS.md "Further tables":
  metrics.action_items). One row per item; an item leaves the table as soon as the
  evidence (timestamped <= as_of) shows it done. Every category reads the
  intermediate model that already applies METRICS.md's rules to its records, and
  judges it at as_of ("due_at has passed at t" means due_at < t; equalities favour
  the team; evidence after as_of is ignored):

    finding_past_due        finding instance not fixed by as_of whose due_at < as_of
                            (macro finding_is_past_due_at; int_finding_remediation),
                            every asset environment and every finding class (the
                            details name a misconfiguration, secret or code class).
                            since first_seen_at.
    privileged_without_mfa  active privileged account without MFA in its directory's
                            latest identity snapshot at or before as_of (each directory
                            separately). since = the first snapshot of the current
                            uninterrupted run of that directory's snapshots showing the
                            account so (a snapshot where it is absent, inactive,
                            unprivileged or with MFA ends a run). No due_at.
    expired_certificate     production certificate (blank environment is not
                            production) expired at observed_at (not_after <
                            observed_at) in the latest certificate snapshot at or before
                            as_of. since = due_at = not_after.
    training_overdue        required assignment with due_at < as_of not completed by
                            as_of (completed_at <= as_of); a late completion closes it.
                            since assigned_at.
    deprovisioning_late     account (directory, user_id) whose terminated_at + 24 h <
                            as_of and that is not disabled by as_of (disabled_at <=
                            as_of; int_identity_accounts). since terminated_at.
    backup_failed           the latest backup job of a system finished by as_of (not
                            running, started and, when given, completed by as_of) did
                            not succeed (failed, partial or blank status). since = the
                            start of the first unsuccessful backup after the system's
                            last succeeded one. No due_at.
    restore_test_missing    a system with a finished backup started in the last N days
                            (var restore_test_max_age_days, default 31) whose latest
                            succeeded restore test (job_type restore_test, finished by
                            as_of) started more than N days before as_of, or that has
                            none and whose first finished backup did. since = that test
                            (or first backup); due_at = since + N days < as_of.
    review_overdue          access-review item with due_at < as_of not decided by as_of
                            (decided_at <= as_of); a late decision closes it. The item
                            has no start time: since = due_at.

  owner: the person the data names as the one to act: the reviewer (reviewer_id) of a
  review item, the assignee (user_id) of a training assignment, the account (user_id)
  that must enrol MFA; NULL where the canonical data names nobody (findings,
  certificates, deprovisioning, backups).
  subject: a readable name of the thing; source_key: its key in the source model
  (unique per category); action_item_id = md5 of category and source_key.
  hours_overdue: as_of - due_at (hours) when the item has a due_at.
-#}

{%- set restore_days = var('restore_test_max_age_days', 31) -%}
{%- if restore_days is none or restore_days is string or restore_days is boolean
        or not (restore_days is number) or restore_days <= 0 -%}
    {{- exceptions.raise_compiler_error("var restore_test_max_age_days must be a number of days > 0, got " ~ restore_days) -}}
{%- endif -%}
{%- set restore_window = 'to_microseconds(' ~ ((restore_days * 86400000000) | round | int) ~ ')' -%}
{%- set ts_format = "'%Y-%m-%d %H:%M UTC'" -%}

with finding_instances as (

    select * from {{ ref('int_finding_remediation') }}

),

identities as (

    select * from {{ ref('int_identity_snapshots') }}
    where snapshot_at <= {{ as_of() }}

),

certificates as (

    select * from {{ ref('int_certificate_snapshots') }}
    where observed_at <= {{ as_of() }}

),

assignments as (

    select * from {{ ref('int_training_assignments_due') }}

),

accounts as (

    select * from {{ ref('int_identity_accounts') }}

),

backup_jobs as (

    select * from {{ ref('int_backup_jobs_merged') }}

),

review_items as (

    select * from {{ ref('int_access_review_items_judged') }}

),

-- ---- finding_past_due -------------------------------------------------------------

findings_past_due as (

    select
        'finding_past_due' as category,
        'scanner' as family,
        finding_instance_id as source_key,
        asset_id || ' ' || vulnerability_id || coalesce(' ' || package, '') || ' (' || scanner || ')' as subject,
        cast(null as varchar) as owner,
        first_seen_at as since,
        due_at,
        format(
            '{}{} finding on {} ({}), decision {}, open since {}, due {}',
            -- the class is named for a misconfiguration, secret or code finding
            severity, coalesce(' ' || nullif(finding_class, 'vulnerability'), ''), asset_id, coalesce(asset_environment, 'environment unknown'), decision,
            strftime(first_seen_at, {{ ts_format }}), strftime(due_at, {{ ts_format }})
        ) as details
    from finding_instances
    where first_seen_at <= {{ as_of() }}
        and {{ finding_is_past_due_at('due_at', 'case when fixed_at <= ' ~ as_of() ~ ' then fixed_at end', as_of()) }}

),

-- ---- privileged_without_mfa -------------------------------------------------------

privileged_without_mfa_rows as (

    -- every snapshot row showing an active privileged account without MFA
    select directory, snapshot_at, user_id
    from identities
    where is_privileged_active and not coalesce(mfa_enabled, false)

),

directory_snapshots as (

    select distinct directory, snapshot_at
    from identities

),

latest_directory_snapshots as (

    select directory, max(snapshot_at) as snapshot_at
    from directory_snapshots
    group by directory

),

mfa_missing_now as (

    select identities.*
    from identities
    inner join latest_directory_snapshots
        on identities.directory = latest_directory_snapshots.directory
        and identities.snapshot_at = latest_directory_snapshots.snapshot_at
    where identities.is_privileged_active and not coalesce(identities.mfa_enabled, false)

),

mfa_last_good as (

    -- the latest snapshot of the directory that did NOT show the account privileged
    -- without MFA (absent, inactive, unprivileged or with MFA)
    select
        mfa_missing_now.directory,
        mfa_missing_now.user_id,
        max(directory_snapshots.snapshot_at) as last_good_at
    from mfa_missing_now
    inner join directory_snapshots
        on directory_snapshots.directory = mfa_missing_now.directory
    left join privileged_without_mfa_rows as bad
        on bad.directory = mfa_missing_now.directory
        and bad.user_id = mfa_missing_now.user_id
        and bad.snapshot_at = directory_snapshots.snapshot_at
    where bad.user_id is null
    group by mfa_missing_now.directory, mfa_missing_now.user_id

),

privileged_without_mfa as (

    select
        'privileged_without_mfa' as category,
        'iam' as family,
        mfa_missing_now.directory || ':' || mfa_missing_now.user_id as source_key,
        mfa_missing_now.user_id || ' (' || mfa_missing_now.directory || ')' as subject,
        mfa_missing_now.user_id as owner,
        min(bad.snapshot_at) as since,
        cast(null as timestamptz) as due_at,
        format(
            'active privileged account without MFA in the {} snapshot of {}',
            mfa_missing_now.directory, strftime(mfa_missing_now.snapshot_at, {{ ts_format }})
        ) as details
    from mfa_missing_now
    inner join privileged_without_mfa_rows as bad
        on bad.directory = mfa_missing_now.directory
        and bad.user_id = mfa_missing_now.user_id
    left join mfa_last_good
        on mfa_last_good.directory = mfa_missing_now.directory
        and mfa_last_good.user_id = mfa_missing_now.user_id
    where mfa_last_good.last_good_at is null
        or bad.snapshot_at > mfa_last_good.last_good_at
    group by mfa_missing_now.directory, mfa_missing_now.user_id, mfa_missing_now.snapshot_at

),

-- ---- expired_certificate ----------------------------------------------------------

expired_certificates as (

    select
        'expired_certificate' as category,
        'scanner' as family,
        md5(to_json([certificates.asset_id, certificates.serial, certificates.subject])) as source_key,
        certificates.asset_id || ' ' || coalesce(certificates.subject, '(no subject)')
            || ' serial ' || coalesce(certificates.serial, '(none)') as subject,
        cast(null as varchar) as owner,
        certificates.not_after as since,
        certificates.not_after as due_at,
        format(
            'production certificate expired {}, still served at {}',
            strftime(certificates.not_after, {{ ts_format }}),
            strftime(certificates.observed_at, {{ ts_format }})
        ) as details
    from certificates
    where certificates.observed_at = (select max(observed_at) from certificates)
        and certificates.is_production
        and certificates.is_expired

),

-- ---- training_overdue -------------------------------------------------------------

training_overdue as (

    select
        'training_overdue' as category,
        'training' as family,
        assignment_id as source_key,
        coalesce(user_id, '(unknown user)') || ': ' || coalesce(course, assignment_id) as subject,
        user_id as owner,
        assigned_at as since,
        due_at,
        format(
            'required training {} due {}, not completed',
            coalesce(course, assignment_id), strftime(due_at, {{ ts_format }})
        ) as details
    from assignments
    where required
        and due_at < {{ as_of() }}
        and not coalesce(completed_at <= {{ as_of() }}, false)

),

-- ---- deprovisioning_late ----------------------------------------------------------

deprovisioning_late as (

    select
        'deprovisioning_late' as category,
        'iam' as family,
        directory || ':' || user_id as source_key,
        user_id || ' (' || directory || ')' as subject,
        cast(null as varchar) as owner,
        terminated_at as since,
        deprovisioning_due_at as due_at,
        format(
            'terminated {}, not disabled (status {} in the latest snapshot, {})',
            strftime(terminated_at, {{ ts_format }}), coalesce(last_status, 'blank'),
            strftime(last_snapshot_at, {{ ts_format }})
        ) as details
    from accounts
    where terminated_at is not null
        and deprovisioning_due_at < {{ as_of() }}
        and not coalesce(disabled_at <= {{ as_of() }}, false)

),

-- ---- backup_failed, restore_test_missing ------------------------------------------

finished_jobs as (

    -- finished by as_of: not running, started by as_of and, when a completion is
    -- given, completed by as_of (a job completing after as_of was still running)
    select *
    from backup_jobs
    where system_id is not null
        and {{ is_finished_job() }}
        and coalesce(completed_at <= {{ as_of() }}, true)

),

finished_backups as (

    select * from finished_jobs
    where job_type = 'backup'

),

latest_backups as (

    select *
    from finished_backups
    qualify row_number() over (
        partition by system_id
        order by started_at desc, completed_at desc nulls last, job_id desc
    ) = 1

),

last_succeeded_backups as (

    select system_id, max(started_at) as last_succeeded_at
    from finished_backups
    where status = 'succeeded'
    group by system_id

),

backups_failed as (

    select
        'backup_failed' as category,
        'backup' as family,
        latest_backups.system_id as source_key,
        latest_backups.system_id as subject,
        cast(null as varchar) as owner,
        min(failures.started_at) as since,
        cast(null as timestamptz) as due_at,
        format(
            'latest backup {} started {}: {}; {} unsuccessful backup(s) in a row, last succeeded backup {}',
            latest_backups.job_id, strftime(latest_backups.started_at, {{ ts_format }}),
            coalesce(latest_backups.status, 'blank status'), count(*),
            coalesce(strftime(any_value(last_succeeded_backups.last_succeeded_at), {{ ts_format }}), 'never')
        ) as details
    from latest_backups
    inner join finished_backups as failures
        on failures.system_id = latest_backups.system_id
    left join last_succeeded_backups
        on last_succeeded_backups.system_id = latest_backups.system_id
    where coalesce(latest_backups.status, '') <> 'succeeded'
        and coalesce(failures.status, '') <> 'succeeded'
        and (last_succeeded_backups.last_succeeded_at is null
             or failures.started_at > last_succeeded_backups.last_succeeded_at)
    group by latest_backups.system_id, latest_backups.job_id, latest_backups.started_at, latest_backups.status

),

backed_up_systems as (

    select
        system_id,
        min(started_at) as first_backup_at,
        max(started_at) as last_backup_at
    from finished_backups
    group by system_id

),

succeeded_restore_tests as (

    select system_id, max(started_at) as last_restore_test_at
    from finished_jobs
    where job_type = 'restore_test'
        and status = 'succeeded'
    group by system_id

),

restore_test_clock as (

    select
        backed_up_systems.*,
        succeeded_restore_tests.last_restore_test_at,
        coalesce(succeeded_restore_tests.last_restore_test_at, backed_up_systems.first_backup_at) as clock_start_at
    from backed_up_systems
    left join succeeded_restore_tests
        on succeeded_restore_tests.system_id = backed_up_systems.system_id
    -- still backed up: a finished backup started in the last N days
    where backed_up_systems.last_backup_at + {{ restore_window }} >= {{ as_of() }}

),

restore_tests_missing as (

    select
        'restore_test_missing' as category,
        'backup' as family,
        system_id as source_key,
        system_id as subject,
        cast(null as varchar) as owner,
        clock_start_at as since,
        clock_start_at + {{ restore_window }} as due_at,
        case
            when last_restore_test_at is not null then format(
                'no succeeded restore test in {} days (last {}); last backup {}',
                {{ restore_days }}, strftime(last_restore_test_at, {{ ts_format }}),
                strftime(last_backup_at, {{ ts_format }}))
            else format(
                'no succeeded restore test since the first backup {}; last backup {}',
                strftime(first_backup_at, {{ ts_format }}), strftime(last_backup_at, {{ ts_format }}))
        end as details
    from restore_test_clock
    where clock_start_at + {{ restore_window }} < {{ as_of() }}

),

-- ---- review_overdue ---------------------------------------------------------------

reviews_overdue as (

    select
        'review_overdue' as category,
        'iam' as family,
        item_id as source_key,
        coalesce(review_id || ' ', '') || item_id || ': access of ' || coalesce(user_id, '(unknown user)') as subject,
        reviewer_id as owner,
        due_at as since,
        due_at,
        format('access review item due {}, not decided', strftime(due_at, {{ ts_format }})) as details
    from review_items
    where due_at < {{ as_of() }}
        and not coalesce(decided_at <= {{ as_of() }}, false)

),

items as (

    select * from findings_past_due
    union all select * from privileged_without_mfa
    union all select * from expired_certificates
    union all select * from training_overdue
    union all select * from deprovisioning_late
    union all select * from backups_failed
    union all select * from restore_tests_missing
    union all select * from reviews_overdue

),

final as (

    select
        md5(category || '|' || source_key) as action_item_id,
        category,
        subject,
        owner,
        since,
        due_at,
        details,
        family,
        source_key,
        case when due_at is not null then {{ hours_between('due_at', as_of()) }} end as hours_overdue,
        {{ as_of() }} as as_of
    from items
    order by category, since, source_key

)

select * from final
