{#-
  Time helpers. Every computation is in UTC: the profile sets the session
  TimeZone to UTC, which DuckDB's month truncation of a TIMESTAMPTZ follows.
-#}

{#- The var `as_of` as an ISO-8601 string; "now" (or empty) = start of this dbt invocation, UTC. -#}
{% macro as_of_literal() -%}
    {%- set value = var('as_of', 'now') -%}
    {%- if value is none or (value | string | trim | lower) in ('', 'now', 'none', 'null') -%}
        {%- set started = run_started_at or modules.datetime.datetime.now(modules.pytz.utc) -%}
        {%- set value = started.astimezone(modules.pytz.utc).strftime('%Y-%m-%dT%H:%M:%S.%f') ~ '+00:00' -%}
    {%- endif -%}
    {{- return(value | string | trim) -}}
{%- endmacro %}

{#- SQL expression: the run's as_of as TIMESTAMPTZ (a value without offset is read as UTC). -#}
{% macro as_of() -%}
    cast('{{ as_of_literal() | replace("'", "''") }}' as timestamptz)
{%- endmacro %}

{#- SQL expression: the calendar month (UTC) of a TIMESTAMPTZ, as the DATE of its first day. -#}
{% macro month_of(ts) -%}
    cast(date_trunc('month', {{ ts }}) as date)
{%- endmacro %}

{#- SQL expression: hours from `start_ts` to `end_ts` as DOUBLE (microsecond precision). -#}
{% macro hours_between(start_ts, end_ts) -%}
    (cast(epoch_us({{ end_ts }}) - epoch_us({{ start_ts }}) as double) / 3600000000)
{%- endmacro %}
