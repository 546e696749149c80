{#-
  Monthly partitions (METRICS.md "Conventions": a monthly partition run recomputes
  that month's rows with its as_of; earlier months keep theirs).

  The marts are incremental (delete+insert on their month or quarter). A run given
  the vars `partition_month_from` and `partition_month_to` (first days of months,
  inclusive) computes and replaces only those months; a run without them computes
  every month (the orchestration runs it with --full-refresh).
-#}

{% macro partition_months() -%}
    {%- set month_from = var('partition_month_from', none) -%}
    {%- set month_to = var('partition_month_to', none) -%}
    {%- if month_from and month_to -%}
        {{ return([month_from | string, month_to | string]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- SQL condition: the month column falls in the partition range (true without one). -#}
{% macro in_partition(month_column) -%}
    {%- set months = partition_months() -%}
    {%- if months -%}
        {{ month_column }} between cast('{{ months[0] }}' as date) and cast('{{ months[1] }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- SQL condition: the quarter column holds a month of the partition range. -#}
{% macro in_partition_quarter(quarter_column) -%}
    {%- set months = partition_months() -%}
    {%- if months -%}
        {{ quarter_column }} between cast(date_trunc('quarter', cast('{{ months[0] }}' as date)) as date)
            and cast(date_trunc('quarter', cast('{{ months[1] }}' as date)) as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
