{#-
  The phishing-simulation e-mails of the training metrics, judged at as_of
  (METRICS.md "Training and phishing"; "Blank booleans"; "Conventions").

  One row per e-mail sent by as_of (sent_at <= as_of). Phishing rows are single
  e-mails and are never merged: a campaign may send one person several, and each
  row keeps its own key phishing_email_id (its export, file bytes and record number:
  identical files are loaded once, so the key is unique).
  - delivered: `delivered` (blank = false, defaulted in staging);
  - clicked / reported: clicked_at / reported_at set and <= as_of (a click or
    report after as_of has not happened yet).
  An e-mail clicked or reported before it was sent violates the operational
  definition: it keeps its row with an exclusion_reason, is left out of the metrics
  and is counted by the data-quality checks.
-#}
with phishing as (

    select * from {{ ref('stg_training__phishing_results') }}

),

sent as (

    select *
    from phishing
    where sent_at <= {{ as_of() }}

),

final as (

    select
        md5(concat_ws('|', _source_file, _source_sha256, cast(_source_row as varchar))) as phishing_email_id,
        campaign_id,
        user_id,
        sent_at,
        {{ month_of('sent_at') }} as sent_month,
        delivered,
        clicked_at,
        reported_at,
        country,
        delivered as is_delivered,
        coalesce(clicked_at <= {{ as_of() }}, false) as is_clicked,
        coalesce(reported_at <= {{ as_of() }}, false) as is_reported,
        case
            when clicked_at < sent_at and clicked_at <= {{ as_of() }} then 'clicked_before_sent'
            when reported_at < sent_at and reported_at <= {{ as_of() }} then 'reported_before_sent'
        end as exclusion_reason,
        _source_file,
        _source_sha256,
        _source_row,
        {{ as_of() }} as as_of
    from sent

)

select * from final
