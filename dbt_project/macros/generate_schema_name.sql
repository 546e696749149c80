{#-
  Custom schemas are used exactly as named (staging, intermediate, metrics,
  reference) instead of dbt's default "<target schema>_<custom schema>", so the
  published schema is `metrics` on every target. Nodes without a custom schema
  land in the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
