{#-
  The period of a row against the run's as_of (METRICS.md "Conventions"): a period is
  complete when it ended at or before as_of (its end is the first instant of the next
  period, so a month that ended exactly at as_of is complete), and in progress when it
  contains as_of. `pending` exists only in a period in progress.
-#}

{#- SQL: the first instant after the period starting on `period_start` (a DATE), as TIMESTAMPTZ (UTC). -#}
{% macro period_end_at(period_start, period='month') -%}
    {%- set lengths = {'week': 'interval 7 day', 'month': 'interval 1 month',
                       'quarter': 'interval 3 month', 'year': 'interval 1 year'} -%}
    {%- if period not in lengths -%}
        {{- exceptions.raise_compiler_error("period_end_at: period must be one of " ~ (lengths.keys() | list) ~ ", got " ~ period) -}}
    {%- endif -%}
    (cast({{ period_start }} as timestamptz) + {{ lengths[period] }})
{%- endmacro %}

{#- SQL boolean: the period starting on `period_start` ended at or before as_of. -#}
{% macro period_complete(period_start, period='month') -%}
    ({{ period_end_at(period_start, period) }} <= {{ as_of() }})
{%- endmacro %}

{#-
  SQL: the status of a row whose evidence has not arrived (no restore test in the month,
  no finished DR test in the quarter): `pending` while its period is in progress, since
  the evidence may still come before the period ends; `once_complete` (default
  `breached`: no evidence is not met) once the period has ended.
-#}
{% macro awaiting_evidence_status(period_complete_expression, once_complete='breached') -%}
    case when {{ period_complete_expression }} then '{{ once_complete }}' else 'pending' end
{%- endmacro %}
