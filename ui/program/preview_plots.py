"""What the program on screen will do, drawn to scale: one pulse, one cycle, one session.

The curves come from ``console.programming.preview`` (exact corner points); this module only draws
them. A program whose timing cannot be drawn (say, an on time shorter than its ramps)
shows why instead of a curve: the safety engine explains the same beside the field.
"""

from __future__ import annotations

from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from console.programming.preview import (
    cycle_envelope,
    duty_cycle,
    pulse_period_us,
    pulse_shape,
    session_timeline,
)
from console.programming.program import LEAD_NAMES, Program
from ui.common.theme import INFO_GREY, OK_GREEN

LEAD_PENS = (pg.mkPen("#37474f", width=2),
             pg.mkPen("#00838f", width=2, style=Qt.PenStyle.DashLine))
"""Left lead solid, right lead dashed (and another colour); blue and red stay for polarity."""

PLOT_HEIGHT = 160


def _plot(title: str, bottom: str, left: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    plot.setMinimumHeight(PLOT_HEIGHT)
    plot.setMaximumHeight(PLOT_HEIGHT + 30)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setTitle(title, color="#263238", size="9pt")
    for side, label in (("bottom", bottom), ("left", left)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen("#455a64"))
        axis.setTextPen(pg.mkPen("#263238"))
        plot.setLabel(side, label, color="#263238")
    plot.showGrid(x=True, y=True, alpha=0.2)
    return plot


def _floats(values: tuple[Decimal, ...]) -> list[float]:
    return [float(value) for value in values]


class PreviewPlots(QWidget):
    """Pulse (mA vs µs), contraction cycle (% of set amplitude vs s), session (on/off vs min)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pulse = _plot("Pulse", "µs (left solid, right dashed)", "mA")
        self.cycle = _plot("Cycle", "s", "% of amplitude")
        self.session = _plot("Session", "min", "")
        self.session.getAxis("left").setTicks([[(0, "off"), (1, "on")]])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for plot in (self.pulse, self.cycle, self.session):
            layout.addWidget(plot, 1)
        self.notes: dict[str, str] = {}

    def show_program(self, program: Program, unusable: set[str] = frozenset()) -> None:
        """Draw ``program``; fields in ``unusable`` (out of the device's range, or not
        parsed) are not drawn, since a curve of them would mislead or not fit."""
        self._show_pulses(program, unusable)
        self._show_cycle(program, unusable)
        self._show_session(program, unusable)

    def _note(self, plot: pg.PlotWidget, key: str, title: str, problem: str | None) -> None:
        """The plot's title, or what keeps it from being drawn (kept for tests and readers)."""
        self.notes[key] = problem or ""
        if problem:
            plot.setTitle(f"{title}: {problem}", color=INFO_GREY, size="9pt")
        else:
            plot.setTitle(title, color="#263238", size="9pt")

    def _show_pulses(self, program: Program, unusable: set[str]) -> None:
        plot = self.pulse
        plot.clear()
        drawn = []
        for index, lead in enumerate(program.leads):
            name = LEAD_NAMES[index]
            if not lead.enabled or lead.pulse_width_us <= 0 or {
                    f"{name}.amplitude_ma", f"{name}.pulse_width_us"} & unusable:
                continue
            shape = pulse_shape(lead.amplitude_ma, lead.pulse_width_us)
            plot.plot(_floats(shape.time), _floats(shape.value), pen=LEAD_PENS[index])
            drawn.append(name)
        plot.addLine(y=0, pen=pg.mkPen("#90a4ae", width=1))
        title = "Pulse, cathodic first"
        if not drawn:
            self._note(plot, "pulse", title, "no lead to draw")
            return
        try:
            period = pulse_period_us(program.frequency_hz)
            title += f" (every {period / 1000:.0f} ms)"
        except ValueError:
            pass
        self._note(plot, "pulse", title, None)

    def _show_cycle(self, program: Program, unusable: set[str]) -> None:
        plot = self.cycle
        plot.clear()
        title = "One contraction cycle"
        if {"ramp_up_s", "ramp_down_s", "on_s", "off_s"} & unusable:
            self._note(plot, "cycle", title, "timing outside the device's range")
            return
        try:
            envelope = cycle_envelope(program.ramp_up_s, program.ramp_down_s, program.on_s,
                                      program.off_s, Decimal(100))
            share = duty_cycle(program.on_s, program.off_s)
        except ValueError:
            self._note(plot, "cycle", title, "on time shorter than its ramps, or negative")
            return
        plot.plot(_floats(envelope.time), _floats(envelope.value),
                  pen=pg.mkPen(OK_GREEN, width=2), fillLevel=0,
                  brush=pg.mkBrush(46, 125, 50, 50))
        plot.setYRange(0, 105, padding=0)
        self._note(plot, "cycle", f"Cycle: {share * 100:.0f} % on", None)

    def _show_session(self, program: Program, unusable: set[str]) -> None:
        plot = self.session
        plot.clear()
        title = "One session"
        if {"on_s", "off_s", "session_min"} & unusable:
            self._note(plot, "session", title, "timing outside the device's range")
            return
        try:
            timeline = session_timeline(program.on_s, program.off_s, program.session_min)
        except ValueError:
            self._note(plot, "session", title, "no cycle to repeat")
            return
        minutes, levels = _blocks(program.on_s, program.off_s, timeline.session_s)
        plot.plot(minutes, levels, pen=pg.mkPen(OK_GREEN, width=1), fillLevel=0,
                  brush=pg.mkBrush(46, 125, 50, 90))
        plot.setYRange(0, 1.15, padding=0)
        plot.setXRange(0, max(timeline.session_s / 60, 0.1), padding=0.02)
        self._note(plot, "session", f"Session: {timeline.cycles_started} contractions",
                   None)


def _blocks(on_s: Decimal, off_s: Decimal, session_s: int) -> tuple[list[float], list[float]]:
    """Step curve of on (1) and off (0) blocks over the session, in minutes."""
    on, cycle, end = float(on_s), float(on_s + off_s), float(session_s)
    minutes: list[float] = []
    levels: list[float] = []
    start = 0.0
    while start < end and cycle > 0:
        stop = min(start + on, end)
        minutes += [start / 60, start / 60, stop / 60, stop / 60]
        levels += [0.0, 1.0, 1.0, 0.0]
        start += cycle
    return minutes, levels
