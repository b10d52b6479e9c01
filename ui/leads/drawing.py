"""The two leads drawn roughly to scale, each contact with its polarity and impedance.

Geometry assumed (MFL/1 fixes only the contact area): cylindrical contacts 3.0 mm long
and 1.3 mm across (π × 1.3 mm × 3.0 mm ≈ 12.25 mm², the device's electrode area),
separated by 2.0 mm of insulation (5 mm centre to centre), electrode 0 at the tip.
Lengths along the lead are to scale; the diameter is drawn wider than scale so the
polarity symbols fit inside the contacts. The number of contacts is the pictures' (the
device's count). The drawing shows ``LeadPicture``s under a banner and reports clicks and
keys; ``ui.leads.view`` decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from console.leads.impedance import ContactState
from console.leads.naming import contact_name
from console.programming.program import LEAD_NAMES
from ui.common.theme import ANODE_RED, BLOCK_RED, CATHODE_BLUE, CONFIRM_AMBER, INFO_GREY

DEFAULT_ELECTRODES = 4  # MFL/1's electrodes per lead, drawn until pictures say otherwise
CONTACT_MM = 3.0
GAP_MM = 2.0
DIAMETER_MM = 1.3
TIP_MM = 1.5
TAIL_MM = 7.0

LABEL_LEFT = 70  # px left of each lead for the pair's bracket and amplitude
BELOW_LEAD = 58  # px under the lead: "to the IPG" and the banner (up to two lines)


def lead_mm(electrodes: int) -> float:
    """The drawn lead's length: tip, contacts and gaps, and a stretch of the tail."""
    return TIP_MM + electrodes * CONTACT_MM + (electrodes - 1) * GAP_MM + TAIL_MM


class Polarity(StrEnum):
    OFF = "off"
    CATHODE = "cathode"
    ANODE = "anode"


SYMBOL = {Polarity.OFF: "", Polarity.CATHODE: "−", Polarity.ANODE: "+"}
FILL = {Polarity.OFF: "#eceff1", Polarity.CATHODE: CATHODE_BLUE, Polarity.ANODE: ANODE_RED}

STATE_MARK = {ContactState.OPEN: "⊘ OPEN", ContactState.SHORTED: "⚡ SHORTED",
              ContactState.HIGH: "▲ HIGH", ContactState.LOW: "▼ LOW"}
STATE_PATTERN = {ContactState.OPEN: Qt.BrushStyle.BDiagPattern,
                 ContactState.SHORTED: Qt.BrushStyle.DiagCrossPattern,
                 ContactState.HIGH: Qt.BrushStyle.Dense6Pattern,
                 ContactState.LOW: Qt.BrushStyle.Dense6Pattern}


@dataclass(frozen=True, slots=True)
class ContactPicture:
    polarity: Polarity
    state: ContactState
    ohms_text: str


@dataclass(frozen=True, slots=True)
class LeadPicture:
    """What the drawing shows of one lead."""

    title: str
    on: bool
    contacts: tuple[ContactPicture, ...]
    amplitude_text: str
    pair_ohms_short: str  # beside the bracket on the drawing
    pair_ohms_text: str


class LeadsDrawing(QWidget):
    """The painted leads. Arrow keys move between electrodes; Enter or Space cycles one."""

    activated = Signal(int, int)  # lead, electrode

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pictures: tuple[LeadPicture, ...] = ()
        self.locked = False
        self.banner = ""  # under the leads: whose electrodes are shown, and whether locked
        self.banner_colour = BLOCK_RED
        self.cursor_at = (0, 0)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(390, 330)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Leads: electrodes of the left and right lead")

    # -- geometry --------------------------------------------------------------------------

    @property
    def electrodes(self) -> int:
        """Contacts per lead: the pictures' count."""
        return len(self.pictures[0].contacts) if self.pictures else DEFAULT_ELECTRODES

    def _scale(self) -> float:
        # below the lead: "to the IPG" and room for the banner
        return max(6.0, min(22.0, (self.height() - 12 - BELOW_LEAD) / lead_mm(self.electrodes)))

    def _column(self, lead: int) -> float:
        return lead * self.width() / 2

    def _lead_x(self, lead: int) -> float:
        return self._column(lead) + LABEL_LEFT + self._contact_width() / 2

    def _contact_width(self) -> float:
        return max(DIAMETER_MM * self._scale(), 30.0)

    def contact_rect(self, lead: int, electrode: int) -> QRectF:
        """Where electrode ``electrode`` of lead ``lead`` is drawn (0 at the tip, on top)."""
        scale = self._scale()
        width = self._contact_width()
        top = 12 + (TIP_MM + electrode * (CONTACT_MM + GAP_MM)) * scale
        return QRectF(self._lead_x(lead) - width / 2, top, width, CONTACT_MM * scale)

    def _hit_rect(self, lead: int, electrode: int) -> QRectF:
        rect = self.contact_rect(lead, electrode)
        right = self._column(lead) + self.width() / 2 - 2
        return QRectF(rect.left() - 4, rect.top() - 4, right - rect.left() + 4,
                      rect.height() + 8)

    def electrode_at(self, point: QPointF) -> tuple[int, int] | None:
        for lead in range(len(self.pictures)):
            for electrode in range(self.electrodes):
                if self._hit_rect(lead, electrode).contains(point):
                    return lead, electrode
        return None

    # -- input -----------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            hit = self.electrode_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe(*hit), self)
            return True
        return super().event(event)

    def describe(self, lead: int, electrode: int) -> str:
        """One electrode in words: polarity, last impedance, state."""
        contact = self.pictures[lead].contacts[electrode]
        where = "at the tip" if electrode == 0 else f"{electrode * (CONTACT_MM + GAP_MM):.0f} " \
            f"mm from {contact_name(0)} at the tip"
        return (f"{LEAD_NAMES[lead].capitalize()} lead, {contact_name(electrode)} ({where}): "
                f"{contact.polarity.value}; impedance {contact.ohms_text} "
                f"({contact.state.value}). Click to cycle off → cathode → anode → off.")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self.electrode_at(event.position())
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.cursor_at = hit
        self.activated.emit(*hit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        lead, electrode = self.cursor_at
        key = event.key()
        if key == Qt.Key.Key_Up:
            self.cursor_at = (lead, max(0, electrode - 1))
        elif key == Qt.Key.Key_Down:
            self.cursor_at = (lead, min(self.electrodes - 1, electrode + 1))
        elif key == Qt.Key.Key_Left:
            self.cursor_at = (0, electrode)
        elif key == Qt.Key.Key_Right:
            self.cursor_at = (1, electrode)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(lead, electrode)
            return
        else:
            super().keyPressEvent(event)
            return
        self._describe_cursor()
        self.update()

    def _describe_cursor(self) -> None:
        lead, electrode = self.cursor_at
        if lead < len(self.pictures):
            self.setAccessibleDescription(self.describe(lead, electrode))

    def show_leads(self, pictures: tuple[LeadPicture, ...], locked: bool, banner: str = "",
                   banner_colour: str = BLOCK_RED) -> None:
        """The leads as ``pictures`` say; ``banner`` (if any) under them, in its colour."""
        self.pictures = pictures
        self.locked = locked
        self.banner, self.banner_colour = banner, banner_colour
        lead, electrode = self.cursor_at
        self.cursor_at = (lead, min(electrode, self.electrodes - 1))
        self._describe_cursor()
        self.update()

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        for lead, picture in enumerate(self.pictures):
            self._paint_lead(painter, lead, picture)
        if self.banner:
            painter.setPen(QColor(self.banner_colour))
            bold = QFont(self.font())
            bold.setBold(True)
            painter.setFont(bold)
            painter.drawText(QRectF(4, self.height() - 38, self.width() - 8, 36),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.banner)
        painter.end()

    def _paint_lead(self, painter: QPainter, lead: int, picture: LeadPicture) -> None:
        scale = self._scale()
        width = self._contact_width()
        x = self._lead_x(lead)
        top = 12.0
        bottom = top + lead_mm(self.electrodes) * scale
        body = QPainterPath()
        body.addRoundedRect(QRectF(x - width / 2, top, width, bottom - top), width / 2,
                            width / 2)
        painter.setPen(QPen(QColor("#78909c"), 1.5))
        painter.setBrush(QColor("#fafafa"))
        painter.drawPath(body)
        painter.setPen(QColor(INFO_GREY))
        painter.setFont(self.font())
        metrics = QFontMetricsF(self.font())
        caption = "to the IPG ↓"
        wide = metrics.horizontalAdvance(caption) + 4
        painter.drawText(QRectF(x - wide / 2, bottom + 2, wide, metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, caption)
        for electrode, contact in enumerate(picture.contacts):
            self._paint_contact(painter, lead, electrode, contact)
        self._paint_pair(painter, lead, picture)

    def _paint_contact(self, painter: QPainter, lead: int, electrode: int,
                       contact: ContactPicture) -> None:
        rect = self.contact_rect(lead, electrode)
        painter.setPen(QPen(QColor("#37474f"), 1.5))
        painter.setBrush(QColor(FILL[contact.polarity]))
        painter.drawRoundedRect(rect, 3, 3)
        pattern = STATE_PATTERN.get(contact.state)
        if pattern is not None:
            colour = BLOCK_RED if contact.state in (ContactState.OPEN, ContactState.SHORTED) \
                else CONFIRM_AMBER
            painter.setBrush(QBrush(QColor(colour), pattern))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 3, 3)
        symbol = SYMBOL[contact.polarity]
        if symbol:
            font = QFont(self.font())
            font.setBold(True)
            font.setPointSize(20)
            painter.setFont(font)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, symbol)
        self._paint_label(painter, rect, electrode, contact)
        if self.hasFocus() and self.cursor_at == (lead, electrode):
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("#000000"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(self._hit_rect(lead, electrode).adjusted(1, 1, -1, -1))

    def _paint_label(self, painter: QPainter, rect: QRectF, electrode: int,
                     contact: ContactPicture) -> None:
        left = rect.right() + 6
        right = self._column(0 if rect.left() < self.width() / 2 else 1) + self.width() / 2
        area = QRectF(left, rect.top() - 2, right - left - 2, rect.height() + 4)
        polarity = contact.polarity
        head = contact_name(electrode)
        if polarity is not Polarity.OFF:
            head += f" {polarity.value}"
        bold = QFont(self.font())
        bold.setBold(True)
        bold = _fitted(bold, head, area.width())  # zoomed type still shows the whole word
        line = max(float(QFontMetricsF(bold).height()), min(16.0, area.height() / 3))
        painter.setFont(bold)
        painter.setPen(QColor(FILL[polarity] if polarity is not Polarity.OFF else "#263238"))
        painter.drawText(QRectF(area.left(), area.top(), area.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, head)
        painter.setFont(self.font())
        painter.setPen(QColor("#263238"))
        painter.drawText(QRectF(area.left(), area.top() + line, area.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         contact.ohms_text)
        mark = STATE_MARK.get(contact.state)
        if mark:
            painter.setFont(bold)
            painter.setPen(QColor(BLOCK_RED if contact.state in (ContactState.OPEN,
                                                                ContactState.SHORTED)
                                  else CONFIRM_AMBER))
            painter.drawText(QRectF(area.left(), area.top() + 2 * line, area.width(), line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, mark)

    def _paint_pair(self, painter: QPainter, lead: int, picture: LeadPicture) -> None:
        """A bracket from cathode to anode, with the lead's amplitude beside it."""
        polarities = [contact.polarity for contact in picture.contacts]
        if not picture.on or Polarity.CATHODE not in polarities \
                or Polarity.ANODE not in polarities:
            return
        cathode = self.contact_rect(lead, polarities.index(Polarity.CATHODE))
        anode = self.contact_rect(lead, polarities.index(Polarity.ANODE))
        x = cathode.left() - 8
        y1, y2 = cathode.center().y(), anode.center().y()
        painter.setPen(QPen(QColor("#263238"), 2))
        painter.drawLine(QPointF(x, y1), QPointF(x - 8, y1))
        painter.drawLine(QPointF(x - 8, y1), QPointF(x - 8, y2))
        painter.drawLine(QPointF(x - 8, y2), QPointF(x, y2))
        middle = (y1 + y2) / 2
        column = self._column(lead)
        room = x - 9 - column
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(self.font().pointSizeF() * 0.85)
        bold = _fitted(bold, picture.amplitude_text, room)
        height = QFontMetricsF(bold).height()
        painter.setFont(bold)
        painter.drawText(QRectF(column, middle - height, room, height),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         picture.amplitude_text)
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        small = _fitted(small, picture.pair_ohms_short, room)
        painter.setFont(small)
        painter.drawText(QRectF(column, middle, room, QFontMetricsF(small).height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         picture.pair_ohms_short)


def _fitted(font: QFont, text: str, width: float) -> QFont:
    """``font``, made smaller only as far as ``text`` needs to fit ``width``."""
    needed = QFontMetricsF(font).horizontalAdvance(text)
    if needed <= width or needed <= 0:
        return font
    smaller = QFont(font)
    smaller.setPointSizeF(max(6.0, font.pointSizeF() * width / needed))
    return smaller
