{#-
  The vulnerability remediation rules (METRICS.md "Vulnerability remediation
  windows (risk matrix)", "Instants"), one definition each, shared by the
  findings models and the marts built on them. Configuration comes from the
  vars `finding_remediation_window_hours` and `regular_maintenance_window`
  (dbt_project.yml; documented in the project README).
-#}

{#- The decisions whose due_at is first_seen_at (or a KEV dateAdded) plus a fixed window. -#}
{% macro finding_fixed_window_decisions() -%}
    {{- return(['emergency_maintenance', 'emergency_patch', 'maintenance_window_7d']) -}}
{%- endmacro %}

{#-
  The var `finding_remediation_window_hours`, validated: {decision: hours (number > 0)};
  a key left out (a --vars override of one decision) takes the METRICS.md default.
-#}
{% macro finding_remediation_window_hours() -%}
    {%- set defaults = {'emergency_maintenance': 24, 'emergency_patch': 24, 'maintenance_window_7d': 168} -%}
    {%- set configured = var('finding_remediation_window_hours', {}) -%}
    {%- if configured is not mapping -%}
        {{- exceptions.raise_compiler_error("var finding_remediation_window_hours must be a mapping") -}}
    {%- endif -%}
    {%- set hours = {} -%}
    {%- for decision in finding_fixed_window_decisions() -%}
        {%- set value = configured.get(decision, defaults[decision]) -%}
        {%- if value is none or value is string or value is boolean or not (value is number) or value <= 0 -%}
            {{- exceptions.raise_compiler_error(
                "var finding_remediation_window_hours." ~ decision ~ " must be a number of hours > 0, got " ~ value) -}}
        {%- endif -%}
        {%- do hours.update({decision: value}) -%}
    {%- endfor -%}
    {{- return(hours) -}}
{%- endmacro %}

{#-
  SQL: the risk-matrix decision of an instance from its severity (critical, high,
  medium, low, info) and exploited flag (NULL = not exploited).
-#}
{% macro finding_decision(severity, exploited) -%}
    case
        when {{ severity }} = 'critical' and coalesce({{ exploited }}, false) then 'emergency_maintenance'
        when {{ severity }} = 'critical' then 'emergency_patch'
        when {{ severity }} = 'high' and coalesce({{ exploited }}, false) then 'emergency_maintenance'
        when {{ severity }} = 'high' then 'maintenance_window_7d'
        when {{ severity }} in ('medium', 'low') and coalesce({{ exploited }}, false) then 'maintenance_window_7d'
        when {{ severity }} in ('medium', 'low') then 'next_regular_window'
        else 'none'
    end
{%- endmacro %}

{#-
  SQL: due_at of a decision. `start_at` is the start of the clock (first_seen_at;
  a KEV dateAdded for an escalation), `next_window_end_at` the end of the first
  regular maintenance window starting strictly after first_seen_at. 'none' (info)
  has no due_at (NULL).
-#}
{% macro finding_due_at(decision, start_at, next_window_end_at) -%}
    {%- set hours = finding_remediation_window_hours() -%}
    case {{ decision }}
        {%- for name, value in hours.items() %}
        when '{{ name }}' then {{ start_at }} + to_microseconds({{ (value * 3600000000) | round | int }})
        {%- endfor %}
        when 'next_regular_window' then {{ next_window_end_at }}
    end
{%- endmacro %}

{#- SQL: the instance met its window (fixed_at <= due_at: an equality favours the team); NULL when either is NULL. -#}
{% macro finding_fixed_in_window(fixed_at, due_at) -%}
    ({{ fixed_at }} <= {{ due_at }})
{%- endmacro %}

{#- SQL: the instance is open at t (first_seen_at <= t < fixed_at; never fixed = open). -#}
{% macro finding_is_open_at(first_seen_at, fixed_at, t) -%}
    ({{ first_seen_at }} <= {{ t }} and ({{ fixed_at }} is null or {{ t }} < {{ fixed_at }}))
{%- endmacro %}

{#-
  SQL: the instance is open past due at t: its due_at has passed (due_at < t) and it
  is not fixed by t. An instance without due_at (info) is never past due.
-#}
{% macro finding_is_past_due_at(due_at, fixed_at, t) -%}
    coalesce({{ due_at }} < {{ t }} and ({{ fixed_at }} is null or {{ fixed_at }} > {{ t }}), false)
{%- endmacro %}

{#-
  SQL: the remediation state at t of an instance whose fixed_at is already limited to
  evidence up to t: fixed_in_window (fixed by due_at, or fixed without a window),
  fixed_late, open_past_due (due_at < t), or open.
-#}
{% macro finding_state_at(fixed_at, due_at, t) -%}
    case
        when {{ fixed_at }} is not null and coalesce({{ finding_fixed_in_window(fixed_at, due_at) }}, true)
            then 'fixed_in_window'
        when {{ fixed_at }} is not null then 'fixed_late'
        when {{ finding_is_past_due_at(due_at, fixed_at, t) }} then 'open_past_due'
        else 'open'
    end
{%- endmacro %}

{#- SQL: hours from due_at to the fix, or to t while open; 0 when not past due; NULL without due_at. -#}
{% macro finding_hours_past_due_at(fixed_at, due_at, t) -%}
    case
        when {{ due_at }} is not null
            then greatest({{ hours_between(due_at, 'coalesce(' ~ fixed_at ~ ', ' ~ t ~ ')') }}, 0)
    end
{%- endmacro %}

{#-
  The var `regular_maintenance_window`, validated, as a dict: weekday (ISO 1 = Monday
  .. 7 = Sunday), week_of_month (1..5, or -1 = the last such weekday of the month),
  start_hour, start_minute (UTC), duration_minutes, months_after_as_of. A key left
  out takes the default (the first Saturday, 02:00 UTC, 4 hours; 12 months).
-#}
{% macro regular_maintenance_window_config() -%}
    {%- set c = var('regular_maintenance_window', {}) -%}
    {%- if c is not mapping -%}
        {{- exceptions.raise_compiler_error("var regular_maintenance_window must be a mapping") -}}
    {%- endif -%}
    {%- set weekday = c.get('weekday', 6) -%}
    {%- set week_of_month = c.get('week_of_month', 1) -%}
    {%- set start = (c.get('start', '02:00') | string).strip() -%}
    {%- set duration_hours = c.get('duration_hours', 4) -%}
    {%- set months_after_as_of = c.get('months_after_as_of', 12) -%}
    {%- if weekday not in [1, 2, 3, 4, 5, 6, 7] -%}
        {{- exceptions.raise_compiler_error("regular_maintenance_window.weekday must be an ISO weekday 1..7, got " ~ weekday) -}}
    {%- endif -%}
    {%- if week_of_month not in [1, 2, 3, 4, 5, -1] -%}
        {{- exceptions.raise_compiler_error("regular_maintenance_window.week_of_month must be 1..5 or -1 (last), got " ~ week_of_month) -}}
    {%- endif -%}
    {%- set parts = start.split(':') -%}
    {%- if parts | length != 2 or not parts[0].isdigit() or not parts[1].isdigit()
            or (parts[0] | int) > 23 or (parts[1] | int) > 59 -%}
        {{- exceptions.raise_compiler_error("regular_maintenance_window.start must be HH:MM (UTC), got " ~ start) -}}
    {%- endif -%}
    {%- if duration_hours is string or duration_hours is boolean or not (duration_hours is number) or duration_hours <= 0 -%}
        {{- exceptions.raise_compiler_error("regular_maintenance_window.duration_hours must be a number > 0, got " ~ duration_hours) -}}
    {%- endif -%}
    {%- if months_after_as_of not in range(1, 121) -%}
        {{- exceptions.raise_compiler_error("regular_maintenance_window.months_after_as_of must be an integer 1..120, got " ~ months_after_as_of) -}}
    {%- endif -%}
    {{- return({
        'weekday': weekday,
        'week_of_month': week_of_month,
        'start_hour': parts[0] | int,
        'start_minute': parts[1] | int,
        'duration_minutes': (duration_hours * 60) | round | int,
        'months_after_as_of': months_after_as_of,
    }) -}}
{%- endmacro %}
