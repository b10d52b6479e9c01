"""The follow-up timepoints in a column: each with its due date and its state in words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.outcomes.timepoints import SCHEDULED, FollowUpState, Timepoint
from ui.outcomes.view_data import TimepointStanding
from ui.outcomes.words import STATE_COLOURS, STATE_MARKS, TIMEPOINT_WORDS, day_text


def standing_text(standing: TimepointStanding) -> str:
    """``"6 weeks: ✓ collected\\n30 Jun 2026 (due 28 Jun)"``: the timepoint, its state,
    its dates."""
    point, state, due = standing.point, standing.state, standing.due
    head = f"{TIMEPOINT_WORDS[point]}: {STATE_MARKS[state]} {state.value}"
    if standing.collected_on is not None:
        when = day_text(standing.collected_on)
        if due is not None and point is not Timepoint.BASELINE:
            when += f" (due {due:%d %b})"
    elif due is None:
        when = "no implant date"
    elif point is Timepoint.BASELINE:
        when = f"before the implant, {day_text(due)}"
    else:
        when = f"due {day_text(due)}"
    return f"{head}\n{when}"


class TimepointStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.labels: dict[Timepoint, QLabel] = {}
        for point in SCHEDULED:
            label = QLabel(TIMEPOINT_WORDS[point])
            label.setTextFormat(Qt.TextFormat.PlainText)
            layout.addWidget(label)
            self.labels[point] = label
        layout.addStretch(1)
        self.setFixedWidth(self.fontMetrics().averageCharWidth() * 32)

    def show_schedule(self, schedule: tuple[TimepointStanding, ...]) -> None:
        for standing in schedule:
            label = self.labels[standing.point]
            colour = STATE_COLOURS[standing.state]
            text = standing_text(standing)
            label.setText(text)
            weight = "bold" if standing.state in (FollowUpState.DUE,
                                                  FollowUpState.OVERDUE) else "normal"
            label.setStyleSheet(f"color: {colour}; border: 2px solid {colour}; "
                                f"border-radius: 4px; padding: 2px 4px; font-weight: {weight};")
            label.setToolTip(text)
            label.setAccessibleName(text.replace("\n", ", "))

    def clear(self) -> None:
        for point, label in self.labels.items():
            label.setText(TIMEPOINT_WORDS[point])
            label.setStyleSheet("")
