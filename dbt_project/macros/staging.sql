{#- Normalisation helpers shared by the staging models (METRICS.md "Edge rules"). -#}

{#- An enumeration compared case-insensitively: trimmed, lower-cased, blank -> NULL. -#}
{% macro normalise_enum(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- Upper-cased text, blank -> NULL. -#}
{% macro normalise_upper(column) -%}
    nullif(upper(trim({{ column }})), '')
{%- endmacro %}

{#- A geography: AMER, EMEA or APAC (any case), anything else (blank included) -> UNKNOWN. -#}
{% macro normalise_geography(column) -%}
    case
        when upper(trim({{ column }})) in ('AMER', 'EMEA', 'APAC') then upper(trim({{ column }}))
        else 'UNKNOWN'
    end
{%- endmacro %}

{#- Vulnerability severity: vocabulary, vendor words, else derived from CVSS (SOURCES.md). -#}
{% macro normalise_finding_severity(severity, cvss_score) -%}
    case {{ normalise_enum(severity) }}
        when 'critical' then 'critical'
        when 'high' then 'high'
        when 'medium' then 'medium'
        when 'low' then 'low'
        when 'info' then 'info'
        when 'moderate' then 'medium'
        when 'important' then 'high'
        when 'informational' then 'info'
        when 'none' then 'info'
        when 'negligible' then 'low'
        else {{ severity_from_cvss(cvss_score) }}
    end
{%- endmacro %}

{#-
  Finding class (SOURCES.md "scanner: findings"; METRICS.md "Finding classes"):
  vulnerability, misconfiguration, secret or code, any case; blank -> vulnerability.
  An unrecognised word also counts as vulnerability (the contract's default class, so
  a mistyped class never leaves the patch metrics); finding_class_reported keeps the
  word for the data-quality checks.
-#}
{% macro normalise_finding_class(finding_class) -%}
    case {{ normalise_enum(finding_class) }}
        when 'misconfiguration' then 'misconfiguration'
        when 'secret' then 'secret'
        when 'code' then 'code'
        else 'vulnerability'
    end
{%- endmacro %}

{% macro finding_severity_is_known(severity) -%}
    coalesce({{ normalise_enum(severity) }} in (
        'critical', 'high', 'medium', 'low', 'info',
        'moderate', 'important', 'informational', 'none', 'negligible'
    ), false)
{%- endmacro %}

{% macro severity_from_cvss(cvss_score) -%}
    case
        when {{ cvss_score }} >= 9.0 then 'critical'
        when {{ cvss_score }} >= 7.0 then 'high'
        when {{ cvss_score }} >= 4.0 then 'medium'
        when {{ cvss_score }} > 0 then 'low'
        else 'info'
    end
{%- endmacro %}

{#- The lineage columns every staging model keeps (`_withdrawn` rows are dropped). -#}
{% macro lineage_columns(relation_alias=none) -%}
    {%- set prefix = (relation_alias ~ '.') if relation_alias else '' -%}
    {{ prefix }}_extra,
    {{ prefix }}_source_file,
    {{ prefix }}_source_sha256,
    {{ prefix }}_format,
    {{ prefix }}_source_row,
    {{ prefix }}_loaded_at,
    {{ prefix }}_naive_timestamps
{%- endmacro %}

{% macro not_withdrawn() -%}
    not coalesce(_withdrawn, false)
{%- endmacro %}
