"""The one failure a benchmark reports: a measurement that could not be taken as designed."""

from __future__ import annotations


class BenchError(RuntimeError):
    """The link, the record or a helper process was not as the measurement needs (says what)."""
