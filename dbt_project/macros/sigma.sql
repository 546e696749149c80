{#-
  Short-term sigma level of a DPMO (METRICS.md, Six Sigma):
      sigma_level = Φ⁻¹(1 - dpmo / 1e6) + 1.5
  DuckDB has no inverse normal function, so Φ⁻¹ is Acklam's rational
  approximation (relative error below 1.2e-9), evaluated on the tail
  probability t = dpmo / 1e6 itself: Φ⁻¹(1 - t) = -Φ⁻¹(t), which keeps the
  precision that computing 1 - t would lose for small DPMO. Checked against the
  standard table in tests/dbt_project (3.4 -> 6.0, 6,210 -> 4.0, 66,807 -> 3.0).
  NULL when defects = 0, defects = opportunities, or opportunities = 0.
-#}

{% macro _acklam_tail(q) -%}
    {#- Φ⁻¹(p) for p in the lower tail (p < 0.02425), with q = sqrt(-2 ln p) -#}
    ((((((-7.784894002430293e-03 * {{ q }} - 3.223964580411365e-01) * {{ q }} - 2.400758277161838e+00) * {{ q }}
        - 2.549732539343734e+00) * {{ q }} + 4.374664141464968e+00) * {{ q }} + 2.938163982698783e+00)
     / ((((7.784695709041462e-03 * {{ q }} + 3.224671290700398e-01) * {{ q }} + 2.445134137142996e+00) * {{ q }}
        + 3.754408661907416e+00) * {{ q }} + 1))
{%- endmacro %}

{% macro _acklam_central(r, x) -%}
    {#- Φ⁻¹(p) for the central region, with x = p - 0.5 and r = x² -#}
    ((((((-3.969683028665376e+01 * {{ r }} + 2.209460984245205e+02) * {{ r }} - 2.759285104469687e+02) * {{ r }}
        + 1.383577518672690e+02) * {{ r }} - 3.066479806614716e+01) * {{ r }} + 2.506628277459239e+00) * {{ x }}
     / (((((-5.447609879822406e+01 * {{ r }} + 1.615858368580409e+02) * {{ r }} - 1.556989798598866e+02) * {{ r }}
        + 6.680131188771972e+01) * {{ r }} - 1.328068155288572e+01) * {{ r }} + 1))
{%- endmacro %}

{#- Φ⁻¹(1 - t) for a tail probability t in (0, 1). -#}
{% macro inverse_normal_of_complement(t) -%}
    case
        when {{ t }} < 0.02425 then -{{ _acklam_tail('sqrt(-2 * ln(' ~ t ~ '))') }}
        when {{ t }} > 1 - 0.02425 then {{ _acklam_tail('sqrt(-2 * ln(1 - (' ~ t ~ ')))') }}
        else -{{ _acklam_central('((' ~ t ~ ') - 0.5) * ((' ~ t ~ ') - 0.5)', '((' ~ t ~ ') - 0.5)') }}
    end
{%- endmacro %}

{% macro sigma_level(defects, opportunities) -%}
    case
        when {{ opportunities }} > 0 and {{ defects }} > 0 and {{ defects }} < {{ opportunities }}
        then {{ inverse_normal_of_complement('(cast(' ~ defects ~ ' as double) / ' ~ opportunities ~ ')') }} + 1.5
    end
{%- endmacro %}
