"""The Usage tab: whether the patient uses the therapy, from the device log in the record.

Reads run on ``RecordTasks`` and the download on the device worker, so neither holds up
the STOP key. Figures come from ``console.usage.overview`` (the definitions of
``mfconsole usage``, docs/usage.md); this tab only lays them out.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.clinic.profile import load_clinic_profile
from console.usage.download import LogDownload, download_new_entries, undownloaded_count
from console.usage.overview import UsageOverview, usage_overview
from console.usage.report import UsageReport
from console.usage.sessions import Starter
from console.usage.wording import started_by, stopped_by
from device_link.protocol import StopReason
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for
from ui.usage.calendar_map import CalendarMap
from ui.usage.weekly_chart import WeeklyChart

PANEL_TITLE = "Usage"
EARLY_SHOWN = 3
STARTER_WORD = {Starter.ACTIVATOR: "activator", Starter.CONSOLE: "console"}
STOP_WORD = {StopReason.STOP_REQUEST: "STOP", StopReason.WATCHDOG: "watchdog",
             StopReason.DURATION_ELAPSED: "time limit", StopReason.FAULT: "fault"}
"""Short words for the list; the tooltip says each in full."""
SESSION_MIN_ASSUMED = 30
"""Session length drawn in the weekly prescription when the program's is not known."""


def create(context: WindowContext) -> QWidget:
    return UsagePanel(context)


def _figure(report: UsageReport | None) -> str:
    if report is None:
        return "—"
    return (f"{report.adherence_pct:.1f} %  ·  {report.sessions_completed} of "
            f"{report.sessions_started} sessions completed, {report.minutes_delivered:.0f} min"
            f"  ({report.start:%d %b} – {report.end:%d %b %Y})")


class UsagePanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._serial: str | None = None
        self.overview: UsageOverview | None = None

        self.download_button = QPushButton("Download usage from the device")
        self.download_button.setToolTip("Fetch the log entries the record does not hold yet")
        self.download_button.clicked.connect(self.download)
        self.message = QLabel()
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.download_button)
        top.addWidget(self.message, 1)

        figures = QGroupBox("Adherence")
        grid = QGridLayout(figures)
        self.last_28 = QLabel("—")
        self.since_visit = QLabel("—")
        for row, (name, label) in enumerate((("Last 28 days", self.last_28),
                                             ("Since the last visit", self.since_visit))):
            grid.addWidget(QLabel(f"<b>{name}</b>"), row, 0)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            grid.addWidget(label, row, 1)
        grid.setColumnStretch(1, 1)
        self.flags = QLabel()
        self.flags.setObjectName("findingConfirm")
        self.flags.setWordWrap(True)
        self.pending: int | None = None  # entries on the device the record lacks
        self.pending_flag = QLabel()
        self.pending_flag.setObjectName("findingConfirm")
        self.pending_flag.setWordWrap(True)
        self.pending_flag.hide()
        self.early = QLabel()
        self.early.setWordWrap(True)

        self.calendar = CalendarMap()
        calendar_box = QGroupBox("Sessions completed per day (darker: the prescription or "
                                 "more; the number is the count)")
        scroll = self._calendar_scroll = QScrollArea()
        scroll.setWidget(self.calendar)
        scroll.setWidgetResizable(False)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(self.calendar.sizeHint().height() + 24)
        QVBoxLayout(calendar_box).addWidget(scroll)
        self.weekly = WeeklyChart()
        weekly_box = QGroupBox("Minutes per week, with the prescription")
        QVBoxLayout(weekly_box).addWidget(self.weekly)

        early_box = QGroupBox("Stopped early")
        QVBoxLayout(early_box).addWidget(self.early)
        grid.addWidget(self.flags, 2, 0, 1, 2)
        side_by_side = QHBoxLayout()
        side_by_side.addWidget(figures, 1)
        side_by_side.addWidget(early_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pending_flag)
        layout.addLayout(side_by_side)
        layout.addWidget(calendar_box)
        layout.addWidget(weekly_box, 1)

        context.model.device_changed.connect(self._device_changed)
        self._device_changed()

    # -- what to show ----------------------------------------------------------------------

    def _device_changed(self) -> None:
        device = self._context.model.device
        serial = device.identity.serial if device is not None else None
        may = self._context.may(Action.DOWNLOAD_DEVICE_LOG)
        self.download_button.setEnabled(device is not None and may)
        if not may:
            self.download_button.setToolTip(f"Role {self._context.user.role.value} may not "
                                            f"{Action.DOWNLOAD_DEVICE_LOG.value}")
        if serial is not None and serial != self._serial:
            self._serial = serial
            self.refresh()
            self._count_pending()
        elif serial is None and self._serial is None:
            self.refresh()

    def refresh(self) -> None:
        """Read the device's log from the record (the connected device, else the patient's)."""
        context = self._context
        record, user, patient = context.record, context.user, context.patient
        if record is None or user is None:
            return
        serial = self._serial
        clinic_id = patient.clinic_id if patient is not None else None
        visit_id = context.visit_id

        def read() -> tuple[str, UsageOverview] | None:
            chosen = serial
            if chosen is None and clinic_id is not None:
                devices = record.timeline(user, clinic_id).devices
                chosen = devices[-1].serial if devices else None
            if chosen is None:
                return None
            entries = record.device_log(user, chosen)
            device = record.device(user, chosen)
            today = date.today()
            earlier = [v.started_at.astimezone().date()
                       for v in record.visits(user, patient=device.patient_clinic_id)
                       if v.id != visit_id and v.started_at.astimezone().date() < today]
            return chosen, usage_overview(entries, load_clinic_profile(), today=today,
                                          implanted=device.implant_date,
                                          last_visit=earlier[-1] if earlier else None)

        self._records.run(read, self._show, lambda why: self._say(
            f"The usage could not be read from the clinical record: {why}"))

    def _show(self, found: tuple[str, UsageOverview] | None) -> None:
        if found is None:
            self._say("No device of this patient is in the clinical record yet.")
            return
        serial, overview = found
        self.overview = overview
        self.last_28.setText(_figure(overview.last_28_days))
        self.since_visit.setText(_figure(overview.since_last_visit)
                                 if overview.since_last_visit else "no earlier visit")
        self.flags.setText("\n".join(f"⚠ {flag}" for flag in overview.flags))
        self.flags.setVisible(bool(overview.flags))
        early = overview.stopped_early
        shown = early[-EARLY_SHOWN:]
        lines = [f"{len(early)} in the last 28 days" + (f"; the latest {len(shown)}:"
                                                         if len(early) > len(shown) else ":")]
        lines += [f"{datetime.fromtimestamp(s.start_time):%a %d %b %H:%M} · "
                  f"{s.minutes:.0f} min · {STARTER_WORD.get(s.started_by, '?')} → "
                  f"{STOP_WORD.get(s.stop_reason or 0, 'other')}" for s in shown]
        self.early.setText("\n".join(lines) if early else "None in the last 28 days.")
        self.early.setToolTip("\n".join(
            f"{datetime.fromtimestamp(s.start_time):%a %d %b %H:%M}: started {started_by(s)}, "
            f"stopped by {stopped_by(s)} after {s.minutes:.1f} min" for s in early))
        history = overview.history
        self.calendar.show_days(history.daily, history.prescribed_per_day)
        bar = self._calendar_scroll.horizontalScrollBar()
        bar.setValue(bar.maximum())  # the newest weeks in view
        self.weekly.show_days(history.daily,
                              7 * history.prescribed_per_day * SESSION_MIN_ASSUMED)
        if not self.message.text().startswith("Downloaded"):
            self._say(f"Device {serial}: from the log entries in the clinical record.")

    # -- downloading -----------------------------------------------------------------------

    def _count_pending(self) -> None:
        """Ask the device how many entries it holds that the record lacks; warn when its log
        is close to overwriting them (it keeps at least the newest 10 000)."""
        context, serial = self._context, self._serial
        keeper = keeper_for(context)
        if serial is None or keeper is None or not context.may(Action.DOWNLOAD_DEVICE_LOG):
            return

        def newest_and_limit() -> tuple[int | None, int]:
            stored = keeper.record.device_log(keeper.actor, serial)
            return (stored[-1].index if stored else None,
                    load_clinic_profile().warn_undownloaded_entries)

        def count(found: tuple[int | None, int]) -> None:
            newest, limit = found
            context.controller.run("count log", lambda client: undownloaded_count(client, newest),
                                   lambda pending: self._show_pending(pending, limit),
                                   on_failed=lambda _why: None)  # the download says why

        self._records.run(newest_and_limit, count)

    def _show_pending(self, pending: int, limit: int) -> None:
        self.pending = pending
        if pending > limit:
            self.pending_flag.setText(
                f"⚠ The device holds {pending} log entries not yet downloaded; it keeps at "
                "least its newest 10 000, so the oldest are close to being overwritten. "
                "Download now.")
            self.pending_flag.show()
        else:
            self.pending_flag.hide()
            self._say(f"{pending} log entries on the device are not in the record yet.")

    def download(self) -> None:
        context, serial = self._context, self._serial
        keeper = keeper_for(context)
        if serial is None or keeper is None:
            return
        self.download_button.setEnabled(False)
        self._say("Downloading the device log …")

        def newest() -> int | None:
            stored = keeper.record.device_log(keeper.actor, serial)
            return stored[-1].index if stored else None

        self._records.run(newest, lambda index: context.controller.run(
            "download log", lambda client: download_new_entries(client, index),
            self._downloaded, on_failed=self._failed), self._failed)

    def _downloaded(self, download: LogDownload) -> None:
        keeper, serial = keeper_for(self._context), self._serial
        if keeper is None or serial is None:
            return
        entries = download.entries
        lost = (f" {download.overwritten} older entries were overwritten on the device "
                "before they could be downloaded." if download.overwritten else "")

        def stored(new: int) -> None:
            self._show_pending(0, 1)
            self._say(f"Downloaded {len(entries)} new log entries ({new} stored).{lost}")
            self._device_changed()
            self.refresh()

        self._records.run(lambda: keeper.record_log(serial, entries), stored, self._failed)

    def _failed(self, why: str) -> None:
        self._say(f"Not downloaded: {why}")
        self._device_changed()

    def _say(self, text: str) -> None:
        self.message.setText(text)
