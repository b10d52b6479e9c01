"""Printed reports of the console (PDF)."""

from console.report.placement_pdf import placement_report_pdf, write_placement_report

__all__ = ["placement_report_pdf", "write_placement_report"]
