"""Impedance pictures: the latest reading of each contact, and each contact over time.

Both shade the clinic's normal range. An open circuit has no meaningful number of ohms,
so it is drawn as a red cross marked OPEN, never as a towering bar; every state is also
written in words, so nothing depends on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from console.leads.impedance import ContactState, ImpedanceMap
from console.leads.naming import contact_name
from console.safety import SafetyProfile
from console.storage import ImpedanceMeasurement
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY, OK_GREEN

LEAD_NAMES = ("Left", "Right")
STATE_COLOURS = {
    ContactState.NORMAL: OK_GREEN,
    ContactState.HIGH: CONFIRM_AMBER,
    ContactState.LOW: CONFIRM_AMBER,
    ContactState.SHORTED: BLOCK_RED,
    ContactState.OPEN: BLOCK_RED,
    ContactState.UNKNOWN: INFO_GREY,
}
_CONTACT_PENS = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00")  # with distinct symbols too
_CONTACT_SYMBOLS = ("o", "s", "t", "d")
_NORMAL_BRUSH = (46, 125, 50, 35)


def lead_name(lead: int) -> str:
    return LEAD_NAMES[lead] if lead < len(LEAD_NAMES) else f"Lead {lead}"


def _plot_widget(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w", title=title)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMinimumSize(160, 120)
    plot.showGrid(y=True, alpha=0.25)
    plot.setLabel("left", "Ω")
    plot.getAxis("left").enableAutoSIPrefix(False)
    return plot


def _normal_band(profile: SafetyProfile) -> pg.LinearRegionItem:
    band = pg.LinearRegionItem(
        values=(profile.impedance_normal_min_ohm, profile.impedance_normal_max_ohm),
        orientation="horizontal", movable=False, brush=_NORMAL_BRUSH,
        pen=pg.mkPen(OK_GREEN, width=1))
    band.setZValue(-10)
    return band


class ContactBarChart(QWidget):
    """One bar per contact (monopolar, against the case), coloured and labelled by state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _plot_widget("Latest: each contact vs case")
        self.plot.setToolTip("Monopolar impedance of each contact. Green band: the clinic's "
                             "normal range. A red cross marked OPEN is an open circuit "
                             "(broken conductor or no tissue contact).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.open_markers: list[tuple[int, int]] = []  # (lead, electrode) drawn as OPEN

    def show_map(self, impedances: ImpedanceMap, profile: SafetyProfile, *, leads: int = 2,
                 electrodes: int = 4) -> None:
        self.plot.clear()
        self.open_markers = []
        self.plot.addItem(_normal_band(profile))
        readings = [ohms for ohms in impedances.monopolar.values() if ohms is not None]
        top = max([profile.impedance_normal_max_ohm * 1.1, *(r * 1.2 for r in readings)])
        ticks = []
        for lead in range(leads):
            for electrode in range(electrodes):
                x = lead * (electrodes + 1) + electrode
                ticks.append((x, f"{lead_name(lead)[0]} {contact_name(electrode)}"))
                self._draw_contact(impedances, profile, lead, electrode, x, top)
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.plot.setXRange(-0.7, leads * (electrodes + 1) - 1.3, padding=0)
        self.plot.setYRange(0, top, padding=0)
        if not impedances.monopolar:
            self._label(leads * (electrodes + 1) / 2 - 1, top / 2, "not measured yet",
                        INFO_GREY, anchor=(0.5, 0.5))

    def _draw_contact(self, impedances: ImpedanceMap, profile: SafetyProfile, lead: int,
                      electrode: int, x: float, top: float) -> None:
        if (lead, electrode) not in impedances.monopolar:
            return
        ohms = impedances.monopolar[(lead, electrode)]
        state = impedances.contact_state(lead, electrode, profile)
        colour = STATE_COLOURS[state]
        if ohms is None:
            self.open_markers.append((lead, electrode))
            self.plot.addItem(pg.ScatterPlotItem([x], [top * 0.8], symbol="x", size=22,
                                                 pen=pg.mkPen(colour, width=2),
                                                 brush=pg.mkBrush(colour)))
            self._label(x, top * 0.8, "OPEN", colour, anchor=(0.5, -0.6))
            return
        self.plot.addItem(pg.BarGraphItem(x=[x], height=[ohms], width=0.7,
                                          brush=pg.mkBrush(colour), pen=pg.mkPen(colour)))
        words = f"{ohms}" if state == ContactState.NORMAL else f"{ohms}\n{state.value.upper()}"
        self._label(x, ohms, words, colour, anchor=(0.5, 1.0))

    def _label(self, x: float, y: float, text: str, colour: str,
               anchor: tuple[float, float]) -> None:
        item = pg.TextItem(text, color=colour, anchor=anchor)
        item.setPos(x, y)
        self.plot.addItem(item)


class ImpedanceTrend(QWidget):
    """Per lead, one line per contact over every stored measurement of this device."""

    def __init__(self, parent: QWidget | None = None, leads: int = 2) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots: list[pg.PlotWidget] = []
        for lead in range(leads):
            plot = _plot_widget(f"{lead_name(lead)} lead trend")
            plot.setAxisItems({"bottom": pg.DateAxisItem()})
            plot.setToolTip("Each contact's impedance against the case at every measurement "
                            "the clinical record holds for this device. A steady rise can "
                            "announce a failing conductor; a cross is an open circuit.")
            layout.addWidget(plot)
            self.plots.append(plot)
        self.points = 0  # readings drawn, for tests and the caption

    def show_history(self, history: Sequence[ImpedanceMeasurement], profile: SafetyProfile,
                     electrodes: int = 4) -> None:
        monopolar = [m for m in history if m.electrode_b is None]
        self.points = len(monopolar)
        finite = [m.ohms for m in monopolar if m.ohms is not None]
        top = max([profile.impedance_normal_max_ohm * 1.1, *(o * 1.2 for o in finite)])
        for lead, plot in enumerate(self.plots):
            plot.clear()
            plot.addItem(_normal_band(profile))
            legend = plot.addLegend(offset=(4, 4), labelTextSize="8pt")
            legend.clear()
            times = sorted({m.measured_at.timestamp() for m in monopolar if m.lead == lead})
            for electrode in range(electrodes):
                self._draw_contact(plot, [m for m in monopolar if m.lead == lead
                                          and m.electrode_a == electrode], electrode, top)
            plot.setYRange(0, top, padding=0)
            if not times:
                empty = pg.TextItem("no measurements\nin the clinical record", color=INFO_GREY,
                                    anchor=(0.5, 0.5))
                empty.setPos(0.5, top / 2)
                plot.addItem(empty)
                plot.setXRange(0, 1, padding=0)
            elif len(times) == 1:
                plot.setXRange(times[0] - 3600, times[0] + 3600, padding=0)
            else:
                plot.setXRange(times[0], times[-1], padding=0.08)

    @staticmethod
    def _draw_contact(plot: pg.PlotWidget, readings: Sequence[ImpedanceMeasurement],
                      electrode: int, top: float) -> None:
        if not readings:
            return
        colour = _CONTACT_PENS[electrode % len(_CONTACT_PENS)]
        symbol = _CONTACT_SYMBOLS[electrode % len(_CONTACT_SYMBOLS)]
        xs = [m.measured_at.timestamp() for m in readings]
        ys = [math.nan if m.ohms is None else float(m.ohms) for m in readings]
        if not all(math.isnan(y) for y in ys):  # a contact only ever open has no line
            plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol=symbol, symbolSize=7,
                      symbolBrush=colour, symbolPen=colour, connect="finite",
                      name=contact_name(electrode))
        opened = [x for x, m in zip(xs, readings, strict=True) if m.ohms is None]
        if opened:
            plot.addItem(pg.ScatterPlotItem(opened, [top * 0.92] * len(opened), symbol="x",
                                            size=14, pen=pg.mkPen(BLOCK_RED, width=2),
                                            brush=pg.mkBrush(BLOCK_RED)))
