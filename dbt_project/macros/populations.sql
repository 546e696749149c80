{#-
  Populations that more than one mart counts, written once (METRICS.md "Edge rules").
-#}

{#- A finished job started by as_of: a running job is not finished, whatever its completed_at. -#}
{% macro is_finished_job() -%}
    (started_at <= {{ as_of() }} and coalesce(status, '') <> 'running')
{%- endmacro %}

{#- A security P1 incident detected by as_of whose detection delay is known
    (a blank occurred_at is outside the P1 detection SLO and DPMO). -#}
{% macro is_measured_p1_detection() -%}
    (is_security and severity = 'P1' and detected_at <= {{ as_of() }} and hours_to_detect is not null)
{%- endmacro %}
