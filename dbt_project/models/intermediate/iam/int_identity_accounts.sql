{#-
  One row per account, i.e. per (directory, user_id): the person of the
  deprovisioning process (METRICS.md DPMO "deprovisioning"; "Deprovisioning";
  "Identity snapshots are complete for their own directory only").

  A person is matched by user_id within its directory: each directory's account is
  judged on its own (an Okta account and an AWS IAM user of the same employee are
  two accounts, each of which must be disabled), because snapshots are complete
  only for their own directory and "missing from a later full snapshot" can only be
  read inside one directory.

  - terminated_at: from the latest snapshot (containing the account) that has one.
  - disabled_at: the latest non-blank value given in its snapshots (the value of the
    latest snapshot that gives one); only when none is given, derived from the
    snapshots (terminated accounts only): the snapshot_at of the first snapshot of
    its directory at or after terminated_at in which the account is no longer
    active, i.e. its status is not active, or it is missing from that full snapshot
    (a snapshot later than its first appearance).
  - judged at as_of: due when terminated_at + 24 h <= as_of; on time when disabled
    by then and by as_of (equality on time); a disablement after as_of has not
    happened, and a due account with no disablement known by as_of was never
    disabled.
  Only snapshots at or before as_of are read (int_identity_snapshots).
-#}
with snapshots as (

    select * from {{ ref('int_identity_snapshots') }}

),

directory_snapshots as (

    select distinct
        directory,
        snapshot_at
    from snapshots

),

accounts as (

    select
        directory,
        user_id,
        min(snapshot_at) as first_snapshot_at,
        max(snapshot_at) as last_snapshot_at,
        count(*) as snapshots_seen,
        arg_max(email_lower, snapshot_at) filter (where email_lower is not null) as email_lower,
        arg_max(status, snapshot_at) as last_status,
        arg_max(is_active, snapshot_at) as is_active_in_last_snapshot,
        arg_max(is_privileged, snapshot_at) as is_privileged_in_last_snapshot,
        arg_max(geography, snapshot_at) as last_geography,
        arg_max(terminated_at, snapshot_at) filter (where terminated_at is not null) as terminated_at,
        arg_max(snapshot_at, snapshot_at) filter (where terminated_at is not null) as terminated_at_snapshot_at,
        arg_max(disabled_at, snapshot_at) filter (where disabled_at is not null) as disabled_at_given
    from snapshots
    group by directory, user_id

),

no_longer_active as (

    -- snapshots of the account's directory at or after terminated_at that show it no
    -- longer active: present with a status other than active, or missing from the
    -- full snapshot after having appeared in an earlier one
    select
        accounts.directory,
        accounts.user_id,
        min(directory_snapshots.snapshot_at) as disabled_at_derived
    from accounts
    inner join directory_snapshots
        on accounts.directory = directory_snapshots.directory
        and directory_snapshots.snapshot_at >= accounts.terminated_at
    left join snapshots
        on snapshots.directory = accounts.directory
        and snapshots.user_id = accounts.user_id
        and snapshots.snapshot_at = directory_snapshots.snapshot_at
    where
        (snapshots.user_id is not null and not snapshots.is_active)
        or (snapshots.user_id is null and directory_snapshots.snapshot_at > accounts.first_snapshot_at)
    group by accounts.directory, accounts.user_id

),

disabled as (

    select
        accounts.*,
        no_longer_active.disabled_at_derived,
        coalesce(accounts.disabled_at_given, no_longer_active.disabled_at_derived) as disabled_at,
        case
            when accounts.disabled_at_given is not null then 'given'
            when no_longer_active.disabled_at_derived is not null then 'derived'
        end as disabled_source,
        accounts.terminated_at + interval 24 hour as deprovisioning_due_at
    from accounts
    left join no_longer_active
        on accounts.directory = no_longer_active.directory
        and accounts.user_id = no_longer_active.user_id

),

judged as (

    select
        *,
        -- a disablement timestamped after as_of has not happened yet
        coalesce(disabled_at <= {{ as_of() }}, false) as is_disabled,
        coalesce(deprovisioning_due_at <= {{ as_of() }}, false) as is_due,
        case
            when terminated_at is not null
                then coalesce(disabled_at <= deprovisioning_due_at and disabled_at <= {{ as_of() }}, false)
        end as deprovisioned_on_time
    from disabled

),

final as (

    select
        directory,
        user_id,
        email_lower,
        first_snapshot_at,
        last_snapshot_at,
        snapshots_seen,
        last_status,
        is_active_in_last_snapshot,
        is_privileged_in_last_snapshot,
        last_geography,
        terminated_at,
        terminated_at_snapshot_at,
        {{ month_of('terminated_at') }} as terminated_month,
        disabled_at_given,
        disabled_at_derived,
        disabled_at,
        disabled_source,
        is_disabled,
        deprovisioning_due_at,
        is_due,
        deprovisioned_on_time,
        case
            when terminated_at is null then 'not_terminated'
            when not is_due then 'not_due'
            when deprovisioned_on_time then 'on_time'
            when is_disabled then 'late'
            else 'never_disabled'
        end as deprovisioning_state,
        is_due and not deprovisioned_on_time as is_deprovisioning_defect,
        case
            when is_disabled then {{ hours_between('terminated_at', 'disabled_at') }}
        end as hours_to_disable,
        {{ as_of() }} as as_of
    from judged

)

select * from final
