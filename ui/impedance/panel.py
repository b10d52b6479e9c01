"""The Impedance tab: measure both leads, read the results in words and pictures, keep them.

One measurement is a monopolar run (each contact against the case) then a bipolar run
(the six pairs of each lead). Only a complete measurement counts: it is stored in the
clinical record and handed to the session (leads view, program assessment); a measurement
stopped halfway keeps nothing. The run is stored on the device worker, in the same task
as the measurement, so the record holds it before any later device operation goes out;
the trend is read from the record on ``RecordTasks``, never waiting for the device.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError, Action
from console.leads.impedance import ContactState, ImpedanceMap, classify
from console.leads.integrity import latest_recorded
from console.leads.naming import contact_name, pair_name
from console.storage import ImpedanceMeasurement, RecordError
from device_link.client import DeviceClient
from device_link.errors import Aborted
from device_link.messages import ImpedanceProgress, ImpedanceRecord
from device_link.protocol import BIPOLAR_PAIRS, ImpedanceMode
from ui.impedance.chart import STATE_COLOURS, ContactBarChart, ImpedanceTrend, lead_name
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for

PANEL_TITLE = "Impedance"
OPERATION = "impedance"
BOTH_LEADS = 0b11

STATE_WORDS = {
    ContactState.NORMAL: "normal",
    ContactState.HIGH: "high — check the contact",
    ContactState.LOW: "low — check the contact",
    ContactState.OPEN: "OPEN circuit",
    ContactState.SHORTED: "SHORTED",
    ContactState.UNKNOWN: "not measured",
}


@dataclass(frozen=True, slots=True)
class MeasurementRun:
    """What one press of "Measure impedance" produced, from the worker thread."""

    records: tuple[ImpedanceRecord, ...]  # empty when stopped
    stopped: bool
    record_note: str  # how the clinical record took it, in words
    serial: str = ""  # the device measured
    fault_flags: int | None = None  # the device's, read right after the run


def create(context: WindowContext) -> QWidget:
    return ImpedancePanel(context)


class ImpedancePanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._measuring = False
        self._waiting_for: str | None = None  # the reason shown while Measure is unavailable
        self._offset = 0  # progress of the runs already finished
        self._last_done = 0
        self._records = RecordTasks(self)
        self._stop_pressed = threading.Event()  # set from the STOP thread itself
        self._device_busy = False  # another operation holds the device (status polls aside)

        self.measure_button = QPushButton("Measure impedance")
        self.measure_button.setToolTip(
            "Measure every contact against the case, then every pair of contacts, on both "
            "leads (about a second). Results are stored in the clinical record. STOP aborts.")
        self.measure_button.clicked.connect(self.measure)
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m measurements")
        self.progress.setToolTip("Advances as the device reports each measurement")
        self.progress.setRange(0, self._expected_total())
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Lead", "Contact or pair", "Ohms", "State"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setMinimumWidth(310)
        rows = self.table.verticalHeader()  # rows follow the type size, so the zoom too
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setStyleSheet("QTableWidget::item { padding: 2px 4px; }")
        self.table.setToolTip("Monopolar: a contact against the stimulator case. Bipolar: "
                              "between two contacts of one lead (about the sum of both).")
        self.bars = ContactBarChart()
        self.trend = ImpedanceTrend()
        self.trend_caption = QLabel()
        self.trend_caption.setObjectName("findingInfo")
        self.trend_caption.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.measure_button)
        top.addWidget(self.progress, 1)
        pictures = QSplitter(Qt.Orientation.Vertical)
        pictures.addWidget(self.bars)
        trend_box = QWidget()
        trend_layout = QVBoxLayout(trend_box)
        trend_layout.setContentsMargins(0, 0, 0, 0)
        trend_layout.addWidget(self.trend, 1)
        trend_layout.addWidget(self.trend_caption)
        pictures.addWidget(trend_box)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.table)
        body.addWidget(pictures)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        body.setSizes([310, 10_000])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(body, 1)

        model, controller = context.model, context.controller
        model.device_changed.connect(self._refresh_controls)
        model.impedance_changed.connect(self.show_impedances)
        controller.connected.connect(lambda facts: self._load_history(facts.identity.serial))
        controller.disconnected.connect(lambda _reason: self._clear_history())
        controller.notice.connect(self._on_notice)
        controller.busy_changed.connect(self._on_busy)
        controller.stop_sent.connect(lambda _at: self._stop_pressed.set(),
                                     Qt.ConnectionType.DirectConnection)
        self.show_impedances()
        self._clear_history()
        self._refresh_controls()

    # -- measuring -------------------------------------------------------------------------

    def _per_lead(self) -> int:
        device = self._context.model.device
        return device.identity.electrodes_per_lead if device is not None else 4

    def _leads(self) -> int:
        device = self._context.model.device
        return min(device.identity.leads, 2) if device is not None else 2

    def _expected_total(self) -> int:
        return self._leads() * (self._per_lead() + len(BIPOLAR_PAIRS))

    def measure(self) -> None:
        if self._measuring or not self.measure_button.isEnabled():
            return
        self._measuring = True
        self._stop_pressed.clear()
        self._offset = self._last_done = 0
        self.progress.setRange(0, self._expected_total())
        self.progress.setValue(0)
        self._say("Measuring: monopolar, then bipolar, on both leads …")
        keeper = keeper_for(self._context)
        self._refresh_controls()

        def run(client: DeviceClient) -> MeasurementRun:
            assert client.identity is not None
            serial = client.identity.serial
            records: tuple[ImpedanceRecord, ...] = ()
            for mode in (ImpedanceMode.MONOPOLAR, ImpedanceMode.BIPOLAR):
                if self._stop_pressed.is_set():  # STOP between the two runs
                    return MeasurementRun((), True, "nothing stored")
                try:
                    records += client.measure_impedance(BOTH_LEADS, mode).records
                except Aborted:
                    return MeasurementRun((), True, "nothing stored")
            if self._stop_pressed.is_set():  # STOP during the run: it does not count
                return MeasurementRun((), True, "nothing stored")
            flags = client.get_status().fault_flags  # as this very run left them
            if keeper is None:
                return MeasurementRun(records, False, "NOT stored: no clinical record is open",
                                      serial, flags)
            try:
                stored = keeper.record_impedance(serial, records)
            except (RecordError, AccessError) as exc:
                note = f"NOT stored in the clinical record: {exc}"
            else:
                note = f"stored in the clinical record ({stored} readings)"
            return MeasurementRun(records, False, note, serial, flags)

        self._context.controller.run(OPERATION, run, self._measured,
                                     on_failed=self._measure_failed)

    def _on_notice(self, notice: object) -> None:
        if not self._measuring or not isinstance(notice, ImpedanceProgress):
            return
        if notice.done <= self._last_done:  # the bipolar run counts again from one
            self._offset += self._last_done
        self._last_done = notice.done
        self.progress.setValue(min(self._offset + notice.done, self.progress.maximum()))

    def _measured(self, run: MeasurementRun) -> None:
        self._measuring = False
        if run.stopped:
            self.progress.setValue(0)
            self._say("Measurement stopped: no results kept, nothing stored.", warn=True)
            self._refresh_controls()
            return
        self.progress.setValue(self.progress.maximum())
        session = self._context.model.session
        session.measured(run.records, run.fault_flags)
        self._context.model.notify_impedance()  # redraws this panel, the leads and assessment
        problems = self._problems()
        when = datetime.now().strftime("%H:%M")
        summary = (f"Measured at {when}: {len(run.records)} readings, {run.record_note}. "
                   + (" ".join(problems) if problems else "All contacts and pairs normal."))
        self._say(summary, warn=bool(problems) or run.record_note.startswith("NOT"))
        self._load_history(run.serial)
        self._refresh_controls()

    def _measure_failed(self, message: str) -> None:
        self._measuring = False
        self.progress.setValue(0)
        self._say(f"Measurement failed: {message}. No results kept.", warn=True)
        self._refresh_controls()

    # -- showing ---------------------------------------------------------------------------

    def _problems(self) -> list[str]:
        """Sentences about every contact or pair that is not normal."""
        profile = self._context.model.session.profile
        impedances = self._context.model.session.impedances
        found = []
        for lead, electrode, b, ohms in _rows(impedances):
            state = classify(ohms, profile)
            if state != ContactState.NORMAL:
                where = contact_name(electrode) if b is None else pair_name(electrode, b)
                found.append(f"{lead_name(lead)} {where}: {STATE_WORDS[state]}.")
        return found

    def show_impedances(self) -> None:
        """Table and bar chart from the session's latest readings."""
        session = self._context.model.session
        profile = session.profile
        rows = _rows(session.impedances)
        self.table.setRowCount(len(rows))
        for row, (lead, a, b, ohms) in enumerate(rows):
            state = classify(ohms, profile)
            where = f"{contact_name(a)} – case" if b is None else pair_name(a, b)
            value = "—" if ohms is None else f"{ohms}"
            cells = (lead_name(lead), where, value, STATE_WORDS[state])
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if column == 3 and state != ContactState.NORMAL:
                    item.setForeground(QColor(STATE_COLOURS[state]))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.bars.show_map(session.impedances, profile, leads=self._leads(),
                           electrodes=self._per_lead())

    def _load_history(self, serial: str) -> None:
        keeper = keeper_for(self._context)
        if keeper is None:
            self._show_history(())
            return
        self._records.run(lambda: tuple(keeper.record.impedance_history(keeper.actor,
                                                                          serial)),
                          self._show_history,
                          lambda message: self.trend_caption.setText(
                              f"Earlier measurements could not be read: {message}"))

    def _show_history(self, history: tuple[ImpedanceMeasurement, ...]) -> None:
        session = self._context.model.session
        if history:  # the record's last readings: shown with their age, never "measured now"
            session.remember(history[0].device_serial, latest_recorded(history))
            self._context.model.notify_draft()
        profile = session.profile
        self.trend.show_history(history, profile, self._per_lead())
        runs = len({m.measured_at for m in history})
        self.trend_caption.setText(
            f"Trend: {runs} measurement{'s' if runs != 1 else ''} of this device in the "
            f"clinical record; green band = normal range {profile.impedance_normal_min_ohm}–"
            f"{profile.impedance_normal_max_ohm} Ω; × = open circuit."
            if runs else "Trend: no measurements of this device in the clinical record yet.")

    def _clear_history(self) -> None:
        self.trend.show_history((), self._context.model.session.profile, self._per_lead())
        self.trend_caption.setText("Trend: connect a device to see its measurements in the "
                                   "clinical record.")

    def _on_busy(self, operation: str) -> None:
        self._device_busy = operation not in ("", "status")
        self._refresh_controls()

    def _refresh_controls(self) -> None:
        model = self._context.model
        allowed = self._context.may(Action.MEASURE_IMPEDANCE)
        connected = model.device is not None
        idle = model.state_name == "IDLE"
        self.measure_button.setEnabled(allowed and connected and idle and not self._measuring
                                       and not self._device_busy)
        if not allowed:
            self.measure_button.setToolTip("Your role may not measure impedance.")
        elif not self._measuring and not connected:
            self._say_why("Connect a device to measure impedance.")
        elif not self._measuring and not idle:
            self._say_why(f"The device is {model.state_name.replace('_', ' ').lower()}: "
                          "measure when it is idle.")
        elif self._waiting_for is not None and self.status.text() == self._waiting_for:
            self._waiting_for = None  # what it waited for has come: the reason is stale
            self._say("Ready: Measure checks every electrode of both leads.")

    def _say_why(self, text: str) -> None:
        """Why Measure cannot be pressed now; replaced once that no longer holds."""
        self._waiting_for = text
        self._say(text)

    def _say(self, text: str, warn: bool = False) -> None:
        self.status.setText(text)
        self.status.setObjectName("findingConfirm" if warn else "findingInfo")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)


def _rows(impedances: ImpedanceMap) -> list[tuple[int, int, int | None, int | None]]:
    """(lead, a, b or None, ohms) — monopolar rows first, then pairs, each by lead."""
    mono = [(lead, e, None, ohms) for (lead, e), ohms in sorted(impedances.monopolar.items())]
    pairs = [(lead, a, b, ohms) for (lead, a, b), ohms in sorted(impedances.bipolar.items())]
    return mono + pairs
