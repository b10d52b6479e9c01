"""Printed reports of the console (PDF)."""

from .placement_pdf import placement_report_pdf, write_placement_report

__all__ = ["placement_report_pdf", "write_placement_report"]
