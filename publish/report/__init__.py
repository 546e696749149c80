"""The monthly report: one month's metrics as a self-contained HTML page with PNG charts.

    data.py        reads the metrics.* tables (parameterised SQL only)
    charts.py      draws the charts with matplotlib (Agg, no browser)
    formatting.py  numbers as people read them
    template.py    the HTML (Jinja2, autoescaped)
    render.py      writes <reports_dir>/<YYYY-MM>/report.html and the PNGs beside it
"""

from publish.report.data import REPORT_TABLES
from publish.report.render import REPORT_FILE, ReportResult, metadata_markdown, render_monthly_report

__all__ = ["REPORT_FILE", "REPORT_TABLES", "ReportResult", "metadata_markdown", "render_monthly_report"]
