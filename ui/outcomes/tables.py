"""The assessments and adverse events tables: one row per entry, in the tab's words.

A correction is marked in its own column (with the reason as the tooltip); with
corrections shown, replaced and withdrawn entries are listed greyed, never counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from console.outcomes.eq5d_value_set import Eq5dValueSet
from console.outcomes.responders import ResponderRules
from ui.common.theme import BLOCK_RED, INFO_GREY, OFF_GREY, OK_GREEN
from ui.outcomes.view_data import EntryRow, EventRow, Standing
from ui.outcomes.words import (
    ANALGESIC_WORDS,
    NONE_SHOWN,
    RELATED_WORDS,
    TIMEPOINT_WORDS,
    WORK_WORDS,
    category_text,
    change_text,
    code_words,
    day_text,
    eq5d_text,
    odi_text,
    pgic_text,
    responder_text,
)

ENTRY_COLUMNS = ("Date", "Timepoint", "NRS", "NRS change", "ODI", "ODI change",
                 "Pain responder", "Function responder", "EQ-5D-5L", "PGIC", "Analgesics",
                 "Work", "Entry")
PAIN_RESPONDER, FUNCTION_RESPONDER, ENTRY_MARK = 6, 7, 12
EVENT_COLUMNS = ("Onset", "Serious", "Category", "Resolved", "Related", "Action",
                 "Explant reason", "Yellow Card", "Entry")
EVENT_CATEGORY, EVENT_MARK = 2, 8
MARKS = {"corrected": "✎ corrected", "replaced": "replaced", "withdrawn": "✖ withdrawn"}


def _cell(text: str, tooltip: str = "", colour: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if tooltip:
        item.setToolTip(tooltip)
    if colour is not None:
        item.setForeground(QColor(colour))
    return item


def _fill_row(table: QTableWidget, row: int, texts: Sequence[str], standing: Standing,
              row_id: int) -> None:
    """One row; an entry that no longer counts is greyed and says why on every cell."""
    colour = None if standing.current else OFF_GREY
    for column, text in enumerate(texts):
        item = _cell(text, standing.note, colour)
        item.setData(Qt.ItemDataRole.UserRole, row_id)
        table.setItem(row, column, item)


class EntriesTable(QTableWidget):
    """The patient's assessments, oldest first, each against the baseline."""

    def __init__(self) -> None:
        super().__init__(0, len(ENTRY_COLUMNS))
        _setup(self, ENTRY_COLUMNS)
        self.rows: tuple[EntryRow, ...] = ()

    def show_rows(self, rows: tuple[EntryRow, ...], rules: ResponderRules | None,
                  eq5d_values: Eq5dValueSet | None = None) -> None:
        self.rows = rows
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            entry, change = row.entry, row.progress
            measures = entry.measures
            texts = (day_text(entry.collected_on), TIMEPOINT_WORDS[entry.timepoint],
                     NONE_SHOWN if measures.nrs is None else str(measures.nrs),
                     change_text(change.nrs_change), odi_text(measures.odi),
                     change_text(change.odi_change), responder_text(change.pain_responder),
                     responder_text(change.function_responder),
                     eq5d_text(measures, eq5d_values),
                     pgic_text(measures.pgic),
                     NONE_SHOWN if measures.analgesics is None
                     else ANALGESIC_WORDS[measures.analgesics],
                     NONE_SHOWN if measures.work is None else WORK_WORDS[measures.work],
                     MARKS.get(row.standing.mark, ""))
            _fill_row(self, index, texts, row.standing, entry.id)
            if row.standing.current:
                for column, flag in ((PAIN_RESPONDER, change.pain_responder),
                                     (FUNCTION_RESPONDER, change.function_responder)):
                    if flag is not None:
                        self.item(index, column).setForeground(
                            QColor(OK_GREEN if flag else INFO_GREY))
        self.setColumnHidden(ENTRY_MARK, not any(row.standing.mark for row in rows))
        if rules is not None:
            header = self.horizontalHeaderItem
            header(PAIN_RESPONDER).setToolTip(
                f"NRS down ≥ {rules.pain_nrs_drop} points from baseline")
            header(FUNCTION_RESPONDER).setToolTip(
                f"ODI down ≥ {rules.function_odi_drop} points from baseline")
        self.resizeColumnsToContents()

    def selected(self) -> EntryRow | None:
        rows = {index.row() for index in self.selectedIndexes()}
        return self.rows[rows.pop()] if len(rows) == 1 else None


class EventsTable(QTableWidget):
    """The patient's adverse events by onset."""

    def __init__(self) -> None:
        super().__init__(0, len(EVENT_COLUMNS))
        _setup(self, EVENT_COLUMNS)
        self.rows: tuple[EventRow, ...] = ()

    def show_rows(self, rows: tuple[EventRow, ...]) -> None:
        self.rows = rows
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            details = row.event.details
            texts = (day_text(details.onset), "⚠ serious" if details.serious else "not serious",
                     category_text(details.category),
                     day_text(details.resolved) if details.resolved else "not yet",
                     RELATED_WORDS[details.related], code_words(details.action),
                     code_words(details.explant_reason), details.yellow_card or NONE_SHOWN,
                     MARKS.get(row.standing.mark, ""))
            _fill_row(self, index, texts, row.standing, row.event.id)
            if details.serious and row.standing.current:
                self.item(index, 1).setForeground(QColor(BLOCK_RED))
            if details.notes:
                self.item(index, EVENT_CATEGORY).setToolTip(
                    "\n".join(filter(None, (row.standing.note, f"Notes: {details.notes}"))))
        self.setColumnHidden(EVENT_MARK, not any(row.standing.mark for row in rows))
        self.resizeColumnsToContents()

    def selected(self) -> EventRow | None:
        rows = {index.row() for index in self.selectedIndexes()}
        return self.rows[rows.pop()] if len(rows) == 1 else None


def _setup(table: QTableWidget, columns: Sequence[str]) -> None:
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setMinimumHeight(90)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
