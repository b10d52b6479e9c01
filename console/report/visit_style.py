"""How the visit report and the handout look: the placement report's fonts and colours.

The Bitstream Vera fonts that ship with reportlab print Ω, µ, ≤ and the minus sign on
any machine; they are registered under the placement report's names, so whichever
report is made first registers them for both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from console.report.marking import draw_demo_mark
from console.report.placement_pdf import (
    AMBER,
    FAIL_RED,
    FONT,
    FONT_BOLD,
    GRID_GREY,
    HEAD_BG,
    PASS_GREEN,
    register_fonts,
)

__all__ = ["AMBER", "CHANGED_BG", "FAIL_RED", "FONT", "FONT_BOLD", "GRID_GREY", "HEAD_BG",
           "PASS_GREEN", "Styles", "banner", "grid_table", "on_every_page", "register_fonts",
           "text"]

CHANGED_BG = colors.HexColor("#fff3cd")
FOOTER_GREY = colors.HexColor("#455a64")


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    banner: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle

    @classmethod
    def make(cls, size: float = 8.5) -> Styles:
        """Styles at body text ``size`` points (the handout is printed larger)."""
        body = ParagraphStyle("body", fontName=FONT, fontSize=size, leading=size * 1.25)
        cell = ParagraphStyle("cell", parent=body, fontSize=size - 1, leading=(size - 1) * 1.2)
        return cls(
            body=body,
            small=ParagraphStyle("small", parent=body, fontSize=size - 1.5,
                                 leading=(size - 1.5) * 1.2, textColor=FOOTER_GREY),
            title=ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=size * 1.7,
                                 leading=size * 2.1, spaceAfter=2),
            heading=ParagraphStyle("heading", parent=body, fontName=FONT_BOLD,
                                   fontSize=size * 1.3, leading=size * 1.65, spaceBefore=6,
                                   spaceAfter=2, keepWithNext=1),
            banner=ParagraphStyle("banner", parent=body, fontName=FONT_BOLD,
                                  fontSize=size * 1.3, leading=size * 1.6, alignment=TA_CENTER,
                                  textColor=colors.white),
            cell=cell,
            cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=FONT_BOLD))


def text(value: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: names and notes are never markup)."""
    return Paragraph(escape(value), style)


def banner(message: str, colour: colors.Color, styles: Styles) -> Table:
    table = Table([[text(message, styles.banner)]], colWidths=["100%"])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colour),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return table


def grid_table(rows: Sequence[Sequence[object]], widths: Sequence[float | None] | None = None,
               *, extra: Sequence[tuple] = (), header: bool = True) -> Table:
    """A ruled table with a grey header row, as the placement report draws them."""
    table = Table([list(row) for row in rows], colWidths=widths, repeatRows=1 if header else 0)
    style: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.3, GRID_GREY), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_BG))
    table.setStyle(TableStyle([*style, *extra]))
    return table


def on_every_page(marked: bool, footer: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    """The demonstration marking (when ``marked``) and a footer with the page number."""

    def draw(canvas: Canvas, document: BaseDocTemplate) -> None:
        if marked:
            draw_demo_mark(canvas, document.pagesize, FONT_BOLD)
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(FOOTER_GREY)
        bottom = (11 if marked else 6) * mm
        canvas.drawString(document.leftMargin, bottom, footer)
        canvas.drawRightString(document.pagesize[0] - document.rightMargin, bottom,
                               f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw
