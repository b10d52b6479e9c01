"""The demonstration marking: a report made with the emulator must never pass for a patient's.

A PDF travels without the window it came from: printed, filed, e-mailed. One made in
the demo window, or from a device that is the emulator (its model starts with ``EMU``),
carries ``DEMO_MARK`` in a band at the top and the bottom of every page, drawn on the
page itself so that no layout of the content can push it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

DEMO_MARK = "DEMO — EMULATOR, NOT A PATIENT DEVICE"
EMULATOR_MODEL_PREFIX = "EMU"
MARK_RED = colors.HexColor("#b71c1c")
BAND_MM = 7.0  # each band's height; the report's margins leave room for it


def is_emulator(device: Mapping[str, Any] | None) -> bool:
    """The device reported is the emulator (as the window's header badge decides)."""
    return device is not None and str(device.get("model", "")).startswith(
        EMULATOR_MODEL_PREFIX)


def draw_demo_mark(canvas: Canvas, page_size: tuple[float, float], font: str) -> None:
    """The mark in a red band along the top and the bottom edge of the current page."""
    width, height = page_size
    canvas.saveState()
    for bottom in (height - (BAND_MM + 2) * mm, 2 * mm):
        canvas.setFillColor(MARK_RED)
        canvas.rect(0, bottom, width, BAND_MM * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(font, 11)
        canvas.drawCentredString(width / 2, bottom + 2.2 * mm, DEMO_MARK)
    canvas.restoreState()
