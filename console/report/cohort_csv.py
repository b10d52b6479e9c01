"""The clinic's audit figures as CSV: one figure per row (docs/outcomes-audit.md).

Columns ``section,item,measure,value``: ``item`` is the timepoint, category or reason
the figure belongs to (empty for the clinic as a whole), a missing figure an empty value.
Every cell goes through the history export's neutralising, so no spreadsheet runs one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from console.files.csv_cells import neutral_cell
from console.outcomes.cohort import CohortReport, Proportion

HEADER = ("section", "item", "measure", "value")


def cohort_rows(report: CohortReport) -> Iterator[tuple[str, str, str, str]]:
    """Every figure of ``report``, as the CSV holds it."""
    yield "report", "", "as_of", report.as_of.isoformat()
    yield "rules", "", "pain_responder_nrs_drop", str(report.rules.pain_nrs_drop)
    yield "rules", "", "function_responder_odi_drop", str(report.rules.function_odi_drop)
    yield "patients", "", "count", str(report.patients)
    for point, completeness in report.followup:
        yield "followup", point.value, "due", str(completeness.due)
        yield "followup", point.value, "collected", str(completeness.collected)
    for point, responders in report.responders:
        for measure, proportion in (("pain", responders.pain),
                                    ("function", responders.function)):
            for name, value in _proportion(proportion):
                yield "responders", point.value, f"{measure}_{name}", value
    for category, count in report.adverse_events.by_category:
        yield "adverse_events", category.value, "count", str(count)
    yield "adverse_events", "", "serious", str(report.adverse_events.serious)
    for reason, count in report.explants.by_reason:
        yield "explants", reason.value, "count", str(count)
    yield "adherence", "", "mean_pct", _text(report.adherence.mean_pct)
    yield "adherence", "", "patients", str(report.adherence.patients)


def _proportion(proportion: Proportion) -> Iterator[tuple[str, str]]:
    interval = proportion.ci95
    yield "n", str(proportion.n)
    yield "of", str(proportion.of)
    yield "pct", _text(proportion.pct)
    yield "ci95_low", "" if interval is None else str(interval[0])
    yield "ci95_high", "" if interval is None else str(interval[1])


def _text(value: object) -> str:
    return "" if value is None else str(value)


def cohort_csv(report: CohortReport) -> tuple[bytes, int]:
    """The CSV file's bytes (UTF-8) and how many figures it holds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for row in cohort_rows(report):
        writer.writerow([neutral_cell(cell) for cell in row])
        count += 1
    return out.getvalue().encode("utf-8"), count
