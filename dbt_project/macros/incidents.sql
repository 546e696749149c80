{#-
  The operational-definition check of an incident (METRICS.md "Edge rules",
  Incidents): an incident detected before it occurred, or resolved before it was
  detected, is excluded from every incident metric (the error-budget unions
  included) and counted by the data-quality checks. Blank timestamps are not a
  violation (a blank occurred_at only keeps the incident out of MTTD).
  Returns the reason, NULL for a valid incident. Used by int_incidents_valid and
  int_incidents_excluded so the rule lives in one place.
-#}
{% macro incident_exclusion_reason() -%}
    case
        when detected_at < occurred_at then 'detected_before_occurred'
        when resolved_at < detected_at then 'resolved_before_detected'
    end
{%- endmacro %}
