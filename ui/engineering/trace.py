"""The console side's protocol trace: every decoded frame, newest last, bounded.

Frames arrive from the client's threads at any rate; they are buffered and added to
the table a batch at a time, and only the newest ``TRACE_ROWS`` are kept, so the
window stays responsive however long the link runs.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from device_link.protocol import Kind
from device_link.trace import TraceRecord
from ui.device.controller import DeviceController

TRACE_ROWS = 2000
FLUSH_MS = 100
COLUMNS = ("Time (s)", "Direction", "Kind", "Seq", "Message", "Bytes", "MAC", "Note")
ERROR_RED = QColor("#b71c1c")  # error replies and frames the console discarded
EVENT_BLUE = QColor("#1565c0")
Index = QModelIndex | QPersistentModelIndex


def payload_hex(payload: bytes) -> str:
    """Payload bytes as hex, 16 to a line, with offsets."""
    if not payload:
        return "(no payload)"
    lines = []
    for offset in range(0, len(payload), 16):
        chunk = payload[offset:offset + 16]
        lines.append(f"{offset:04x}  " + " ".join(f"{byte:02x}" for byte in chunk))
    return "\n".join(lines)


class TraceModel(QAbstractTableModel):
    """The newest ``capacity`` trace records, appended in batches."""

    def __init__(self, capacity: int = TRACE_ROWS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._rows: deque[TraceRecord] = deque()
        self._pending: list[TraceRecord] = []
        self._t0: float | None = None
        self._last_tx_seq: int | None = None
        self.total = 0

    def add(self, record: TraceRecord) -> None:
        if record.direction == "tx":
            if record.frame.seq == self._last_tx_seq and not record.note:
                record = dataclasses.replace(record, note="retransmission: no reply in time")
            self._last_tx_seq = record.frame.seq
        self._pending.append(record)

    def flush(self) -> int:
        """Move buffered records into the table; returns how many were added."""
        pending, self._pending = self._pending[-self.capacity:], []
        if not pending:
            return 0
        if self._t0 is None:
            self._t0 = pending[0].t
        self.total += len(pending)
        overflow = len(self._rows) + len(pending) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._rows.popleft()
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(pending) - 1)
        self._rows.extend(pending)
        self.endInsertRows()
        return len(pending)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._pending.clear()
        self._t0 = None
        self.total = 0
        self.endResetModel()

    def record(self, row: int) -> TraceRecord:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        frame = record.frame
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(record, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            if frame.kind == Kind.ERROR or record.note:
                return ERROR_RED
            if frame.kind == Kind.EVENT:
                return EVENT_BLUE
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.summary()
        return None

    def _cell(self, record: TraceRecord, column: int) -> str:
        frame = record.frame
        if column == 0:
            return f"{record.t - (self._t0 if self._t0 is not None else record.t):.3f}"
        if column == 1:
            return "console → device" if record.direction == "tx" else "device → console"
        if column == 2:
            return frame.kind.name
        if column == 3:
            return str(frame.seq)
        if column == 4:
            return record.opcode_name
        if column == 5:
            return str(len(frame.payload))
        if column == 6:
            return "yes" if frame.has_mac else "—"
        return record.note


class TraceView(QWidget):
    """The table, follow/record switches, and the selected frame's payload in hex."""

    def __init__(self, controller: DeviceController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.model = TraceModel(parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        title = QLabel("<b>Protocol trace</b> (console side, decoded)")
        title.setToolTip("Every frame the console sent and received, as it decoded them")
        row.addWidget(title)
        row.addStretch(1)
        self.count = QLabel()
        row.addWidget(self.count)
        self.record_box = QCheckBox("Record")
        self.record_box.setToolTip("Trace every frame the console sends and receives")
        self.record_box.setChecked(True)
        self.record_box.toggled.connect(self._set_recording)
        row.addWidget(self.record_box)
        self.follow = QCheckBox("Follow newest")
        self.follow.setToolTip("Keep the newest frame in view")
        self.follow.setChecked(True)
        row.addWidget(self.follow)
        clear = QPushButton("Clear")
        clear.setToolTip("Empty the table (the link is not affected)")
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        layout.addLayout(row)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 120, 70, 50, 140, 50, 40)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        layout.addWidget(self.table, 1)

        self.detail = QLabel("Select a frame to see its payload in hex.")
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)

        controller.traced.connect(self._traced)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._flush_timer.start()
        self._set_recording(True)

    @Slot(object)
    def _traced(self, record: TraceRecord) -> None:
        self.model.add(record)

    def flush(self) -> None:
        if self.model.flush() and self.follow.isChecked():
            self.table.scrollToBottom()
        shown = self.model.rowCount()
        self.count.setText(f"{self.model.total} frames, {shown} shown")
        self.count.setToolTip(f"The newest {TRACE_ROWS} frames are kept")

    def clear(self) -> None:
        self.model.clear()
        self.detail.setText("Select a frame to see its payload in hex.")
        self.flush()

    def _set_recording(self, on: bool) -> None:
        self._controller.trace_enabled = on

    def _show_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        record = self.model.record(current.row())
        self.detail.setText(f"{record.summary()}\n{payload_hex(record.frame.payload)}")
