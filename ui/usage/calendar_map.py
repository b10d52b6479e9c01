"""A calendar heat map of completed sessions per day, one column per week.

Colour is never alone: each day also carries its count as a number when the cell is large
enough, and a tooltip with started, completed and minutes; days outside the period are
left blank so "no data" never looks like "no use".
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from console.usage.report import DayUsage

CELL = 16
GAP = 3
LABEL_W = 34
HEAD_H = 16
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
SHADES = ("#eceff1", "#a5d6a7", "#43a047", "#1b5e20")
"""None, some, the prescription, more: the count scale, light to dark."""


def shade_for(completed: int, prescribed: int) -> str:
    if completed <= 0:
        return SHADES[0]
    if completed < prescribed:
        return SHADES[1]
    return SHADES[2] if completed == prescribed else SHADES[3]


def day_text(day: DayUsage) -> str:
    return (f"{day.day:%a %d %b %Y}: {day.completed} completed of {day.started} started, "
            f"{day.minutes:g} min")


class CalendarMap(QWidget):
    """Weeks left to right (Monday at the top), the newest week on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: dict[date, DayUsage] = {}
        self._first: date | None = None
        self._weeks = 0
        self._prescribed = 2
        self.setMouseTracking(True)
        self.setAccessibleName("Sessions completed per day")

    def show_days(self, days: tuple[DayUsage, ...], prescribed: int) -> None:
        self._days = {day.day: day for day in days}
        self._prescribed = prescribed
        if days:
            start = days[0].day
            self._first = start - timedelta(days=start.weekday())
            self._weeks = (days[-1].day - self._first).days // 7 + 1
        else:
            self._first, self._weeks = None, 0
        self.resize(self.sizeHint())  # inside a scroll area the size is the widget's own
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(LABEL_W + max(self._weeks, 4) * (CELL + GAP), HEAD_H + 7 * (CELL + GAP))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _cell(self, week: int, weekday: int) -> QRect:
        return QRect(LABEL_W + week * (CELL + GAP), HEAD_H + weekday * (CELL + GAP), CELL, CELL)

    def day_at(self, point: QPoint) -> DayUsage | None:
        if self._first is None:
            return None
        week = (point.x() - LABEL_W) // (CELL + GAP)
        weekday = (point.y() - HEAD_H) // (CELL + GAP)
        if not (0 <= week < self._weeks and 0 <= weekday < 7):
            return None
        if not self._cell(week, weekday).contains(point):
            return None
        return self._days.get(self._first + timedelta(days=7 * week + weekday))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(QColor("#455a64"))
        for weekday, name in enumerate(WEEKDAYS):
            painter.drawText(QRect(0, HEAD_H + weekday * (CELL + GAP), LABEL_W - 4, CELL),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        if self._first is None:
            return
        month_shown = None
        for week in range(self._weeks):
            monday = self._first + timedelta(days=7 * week)
            if monday.month != month_shown:
                month_shown = monday.month
                painter.setPen(QColor("#455a64"))
                painter.drawText(QRect(LABEL_W + week * (CELL + GAP), 0, 60, HEAD_H),
                                 Qt.AlignmentFlag.AlignLeft, f"{monday:%b}")
            for weekday in range(7):
                day = self._days.get(monday + timedelta(days=weekday))
                if day is None:
                    continue
                rect = self._cell(week, weekday)
                painter.fillRect(rect, QColor(shade_for(day.completed, self._prescribed)))
                painter.setPen(QPen(QColor("#90a4ae"), 1))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
                if day.completed:
                    dark = day.completed >= self._prescribed
                    painter.setPen(QColor("white" if dark else "black"))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(day.completed))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        day = self.day_at(event.position().toPoint())
        self.setToolTip(day_text(day) if day is not None else "")
        super().mouseMoveEvent(event)
