"""Reports: figures, and HTML or Markdown documents rebuilt from results or stored runs."""

from accord.report.build import ReportData, compute_report, report_from_runs
from accord.report.render import png_bytes, render_html, render_markdown

__all__ = ["ReportData", "compute_report", "png_bytes", "render_html", "render_markdown",
           "report_from_runs"]
