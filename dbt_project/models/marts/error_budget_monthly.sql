{#-
  Error budgets per month (METRICS.md "Error budget", "Further tables"), judged at
  as_of. One row per spine month x dimension:

    availability, security_incident   consumed = minutes in the union of the outage
        intervals of valid P1/P2 incidents of the category, clipped to the month and
        to as_of (int_error_budget_outage_months); allowed = (1 - objective) x minutes
        in the calendar month, the month in progress keeping its full allowance.
    vulnerability_debt   consumed = open critical findings past due / all open
        findings at the month's end or as_of (int_error_budget_vulnerability_debt_months);
        NULL when nothing is open (status met).
    compliance_drift     consumed = fraction of the month's observed time in a
        non-compliant state (int_error_budget_compliance_months); NULL without observed time.

  remaining = allowed - consumed (negative when overspent); consumed_fraction =
  consumed / allowed; status no_data when the dimension's family (incident,
  incident, scanner, iam) does not cover the month, else breached when
  consumed_fraction > 1, else met. The measurement itself is kept in a no_data month.

  Month in progress only (NULL for complete months): elapsed_fraction = (as_of -
  month start) / month length; burn_rate = consumed_fraction / elapsed_fraction;
  projected_consumed_fraction = the month's end consumption if things go on as
  they are: for the minute budgets (availability, security_incident), which
  accumulate, the linear projection consumed_fraction / elapsed_fraction (equal to
  burn_rate: a burn rate of 1 spends exactly the budget by the month's end); for
  vulnerability_debt and compliance_drift, which are already shares of a state or
  of the observed time, the share stays as it is, so the projection is
  consumed_fraction itself. NULL when elapsed_fraction is 0 (as_of at the month's
  first instant).

  Thresholds: var error_budget (dbt_project.yml).
-#}

{%- set configured = var('error_budget', {}) -%}
{%- if configured is not mapping -%}
    {{- exceptions.raise_compiler_error("var error_budget must be a mapping of dimension -> {objective|allowed: number}") -}}
{%- endif -%}
{%- set thresholds = {} -%}
{%- for dimension, key, default in [
        ('availability', 'objective', 0.999),
        ('security_incident', 'objective', 0.999),
        ('vulnerability_debt', 'allowed', 0.02),
        ('compliance_drift', 'allowed', 0.01)] -%}
    {%- set entry = configured.get(dimension, {}) -%}
    {%- set value = entry.get(key, default) if entry is mapping else none -%}
    {%- if value is none or value is string or value is boolean or not (value is number)
            or value <= 0 or (key == 'objective' and value >= 1) -%}
        {{- exceptions.raise_compiler_error(
            "var error_budget." ~ dimension ~ "." ~ key ~ " must be a number "
            ~ ("in (0, 1)" if key == 'objective' else "> 0") ~ ", got " ~ value) -}}
    {%- endif -%}
    {%- do thresholds.update({dimension: value}) -%}
{%- endfor %}

with spine as (

    select * from {{ ref('int_month_spine') }}

),

coverage as (

    select * from {{ ref('int_family_coverage_months') }}

),

outage_months as (

    select * from {{ ref('int_error_budget_outage_months') }}

),

debt_months as (

    select * from {{ ref('int_error_budget_vulnerability_debt_months') }}

),

compliance_months as (

    select * from {{ ref('int_error_budget_compliance_months') }}

),

dimensions as (

    select *
    from (values
        (1, 'availability', 'incident'),
        (2, 'security_incident', 'incident'),
        (3, 'vulnerability_debt', 'scanner'),
        (4, 'compliance_drift', 'iam')
    ) as dimensions(dimension_order, dimension, family)

),

grid as (

    select
        spine.month,
        spine.month_start_at,
        spine.month_end_at,
        spine.is_current_month,
        dimensions.dimension_order,
        dimensions.dimension,
        dimensions.family
    from spine
    cross join dimensions

),

budgets as (

    select
        grid.*,
        case grid.dimension
            when 'availability' then cast({{ thresholds['availability'] }} as double)
            when 'security_incident' then cast({{ thresholds['security_incident'] }} as double)
        end as objective,
        -- 1 - objective in decimal, so 0.999 gives exactly 0.001 (43.2 minutes in 30 days)
        case grid.dimension
            when 'availability' then cast(1 - cast({{ thresholds['availability'] }} as decimal(18, 12)) as double) * outage_months.month_minutes
            when 'security_incident' then cast(1 - cast({{ thresholds['security_incident'] }} as decimal(18, 12)) as double) * outage_months.month_minutes
            when 'vulnerability_debt' then cast({{ thresholds['vulnerability_debt'] }} as double)
            when 'compliance_drift' then cast({{ thresholds['compliance_drift'] }} as double)
        end as allowed,
        case grid.dimension
            when 'availability' then outage_months.outage_minutes
            when 'security_incident' then outage_months.outage_minutes
            when 'vulnerability_debt' then debt_months.debt_ratio
            when 'compliance_drift' then compliance_months.drift_fraction
        end as consumed,
        coverage.month is not null as covered
    from grid
    left join outage_months
        on grid.month = outage_months.month
        and grid.dimension = outage_months.dimension
    left join debt_months
        on grid.month = debt_months.month
        and grid.dimension = 'vulnerability_debt'
    left join compliance_months
        on grid.month = compliance_months.month
        and grid.dimension = 'compliance_drift'
    left join coverage
        on grid.month = coverage.month
        and grid.family = coverage.family

),

measured as (

    select
        *,
        allowed - consumed as remaining,
        {{ safe_ratio('consumed', 'allowed') }} as consumed_fraction,
        case
            when is_current_month
                then {{ hours_between('month_start_at', as_of()) }}
                    / {{ hours_between('month_start_at', 'month_end_at') }}
        end as elapsed_fraction
    from budgets

),

final as (

    select
        month,
        dimension,
        cast(objective as double) as objective,
        cast(allowed as double) as allowed,
        cast(consumed as double) as consumed,
        cast(remaining as double) as remaining,
        cast(consumed_fraction as double) as consumed_fraction,
        case
            when not covered then 'no_data'
            when consumed_fraction > 1 then 'breached'
            else 'met'
        end as status,
        cast(elapsed_fraction as double) as elapsed_fraction,
        cast({{ safe_ratio('consumed_fraction', 'elapsed_fraction') }} as double) as burn_rate,
        cast(
            case
                when dimension in ('availability', 'security_incident')
                    then {{ safe_ratio('consumed_fraction', 'elapsed_fraction') }}
                when elapsed_fraction > 0 then consumed_fraction
            end as double
        ) as projected_consumed_fraction,
        {{ period_complete('month', 'month') }} as period_complete,
        {{ as_of() }} as as_of
    from measured
    order by month, dimension_order

)

select * from final
where {{ in_partition('month') }}
