"""A read-only table of figures sized to its rows, so the tab scrolls as one page rather
than each small table scrolling on its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
)

Row = tuple[str, ...]
ROWS_ASKED = 4
"""Rows a scrolling table asks room for; it grows into whatever more the tab has."""


def _no_tip(_row: Row) -> str:
    return ""


class FigureTable(QTableWidget):
    """Names in the first column, figures (right-aligned) in the others."""

    def __init__(self, headers: Sequence[str], tooltip: Callable[[Row], str] = _no_tip,
                 bold_last: int = 0, fitted: bool = True) -> None:
        """``bold_last`` rows at the bottom are totals; ``tooltip`` explains a row; a table
        not ``fitted`` to its rows (a list of any length) scrolls within the room it has."""
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(list(headers))
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if fitted:
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        else:  # narrow room: the names give way, eliding, rather than the figures scroll
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed if fitted
                           else QSizePolicy.Policy.Expanding)
        self._fitted = fitted
        self._tooltip = tooltip
        self._bold_last = bold_last
        self.show_rows([])

    def show_rows(self, rows: Sequence[Row]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            tip = self._tooltip(row)
            total = r >= len(rows) - self._bold_last
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if total:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                item.setToolTip(tip)
                self.setItem(r, c, item)
        self.resizeRowsToContents()
        if self._fitted:  # never squeezed: every figure stays in view
            self.setFixedHeight(self._rows_height())
            self.setMinimumWidth(self.sizeHint().width())
        self.updateGeometry()

    def _rows_height(self, most: int | None = None) -> int:
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        shown = range(self.rowCount() if most is None else min(most, self.rowCount()))
        return height + sum(self.rowHeight(r) for r in shown)

    def sizeHint(self) -> QSize:
        """As wide as its columns: figures stay next to their names."""
        width = sum(self.horizontalHeader().sectionSize(c) for c in range(self.columnCount()))
        if self._fitted:
            return QSize(width + 2 * self.frameWidth(), self._rows_height())
        width += self.verticalScrollBar().sizeHint().width()
        return QSize(width + 2 * self.frameWidth(), self._rows_height(most=ROWS_ASKED))

    def texts(self) -> list[Row]:
        """What the table shows, row by row (for reading it back)."""
        return [tuple(self.item(r, c).text() for c in range(self.columnCount()))
                for r in range(self.rowCount())]
