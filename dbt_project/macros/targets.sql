{#-
  Status of a target (METRICS.md "Conventions"): met, breached, or no_data when the
  source family has no export covering the month. An empty population with data
  present is met with a NULL actual, except where a caller says otherwise. A row whose
  evidence has not arrived yet is judged by awaiting_evidence_status (macros/periods.sql):
  pending in the period in progress, never here.
-#}
{% macro target_status(actual, comparator, target, covered) -%}
    case
        when not coalesce({{ covered }}, false) then 'no_data'
        when {{ actual }} is null then 'met'
        when {{ comparator }} = '>=' and {{ actual }} >= {{ target }} then 'met'
        when {{ comparator }} = '<=' and {{ actual }} <= {{ target }} then 'met'
        when {{ comparator }} = '>' and {{ actual }} > {{ target }} then 'met'
        when {{ comparator }} = '<' and {{ actual }} < {{ target }} then 'met'
        else 'breached'
    end
{%- endmacro %}

{#- A ratio whose denominator is 0 is NULL, never 0 or 1. -#}
{% macro safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}
