"""The titration marks of the Test stimulation tab as a table with a section per lead: each
pair's latest threshold, target and maximum (``console.titration.table``), with the notes
and the time.

A cell selects a mark (a threshold, target or maximum cell: that mark; any other cell of a
row: the pair's target), which the tab can carry into the program. The mark keys are not
the table's: pressed while a table has the focus, they go on to the tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from console.leads.naming import lead_name
from console.titration.marks import MarkKind, TitrationMark
from console.titration.table import PairMarks, pair_rows

LETTERS = {MarkKind.THRESHOLD: "T", MarkKind.TARGET: "C", MarkKind.MAXIMUM: "M"}
"""The key that marks each kind; a note in the table is shown after its kind's letter."""
MARK_KEYS: dict[int, MarkKind] = {Qt.Key.Key_T: MarkKind.THRESHOLD, Qt.Key.Key_C: MarkKind.TARGET,
                                  Qt.Key.Key_M: MarkKind.MAXIMUM}
COLUMNS = ("Pair", "Threshold", "Target", "Maximum", "Note", "Time")
KIND_COLUMNS = {1: MarkKind.THRESHOLD, 2: MarkKind.TARGET, 3: MarkKind.MAXIMUM}
VISIBLE_ROWS = 4
"""Rows the table shows before it scrolls: each lead's heading and a pair or two."""


def plain_key(event: QKeyEvent) -> bool:
    """Pressed without Ctrl, Alt or Meta: Ctrl+C copies, it never marks."""
    held = event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                | Qt.KeyboardModifier.AltModifier
                                | Qt.KeyboardModifier.MetaModifier)
    return held == Qt.KeyboardModifier.NoModifier


def notes(row: PairMarks) -> str:
    """``T: flicker; C: strong``: the shown marks' notes, each after its key's letter."""
    return "; ".join(f"{LETTERS[mark.kind]}: {mark.note}" for mark in row.marks if mark.note)


def when(at: datetime | None, dated: bool) -> str:
    """A mark's time, local (with its date for an earlier visit's)."""
    if at is None:
        return ""
    return f"{at.astimezone():{'%Y-%m-%d %H:%M' if dated else '%H:%M'}}"


class MarksTable(QTableWidget):
    """Both leads' pairs and their latest marks, in one section per lead."""

    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.rows: list[PairMarks | None] = []  # None: a lead's heading
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Note"), QHeaderView.ResizeMode.Stretch)
        self.setFixedHeight(header.sizeHint().height() + VISIBLE_ROWS
                            * self.verticalHeader().defaultSectionSize() + 2 * self.frameWidth())
        # every column whole, with room for a short note, at any zoom
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(
            "E0+ E3−  Threshold  Target  Maximum  a note  00:00") + 40)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemSelectionChanged.connect(self.selection_changed)
        self.show_rows([], dated=False)

    def show_rows(self, rows: Sequence[PairMarks], dated: bool) -> None:
        """``rows`` under their lead's heading; ``dated``: times with the date (earlier
        visits)."""
        self.clearContents()
        self.clearSpans()
        self.rows = []
        self.setRowCount(0)
        for lead in (0, 1):
            on_this = [row for row in rows if row.lead == lead]
            self._heading(f"{lead_name(lead).capitalize()} lead"
                          + ("" if on_this else " — no marks"))
            for row in on_this:
                self._pair(row, dated)
        self.selection_changed.emit()

    def _heading(self, text: str) -> None:
        index = self.rowCount()
        self.insertRow(index)
        self.rows.append(None)
        item = QTableWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable: no mark
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.setItem(index, 0, item)
        self.setSpan(index, 0, 1, len(COLUMNS))

    def _pair(self, row: PairMarks, dated: bool) -> None:
        index = self.rowCount()
        self.insertRow(index)
        self.rows.append(row)
        cells = (row.pair, *(row.amplitude_text(kind) for kind in KIND_COLUMNS.values()),
                 notes(row), when(row.last_marked_at, dated))
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(self._tooltip(row, column))
            self.setItem(index, column, item)

    @staticmethod
    def _tooltip(row: PairMarks, column: int) -> str:
        mark = row.mark(KIND_COLUMNS.get(column, MarkKind.TARGET))
        if column in KIND_COLUMNS and mark is None:
            return f"No {KIND_COLUMNS[column].label} marked on {row.where}."
        if mark is None:
            return notes(row)
        return (f"{mark.kind.label.capitalize()} on {row.where}: {mark.amplitude_ma} mA at "
                f"{mark.pulse_width_us} µs, {mark.frequency_hz} Hz; marked "
                f"{when(mark.marked_at, True)} by {mark.operator}"
                + (f". {mark.note}" if mark.note else "."))

    def show_marks(self, marks: Sequence[TitrationMark], dated: bool) -> None:
        """The latest marks per pair of ``marks`` (one visit's, or earlier visits')."""
        self.show_rows(pair_rows(marks), dated)

    def selected_mark(self) -> TitrationMark | None:
        """The mark the chosen cell stands for: a threshold, target or maximum cell's, or
        the pair's target for any other cell of its row (None: nothing there)."""
        chosen = self.selectedIndexes()
        if not chosen:
            return None
        index = chosen[0]
        row = self.rows[index.row()] if index.row() < len(self.rows) else None
        if row is None:
            return None
        return row.mark(KIND_COLUMNS.get(index.column(), MarkKind.TARGET))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in MARK_KEYS and plain_key(event):
            event.ignore()  # the tab's: marks are made with these keys, not searched for
            return
        super().keyPressEvent(event)
