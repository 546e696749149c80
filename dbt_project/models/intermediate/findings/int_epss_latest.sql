{#-
  The EPSS score of each CVE as of the run (SOURCES.md "scanner: findings"): one row
  per CVE, from the latest score_date <= as_of (evidence after as_of is ignored).
  Rows without a score_date (a file without its '#model_version:...,score_date:...'
  line) cannot be placed in time and are left out. Two files with the same
  score_date: the later file name wins, then the later load, sha256 and row.
  EPSS is enrichment only: it never sets exploited_in_wild.
-#}
with scores as (

    select * from {{ ref('stg_scanner__epss_scores') }}
    where cve is not null
        and score_date is not null
        and score_date <= {{ as_of() }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by cve
            order by
                score_date desc,
                _source_file desc,
                _loaded_at desc,
                _source_sha256 desc,
                _source_row desc
        ) as _precedence_rank
    from scores

),

final as (

    select
        cve,
        epss as epss_score,
        percentile as epss_percentile,
        model_version as epss_model_version,
        score_date as epss_score_date,
        _source_file,
        _source_row,
        {{ as_of() }} as as_of
    from ranked
    where _precedence_rank = 1

)

select * from final
