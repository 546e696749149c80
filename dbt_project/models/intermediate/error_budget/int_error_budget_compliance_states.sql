{#-
  The compliance state timeline of the compliance_drift error budget (METRICS.md
  "Error budget", "Snapshots", "Identity snapshots are complete for their own
  directory only"): piecewise constant, changing only at snapshot instants. One row
  per distinct instant (<= as_of) of an identity snapshot (any directory) or a
  certificate snapshot; the state holds from that instant (state_from) until the
  next one (state_to; NULL for the last: it holds through as_of).

  The state at t:
    identity:    each directory's latest snapshot at or before t; non-compliant when
                 ANY directory's latest snapshot shows a privileged active identity
                 without MFA. Directory snapshots are complete for their own
                 directory only, so one directory's snapshot does not end the state
                 another directory's snapshot shows (the worst directory wins, as a
                 month takes the worst directory for the SLOs). A directory with no
                 snapshot yet at t contributes nothing.
    certificate: the latest certificate snapshot at or before t; non-compliant when
                 it shows an expired production certificate (not_after < observed_at).
  is_non_compliant = identity or certificate non-compliant.
-#}
with directory_snapshots as (

    select * from {{ ref('int_identity_directory_snapshots') }}
    where snapshot_at <= {{ as_of() }}

),

certificate_snapshots as (

    select * from {{ ref('int_certificate_snapshot_counts') }}
    where observed_at <= {{ as_of() }}

),

instants as (

    select snapshot_at as state_from from directory_snapshots
    union
    select observed_at as state_from from certificate_snapshots

),

directories as (

    select distinct directory from directory_snapshots

),

instant_directories as (

    select instants.state_from, directories.directory
    from instants
    cross join directories

),

directory_states as (

    -- each directory's latest snapshot at or before the instant (none before its first)
    select
        instant_directories.state_from,
        instant_directories.directory,
        latest.snapshot_at,
        latest.has_privileged_without_mfa,
        latest.privileged_active_without_mfa
    from instant_directories
    asof inner join directory_snapshots as latest
        on instant_directories.directory = latest.directory
        and instant_directories.state_from >= latest.snapshot_at

),

identity_states as (

    select
        state_from,
        count(*) as identity_directories_observed,
        count(*) filter (where has_privileged_without_mfa) as directories_with_privileged_without_mfa,
        sum(privileged_active_without_mfa) as privileged_active_without_mfa,
        list(directory order by directory) filter (where has_privileged_without_mfa)
            as non_compliant_directories
    from directory_states
    group by state_from

),

certificate_states as (

    -- the latest certificate snapshot at or before the instant
    select
        instants.state_from,
        latest.observed_at as certificate_snapshot_at,
        latest.expired_production_certificates,
        latest.has_expired_production
    from instants
    asof inner join certificate_snapshots as latest
        on instants.state_from >= latest.observed_at

),

states as (

    select
        instants.state_from,
        lead(instants.state_from) over (order by instants.state_from) as state_to,
        coalesce(identity_states.identity_directories_observed, 0) as identity_directories_observed,
        coalesce(identity_states.privileged_active_without_mfa, 0) as privileged_active_without_mfa,
        identity_states.non_compliant_directories,
        certificate_states.certificate_snapshot_at,
        coalesce(certificate_states.expired_production_certificates, 0) as expired_production_certificates,
        coalesce(identity_states.directories_with_privileged_without_mfa, 0) > 0 as identity_non_compliant,
        coalesce(certificate_states.has_expired_production, false) as certificate_non_compliant
    from instants
    left join identity_states
        on instants.state_from = identity_states.state_from
    left join certificate_states
        on instants.state_from = certificate_states.state_from

),

final as (

    select
        state_from,
        state_to,
        identity_directories_observed,
        privileged_active_without_mfa,
        non_compliant_directories,
        certificate_snapshot_at,
        expired_production_certificates,
        identity_non_compliant,
        certificate_non_compliant,
        identity_non_compliant or certificate_non_compliant as is_non_compliant,
        {{ as_of() }} as as_of
    from states

)

select * from final
