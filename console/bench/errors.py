"""The one failure a benchmark reports: a measurement that could not be taken as designed."""

from __future__ import annotations


class BenchError(RuntimeError):
    """The link or a helper process did not behave as the measurement needs (says what)."""
