"""The report's HTML (a Jinja2 template, autoescaped: every value from the warehouse is escaped).

The page needs nothing outside itself: styles inline, charts as data: URIs, and a
Content-Security-Policy that forbids loading anything else. The one script records,
once the page has loaded, how many chart images decoded (`data-charts-loaded` on
<body>), so a headless browser can check the charts are there.
"""

from __future__ import annotations

import base64
import hashlib

ONLOAD_SCRIPT = (
    "window.addEventListener('load', function () {"
    " var images = document.querySelectorAll('img.chart'), loaded = 0;"
    " for (var i = 0; i < images.length; i++) {"
    " if (images[i].complete && images[i].naturalWidth > 0) { loaded++; } }"
    " document.body.setAttribute('data-charts-loaded', String(loaded)); });"
)


def script_hash(script: str = ONLOAD_SCRIPT) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '{{ script_hash }}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Security metrics report {{ month_label }}</title>
<style>
  body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d1d1d; margin: 2em auto; max-width: 66em; padding: 0 1em; line-height: 1.4; }
  h1 { margin-bottom: 0.2em; }
  h2 { border-bottom: 2px solid #1f5f99; padding-bottom: 0.2em; margin-top: 2em; }
  .meta { color: #555; font-size: 0.9em; }
  table { border-collapse: collapse; width: 100%; margin: 0.8em 0; font-size: 0.9em; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
  th { background: #f2f5f8; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.num { white-space: nowrap; }
  .status { font-weight: bold; padding: 0.1em 0.45em; border-radius: 0.3em; white-space: nowrap; }
  .status-met { color: #1b5e20; background: #e3f1e4; }
  .status-breached { color: #b71c1c; background: #fbe3e3; }
  .status-pending { color: #6d4a00; background: #fff0c2; }
  .status-no_data, .status-other { color: #444; background: #ececec; }
  .flag { color: #b71c1c; font-weight: bold; }
  .notice { background: #fff7e0; border-left: 4px solid #e08a00; padding: 0.4em 0.8em; }
  figure { margin: 1em 0; }
  figcaption { color: #555; font-size: 0.85em; }
  img.chart { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
  nav ol { columns: 2; }
  .summary { display: flex; gap: 1em; flex-wrap: wrap; }
  .summary div { border: 1px solid #ddd; border-radius: 0.4em; padding: 0.4em 0.8em; }
  section { break-inside: auto; }
  figure, tr { break-inside: avoid; }
  @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
  #action-items { break-before: page; }
</style>
</head>
<body data-month="{{ month_label }}" data-charts-expected="{{ charts | length }}" data-charts-loaded="pending">
<header>
<h1>Security metrics report &ndash; {{ month_title }}</h1>
<p class="meta" id="report-meta">Month {{ month_label }} (calendar month, UTC).
{% if as_of_values %}Evaluated at {{ as_of_values | join(", ") }}.{% else %}No metric rows for this month.{% endif %}
Generated {{ generated_at }} from <code>{{ warehouse_name }}</code>.</p>
{% if month_complete is false %}<p class="notice" id="month-in-progress">Month in progress: {{ month_label }} had not ended when
these rows were evaluated, so its figures are provisional. <span class="status status-pending">{{ "pending" | status_symbol }} pending</span>
marks a target without its evidence yet (no restore test so far this month, no DR test so far this quarter); it may
still arrive before the period ends. A breach that has already happened is shown as breached.</p>{% endif %}
{% if missing_tables %}<p class="notice" id="missing-tables">Not in the warehouse yet, so not shown:
{% for table in missing_tables %}<code>metrics.{{ table }}</code>{% if not loop.last %}, {% endif %}{% endfor %}.</p>{% endif %}
<div class="summary">
  <div>SLOs: <span class="status status-met">{{ slo_counts.met }} met</span>
  <span class="status status-breached">{{ slo_counts.breached }} breached</span>
  <span class="status status-pending">{{ slo_counts.pending }} pending</span>
  <span class="status status-no_data">{{ slo_counts.no_data }} no data</span></div>
  <div>Special causes this month: <strong id="special-causes">{{ special_causes | length }}</strong></div>
  <div>Open action items: <strong id="action-item-count">{{ action_items | length }}</strong></div>
</div>
</header>

<nav><ol>
  <li><a href="#scorecard">Scorecard</a></li>
  <li><a href="#slos">Security SLOs</a></li>
  <li><a href="#incidents">Incident response and MTTD chart</a></li>
  <li><a href="#six-sigma">DPMO and p-charts</a></li>
  <li><a href="#pareto">Pareto of defects</a></li>
  <li><a href="#training">Training and phishing by geography</a></li>
  <li><a href="#error-budget">Error budget</a></li>
  <li><a href="#action-items">Action items</a></li>
</ol></nav>

{% macro status(value) -%}
<span class="status status-{{ value | status_class }}">{{ value | status_symbol }} {{ value | status_label }}</span>
{%- endmacro %}
{% macro absent(table, rows) -%}
{% if table in missing_tables %}<p class="notice">metrics.{{ table }} is not in the warehouse.</p>
{% elif not rows %}<p class="notice">metrics.{{ table }} has no rows for {{ month_title }}.</p>{% endif %}
{%- endmacro %}
{% macro figure(chart) -%}
<figure data-chart="{{ chart.filename }}">
<img class="chart" src="{{ chart_uris[chart.filename] }}" alt="{{ chart.alt }}" width="{{ chart_sizes[chart.filename][0] }}" height="{{ chart_sizes[chart.filename][1] }}">
<figcaption>{{ chart.title }} ({{ chart.filename }}){% if chart.section in ("incidents", "six_sigma") %}; the shaded band is {{ month_label }}{% endif %}.</figcaption>
</figure>
{%- endmacro %}

<section id="scorecard">
<h2>Operational excellence scorecard</h2>
{{ absent("opex_scorecard", scorecard) }}
{% if scorecard %}
<table>
<thead><tr><th>Metric</th><th>Period</th><th>Starting</th><th class="num">Target</th><th class="num">Actual</th><th>Status</th></tr></thead>
<tbody>
{% for row in scorecard %}
<tr data-key="{{ row.metric }}/{{ row.period }}/{{ row.period_start | day }}"><td>{{ row.metric }}</td><td>{{ row.period | period_text(row.period_complete) }}</td><td>{{ row.period_start | day }}</td>
<td class="num">{{ row.target_text }}</td><td class="num">{{ row.actual_text }}</td><td>{{ status(row.status) }}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
</section>

<section id="slos">
<h2>Security SLOs</h2>
{{ absent("security_slo_monthly", slos) }}
{% if slos %}
<table>
<thead><tr><th>SLO</th><th>What</th><th class="num">Target</th><th class="num">Actual</th><th class="num">Numerator / denominator</th><th>Status</th></tr></thead>
<tbody>
{% for row in slos %}
<tr data-key="{{ row.slo_id }}"><td>{{ row.slo_id }}</td><td>{{ row.description | text }}</td><td class="num">{{ row.target_text }}</td>
<td class="num">{{ row.actual_text }}</td><td class="num">{{ row.numerator | fraction_of(row.denominator) }}</td><td>{{ status(row.status) }}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
</section>

<section id="incidents">
<h2>Incident response</h2>
{{ absent("incident_response_monthly", incidents) }}
{% if incidents %}
<p>Security incidents detected in the month, all geographies. Targets: MTTD &lt; 1 h, MTTR &lt; 4 h, change-induced 0.</p>
<table>
<thead><tr><th>Severity</th><th class="num">Incidents</th><th class="num">MTTD</th><th class="num">MTTD median</th><th class="num">MTTD p90</th>
<th class="num">MTTR</th><th class="num">MTTR median</th><th class="num">MTTR p90</th><th class="num">Resolved</th><th class="num">Change-induced</th></tr></thead>
<tbody>
{% for row in incidents %}
<tr data-key="{{ row.severity }}"><td>{{ row.severity }}</td><td class="num">{{ row.incidents | num }}</td>
<td class="num">{{ row.mttd_hours | hours }}</td><td class="num">{{ row.mttd_median_hours | hours }}</td><td class="num">{{ row.mttd_p90_hours | hours }}</td>
<td class="num">{{ row.mttr_hours | hours }}</td><td class="num">{{ row.mttr_median_hours | hours }}</td><td class="num">{{ row.mttr_p90_hours | hours }}</td>
<td class="num">{{ row.resolved_incidents | num }}</td><td class="num">{{ row.change_induced_incidents | num }}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
<h3>MTTD control chart (XmR)</h3>
{% if "control_chart_monthly" in missing_tables %}<p class="notice">metrics.control_chart_monthly is not in the warehouse.</p>
{% elif not xmr %}<p class="notice">No MTTD chart up to {{ month_title }}.</p>
{% else %}
{{ figure(xmr.chart) }}
{% if xmr.current %}<p>{{ month_label }}: MTTD {{ xmr.current.value | hours }}, centre {{ xmr.current.center | hours }},
limits {{ xmr.current.lcl | hours }} &ndash; {{ xmr.current.ucl | hours }} (n = {{ xmr.current.n | num }}).</p>{% endif %}
{% if xmr.flags %}<ul class="flags" data-process="mttd">
{% for flag in xmr.flags %}<li data-month="{{ flag.month }}"><span class="flag">special cause</span> {{ flag.month }}: {{ flag.value }} ({{ flag.rules }})</li>
{% endfor %}</ul>{% else %}<p>No special cause in the months shown.</p>{% endif %}
{% endif %}
</section>

<section id="six-sigma">
<h2>Six Sigma: DPMO and p-charts</h2>
{{ absent("dpmo_monthly", dpmo) }}
{% if dpmo %}
<table>
<thead><tr><th>Process</th><th class="num">Units</th><th class="num">Opportunities</th><th class="num">Defects</th><th class="num">DPMO</th><th class="num">Sigma level</th></tr></thead>
<tbody>
{% for row in dpmo %}
<tr data-key="{{ row.process }}"><td>{{ row.process }}</td><td class="num">{{ row.units | num }}</td><td class="num">{{ row.opportunities | num }}</td>
<td class="num">{{ row.defects | num }}</td><td class="num">{{ row.dpmo | dpmo }}</td><td class="num">{{ row.sigma_level | sigma }}</td></tr>
{% endfor %}
</tbody></table>
<p>Target: DPMO &lt; 3.4 (six sigma).</p>
{% endif %}
{% if "control_chart_monthly" in missing_tables %}<p class="notice">metrics.control_chart_monthly is not in the warehouse.</p>
{% elif not p_charts %}<p class="notice">No p-chart up to {{ month_title }}.</p>
{% endif %}
{% for p in p_charts %}
<h3 id="p-chart-{{ p.process }}">p-chart: {{ p.process }}</h3>
{{ figure(p.chart) }}
{% if p.current %}<p>{{ month_label }}: defect proportion {{ p.current.value | percent }} of {{ p.current.n | num }},
centre {{ p.current.center | percent }}, limits {{ p.current.lcl | percent }} &ndash; {{ p.current.ucl | percent }}.</p>{% endif %}
{% if p.flags %}<ul class="flags" data-process="{{ p.process }}">
{% for flag in p.flags %}<li data-month="{{ flag.month }}"><span class="flag">special cause</span> {{ flag.month }}: {{ flag.value }} ({{ flag.rules }})</li>
{% endfor %}</ul>{% else %}<p>No special cause in the months shown.</p>{% endif %}
{% endfor %}
</section>

<section id="pareto">
<h2>Pareto of defects</h2>
{{ absent("defect_pareto_monthly", pareto) }}
{% for p in pareto %}
<h3>By {{ p.name }}</h3>
{{ figure(p.chart) }}
<table>
<thead><tr><th class="num">Rank</th><th>{{ p.name | capitalize }}</th><th class="num">Defects</th><th class="num">Share</th><th class="num">Cumulative</th><th>Vital few</th></tr></thead>
<tbody>
{% for row in p.rows %}
<tr data-key="{{ p.dimension }}/{{ row.category }}"><td class="num">{{ row.rank | num }}</td><td>{{ row.category | text }}</td><td class="num">{{ row.defects | num }}</td>
<td class="num">{{ row.share | percent }}</td><td class="num">{{ row.cumulative_share | percent }}</td><td>{{ row.vital_few | yes_no }}</td></tr>
{% endfor %}
</tbody></table>
{% endfor %}
</section>

<section id="training">
<h2>Training and phishing by geography</h2>
{{ absent("training_monthly", training) }}
{% if training %}
{% if training_chart %}{{ figure(training_chart) }}{% endif %}
<table>
<thead><tr><th>Geography</th><th class="num">Assignments due</th><th class="num">On time</th><th class="num">Completion</th>
<th class="num">Phishing delivered</th><th class="num">Clicked</th><th class="num">Click rate</th><th class="num">Reported</th><th class="num">Report rate</th></tr></thead>
<tbody>
{% for row in training %}
<tr data-key="{{ row.geography }}"><td>{{ row.geography }}</td><td class="num">{{ row.assignments_due | num }}</td><td class="num">{{ row.completed_on_time | num }}</td>
<td class="num">{{ row.completion_rate | percent }}</td><td class="num">{{ row.phishing_delivered | num }}</td><td class="num">{{ row.phishing_clicked | num }}</td>
<td class="num">{{ row.click_rate | percent }}</td><td class="num">{{ row.phishing_reported | num }}</td><td class="num">{{ row.report_rate | percent }}</td></tr>
{% endfor %}
</tbody></table>
<p>Targets: completion 100 %, click rate &lt; 3 %.</p>
{% endif %}
</section>

<section id="error-budget">
<h2>Error budget</h2>
{{ absent("error_budget_monthly", error_budget) }}
{% if error_budget %}
{% if error_budget_chart %}{{ figure(error_budget_chart) }}{% endif %}
<table>
<thead><tr><th>Dimension</th><th class="num">Objective</th><th class="num">Allowed</th><th class="num">Consumed</th><th class="num">Remaining</th>
<th class="num">Budget used</th><th>Status</th><th class="num">Month elapsed</th><th class="num">Burn rate</th><th class="num">Projected</th></tr></thead>
<tbody>
{% for row in error_budget %}
<tr data-key="{{ row.dimension }}"><td>{{ row.dimension }}</td><td class="num">{{ row.objective_text }}</td><td class="num">{{ row.allowed_text }}</td>
<td class="num">{{ row.consumed_text }}</td><td class="num">{{ row.remaining_text }}</td><td class="num">{{ row.consumed_fraction | percent }}</td>
<td>{{ status(row.status) }}</td><td class="num">{{ row.elapsed_fraction | percent }}</td><td class="num">{{ row.burn_rate | ratio }}</td>
<td class="num">{{ row.projected_consumed_fraction | percent }}</td></tr>
{% endfor %}
</tbody></table>
<p>Availability and security-incident budgets are minutes of outage; vulnerability debt and compliance drift are shares. Burn rate and projection are shown for the month in progress only.</p>
{% endif %}
</section>

<section id="action-items">
<h2>Action items</h2>
{% if "action_items" in missing_tables %}<p class="notice">metrics.action_items is not in the warehouse.</p>
{% elif not action_items %}<p>No open action items.</p>
{% else %}
<p>What someone must do now, as of {{ action_items_as_of | join(", ") }} (the current list, whichever month the report is for).</p>
<table>
<thead><tr><th>Category</th><th>Subject</th><th>Owner</th><th>Since</th><th>Due</th><th>Details</th></tr></thead>
<tbody>
{% for row in action_items %}
<tr data-key="{{ row.category }}/{{ row.subject }}"><td>{{ row.category }}</td><td>{{ row.subject | text }}</td><td>{{ row.owner | text }}</td>
<td>{{ row.since | instant }}</td><td>{{ row.due_at | instant }}</td><td>{{ row.details | text }}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
</section>
<script>{{ onload_script | safe }}</script>
</body>
</html>
"""
