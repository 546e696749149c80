{#-
  The sigma_level macro against the standard short-term sigma table
  (1.5 shift): 3.4 -> 6.0, 233 -> 5.0, 6,210 -> 4.0, 66,807 -> 3.0, 308,537 -> 2.0,
  within 0.01; and NULL for no defect, all defects, or no opportunity.
  Returns the rows that disagree.
-#}
-- depends_on: {{ ref('dpmo_monthly') }}
with table_values as (

    select * from (values
        (34, 10000000, 6.0),
        (233, 1000000, 5.0),
        (6210, 1000000, 4.0),
        (66807, 1000000, 3.0),
        (308537, 1000000, 2.0),
        (1, 2, 1.5)
    ) as t(defects, opportunities, expected_sigma)

),

null_cases as (

    select * from (values (0, 10), (10, 10), (0, 0)) as t(defects, opportunities)

)

select defects, opportunities, expected_sigma, {{ sigma_level('defects', 'opportunities') }} as sigma_level
from table_values
where abs({{ sigma_level('defects', 'opportunities') }} - expected_sigma) > 0.01
    or {{ sigma_level('defects', 'opportunities') }} is null

union all

select defects, opportunities, null, {{ sigma_level('defects', 'opportunities') }}
from null_cases
where {{ sigma_level('defects', 'opportunities') }} is not null
