{#-
  The person and geography of every training event (METRICS.md "Training and
  phishing": geography of a person; "Edge rules": People, Snapshots, "A row's own
  country that does not map to a geography falls through to the directory").

  Events: the assignments of int_training_assignments_due (event time due_at) and
  the e-mails of int_phishing_emails_sent (event time sent_at).

  Geography, first that applies:
  1. row_country: the row's own country when it maps via the seed country_geography
     (an unmapped country, e.g. XX, falls through as if blank);
  2. snapshot_before: the person's geography in the latest identity snapshot at or
     before the event (snapshot_at <= event time) that contains the person;
  3. snapshot_after: else in the earliest snapshot after the event;
  4. else UNKNOWN (geography_source NULL).
  Only snapshots at or before as_of exist (int_identity_snapshots), so a snapshot
  after as_of is never used. A person's geography in a snapshot is the one
  int_identity_snapshots resolved (AMER/EMEA/APAC given, else the country's, else
  UNKNOWN).

  The person in a snapshot (one directory at one instant): the account whose
  user_id equals the training user_id, else the account whose e-mail equals it,
  both trimmed and case-insensitive (the lowest account user_id if several accounts
  share that e-mail). Snapshots of different directories at the same instant: the
  user_id match wins, then a resolved geography over UNKNOWN, then the directory
  name, so the choice is deterministic.

  person_in_directory: some snapshot (at or before as_of) contains the person; the
  data-quality checks count the events of people the directory does not know.
-#}
with assignments as (

    select * from {{ ref('int_training_assignments_due') }}

),

phishing as (

    select * from {{ ref('int_phishing_emails_sent') }}

),

identities as (

    select * from {{ ref('int_identity_snapshots') }}

),

country_geography as (

    select * from {{ ref('country_geography') }}

),

events as (

    select
        'assignment' as event_type,
        assignment_id as event_id,
        user_id,
        due_at as event_at,
        country
    from assignments

    union all

    select
        'phishing' as event_type,
        phishing_email_id as event_id,
        user_id,
        sent_at as event_at,
        country
    from phishing

),

keyed_events as (

    select
        *,
        nullif(lower(trim(user_id)), '') as person_key
    from events

),

people as (

    select distinct person_key
    from keyed_events
    where person_key is not null

),

identity_keys as (

    select
        directory,
        snapshot_at,
        user_id as identity_user_id,
        nullif(lower(trim(user_id)), '') as user_id_key,
        email_lower,
        geography
    from identities

),

candidate_accounts as (

    -- two equi-joins rather than one join on "user_id or e-mail"
    select
        people.person_key,
        identity_keys.directory,
        identity_keys.snapshot_at,
        identity_keys.identity_user_id,
        identity_keys.geography,
        'user_id' as matched_by,
        1 as match_rank
    from people
    inner join identity_keys
        on identity_keys.user_id_key = people.person_key

    union all

    select
        people.person_key,
        identity_keys.directory,
        identity_keys.snapshot_at,
        identity_keys.identity_user_id,
        identity_keys.geography,
        'email' as matched_by,
        2 as match_rank
    from people
    inner join identity_keys
        on identity_keys.email_lower = people.person_key

),

person_snapshots as (

    -- one row per person x snapshot instant that contains the person: within a
    -- directory's snapshot the user_id match, else the e-mail match; across the
    -- directories snapshotted at the same instant, see the header
    select *
    from candidate_accounts
    qualify row_number() over (
        partition by person_key, snapshot_at
        order by match_rank, geography = 'UNKNOWN', directory, identity_user_id
    ) = 1

),

snapshot_before as (

    select
        keyed_events.event_type,
        keyed_events.event_id,
        person_snapshots.directory,
        person_snapshots.snapshot_at,
        person_snapshots.identity_user_id,
        person_snapshots.matched_by,
        person_snapshots.geography
    from keyed_events
    inner join person_snapshots
        on person_snapshots.person_key = keyed_events.person_key
        and person_snapshots.snapshot_at <= keyed_events.event_at
    qualify row_number() over (
        partition by keyed_events.event_type, keyed_events.event_id
        order by person_snapshots.snapshot_at desc
    ) = 1

),

snapshot_after as (

    select
        keyed_events.event_type,
        keyed_events.event_id,
        person_snapshots.directory,
        person_snapshots.snapshot_at,
        person_snapshots.identity_user_id,
        person_snapshots.matched_by,
        person_snapshots.geography
    from keyed_events
    inner join person_snapshots
        on person_snapshots.person_key = keyed_events.person_key
        and person_snapshots.snapshot_at > keyed_events.event_at
    qualify row_number() over (
        partition by keyed_events.event_type, keyed_events.event_id
        order by person_snapshots.snapshot_at asc
    ) = 1

),

resolved as (

    select
        keyed_events.event_type,
        keyed_events.event_id,
        keyed_events.user_id,
        keyed_events.person_key,
        keyed_events.event_at,
        keyed_events.country,
        upper(country_geography.geography) as country_geography,
        -- the directory's answer: the latest snapshot at or before, else the earliest after
        case
            when snapshot_before.snapshot_at is not null then 'snapshot_before'
            when snapshot_after.snapshot_at is not null then 'snapshot_after'
        end as directory_source,
        coalesce(snapshot_before.directory, snapshot_after.directory) as identity_directory,
        coalesce(snapshot_before.snapshot_at, snapshot_after.snapshot_at) as identity_snapshot_at,
        coalesce(snapshot_before.identity_user_id, snapshot_after.identity_user_id) as identity_user_id,
        coalesce(snapshot_before.matched_by, snapshot_after.matched_by) as matched_by,
        coalesce(snapshot_before.geography, snapshot_after.geography) as directory_geography
    from keyed_events
    left join country_geography
        on keyed_events.country = upper(country_geography.country_code)
    left join snapshot_before
        on snapshot_before.event_type = keyed_events.event_type
        and snapshot_before.event_id = keyed_events.event_id
    left join snapshot_after
        on snapshot_after.event_type = keyed_events.event_type
        and snapshot_after.event_id = keyed_events.event_id

),

final as (

    select
        event_type,
        event_id,
        user_id,
        person_key,
        event_at,
        {{ month_of('event_at') }} as event_month,
        country,
        country_geography,
        coalesce(country_geography, directory_geography, 'UNKNOWN') as geography,
        case
            when country_geography is not null then 'row_country'
            else directory_source
        end as geography_source,
        directory_source is not null as person_in_directory,
        matched_by,
        identity_directory,
        identity_snapshot_at,
        identity_user_id,
        directory_geography,
        {{ as_of() }} as as_of
    from resolved

)

select * from final
