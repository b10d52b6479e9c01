"""The Leads view: choose each lead's pair on the drawing, see impedances and amplitude.

A lead stimulates between one cathode (−) and one anode (+). Clicking an electrode
cycles it off → cathode → anode → off; a new cathode replaces the lead's previous one
(likewise the anode). A lead is on when it has both. New electrodes set the lead's
amplitude to 0 mA (``ProgrammingSession.set_lead``), so it is always titrated again on
the new pair. While the device stimulates the electrodes are locked.

While test stimulation is set up or runs (``SessionModel.test_pair``), the drawing shows
its one lead and pair instead of the program's, labelled as test stimulation: the
electrodes shown are always the ones that are, or are about to be, stimulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from console.leads.naming import contact_name, polarised_pair_name
from console.programming.link_state import OFFLINE_MARK
from console.programming.program import LEAD_NAMES, LeadProgram
from console.stimulation.on_leads import TestPair
from ui.common.theme import ANODE_RED, BLOCK_RED, CATHODE_BLUE, CONFIRM_AMBER, INFO_GREY, OFF_GREY
from ui.leads.drawing import (
    ContactPicture,
    LeadPicture,
    LeadsDrawing,
    Polarity,
)
from ui.shell.context import WindowContext

LOCKED_TEXT = ("Electrodes are locked while the device stimulates: only the amplitude "
               "changes. Stop first (STOP or Esc) to choose another pair.")
TEST_SETUP_TEXT = ("The drawing shows the test stimulation being set up: choose its "
                   "electrodes under Set up on the Test stimulation tab. The program's pairs "
                   "are shown on the other tabs.")
LOCKED_BANNER = "ELECTRODES LOCKED: device stimulating"


@dataclass(frozen=True, slots=True)
class Selection:
    """One lead's chosen electrodes; either may be missing while the clinician chooses."""

    cathode: int | None = None
    anode: int | None = None

    def polarity(self, electrode: int) -> Polarity:
        if electrode == self.cathode:
            return Polarity.CATHODE
        if electrode == self.anode:
            return Polarity.ANODE
        return Polarity.OFF

    def cycled(self, electrode: int) -> Selection:
        """off → cathode → anode → off; the lead's previous cathode (or anode) goes off."""
        polarity = self.polarity(electrode)
        if polarity is Polarity.OFF:
            return Selection(electrode, self.anode)
        if polarity is Polarity.CATHODE:
            return Selection(None, electrode)
        return Selection(self.cathode, None)

    @property
    def complete(self) -> bool:
        return self.cathode is not None and self.anode is not None

    def text(self) -> str:
        if self.complete:
            assert self.anode is not None and self.cathode is not None
            return polarised_pair_name(self.anode, self.cathode)
        missing = [name for name, value in (("a cathode (−)", self.cathode),
                                            ("an anode (+)", self.anode)) if value is None]
        return "OFF — choose " + " and ".join(missing)


def _ohms_text(measured: bool, ohms: int | None, *, short: bool = False) -> str:
    if not measured:
        return "— Ω" if short else "not measured"
    if ohms is None:
        return "no reading" if short else "open (no reading)"
    return f"{ohms} Ω"


class LeadsPanel(QWidget):
    """The side panel: lead summaries, the drawing, what just happened, the legend."""

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.session = context.model.session
        self._partial: dict[int, Selection] = {}
        self._set_here: dict[int, LeadProgram] = {}
        self.reset_leads: set[int] = set()
        self.setMinimumWidth(400)
        self.setMaximumWidth(420)
        layout = QGridLayout(self)
        title = QLabel(f"<b>Leads</b> — {contact_name(0)} at the tip")
        layout.addWidget(title, 0, 0, 1, 2)
        self.summaries = (QLabel(), QLabel())
        for lead, label in enumerate(self.summaries):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            layout.addWidget(label, 1, lead)
            layout.setColumnStretch(lead, 1)
        self.drawing = LeadsDrawing()
        self.drawing.activated.connect(self.activate)
        layout.addWidget(self.drawing, 2, 0, 1, 2)
        layout.setRowStretch(2, 1)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setObjectName("findingConfirm")
        self.notice.hide()
        layout.addWidget(self.notice, 3, 0, 1, 2)
        legend = QLabel(
            f"<b style='color:{CATHODE_BLUE}'>− cathode</b> (blue) · "
            f"<b style='color:{ANODE_RED}'>+ anode</b> (red) · "
            f"<b style='color:{BLOCK_RED}'>⊘ open</b> · <b style='color:{BLOCK_RED}'>⚡ "
            f"shorted</b> · <b style='color:{CONFIRM_AMBER}'>▲ high</b> / "
            f"<b style='color:{CONFIRM_AMBER}'>▼ low</b> impedance (hatched)"
            "; — Ω not measured.<br>Click an electrode, or use the arrow keys and Enter: "
            "off → cathode → anode → off.")
        legend.setWordWrap(True)
        legend.setObjectName("findingInfo")
        layout.addWidget(legend, 4, 0, 1, 2)
        model = context.model
        model.draft_changed.connect(self.refresh)
        model.impedance_changed.connect(self.refresh)
        model.device_changed.connect(self.refresh)
        model.test_pair_changed.connect(self.refresh)
        self.refresh()

    # -- choosing electrodes ---------------------------------------------------------------

    def selection(self, lead: int) -> Selection:
        """The lead's electrodes: the draft's pair, or a half-chosen pair made here."""
        program = self.session.draft.leads[lead]
        if program.enabled:
            return Selection(program.cathode, program.anode)
        if self._set_here.get(lead) == program and lead in self._partial:
            return self._partial[lead]
        return Selection()

    def activate(self, lead: int, electrode: int) -> None:
        """Cycle one electrode, unless the device stimulates or test stimulation is shown."""
        if self.context.model.stimulating:
            self._tell(LOCKED_TEXT, BLOCK_RED)
            return
        if self.context.model.test_pair is not None:
            self._tell(TEST_SETUP_TEXT, CATHODE_BLUE)
            return
        before = self.session.draft.leads[lead]
        chosen = self.selection(lead).cycled(electrode)
        if chosen.complete:
            self.session.set_lead(lead, enabled=True, anode=chosen.anode,
                                  cathode=chosen.cathode)
            self._partial.pop(lead, None)
        else:
            self.session.set_lead(lead, enabled=False)
            self._partial[lead] = chosen
        after = self.session.draft.leads[lead]
        self._set_here[lead] = after
        name = LEAD_NAMES[lead].capitalize()
        if before.amplitude_ma != 0 and after.amplitude_ma == 0:
            self.reset_leads.add(lead)
            self._tell(f"{name} lead: electrodes changed, so its amplitude was set to 0 mA "
                       f"(was {before.amplitude_ma} mA). Titrate again on the new pair.",
                       CONFIRM_AMBER)
        else:
            self._tell(f"{name} lead: {chosen.text()}.", INFO_GREY)
        self.context.model.notify_draft()

    def _tell(self, text: str, colour: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.notice.show()

    # -- showing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        model = self.context.model
        locked = model.stimulating
        test = model.test_pair
        differing = self.session.differing_fields()
        pictures = []
        for lead in range(len(self.session.draft.leads)):
            program = self.session.draft.leads[lead]
            if program.amplitude_ma != 0:
                self.reset_leads.discard(lead)
            if test is None:
                picture = self._picture(lead, self.selection(lead), program.enabled,
                                        program.amplitude_ma)
                summary = self._summary(lead, program, picture, differing)
            else:
                picture, summary = self._test_picture(lead, test)
            pictures.append(picture)
            self.summaries[lead].setText(summary)
        if test is not None:
            banner, colour = test.heading(), BLOCK_RED if test.live else CATHODE_BLUE
        else:
            banner, colour = (LOCKED_BANNER if locked else ""), BLOCK_RED
        self.drawing.show_leads(tuple(pictures), locked, banner, colour)
        if locked:
            self._tell(LOCKED_TEXT, BLOCK_RED)
        elif self.notice.text() == LOCKED_TEXT or (self.notice.text() == TEST_SETUP_TEXT
                                                   and test is None):
            self.notice.hide()
            self.notice.setText("")

    def _picture(self, lead: int, selection: Selection, on: bool,
                 amplitude_ma: Decimal | None) -> LeadPicture:
        impedances = self.session.impedances
        contacts = []
        for electrode in range(self.context.model.electrodes_per_lead):
            key = (lead, electrode)
            contacts.append(ContactPicture(
                selection.polarity(electrode),
                impedances.contact_state(lead, electrode, self.session.profile),
                _ohms_text(key in impedances.monopolar, impedances.monopolar.get(key),
                           short=True)))
        measured, ohms = (False, None)
        if selection.complete:
            assert selection.anode is not None and selection.cathode is not None
            measured, ohms = impedances.pair_ohms(lead, selection.anode, selection.cathode)
        amplitude = "— mA" if amplitude_ma is None else f"{amplitude_ma} mA"
        return LeadPicture(f"{LEAD_NAMES[lead].upper()} lead ({lead})", on,
                           tuple(contacts), amplitude, _ohms_text(measured, ohms, short=True),
                           f"pair {_ohms_text(measured, ohms)}" if on else "")

    def _test_picture(self, lead: int, test: TestPair) -> tuple[LeadPicture, str]:
        """A lead as test stimulation uses it: its pair on the tested lead, nothing on the
        other; the summary says which."""
        if lead != test.lead:
            picture = self._picture(lead, Selection(), False, None)
            return picture, (f"<b>{picture.title}</b><br><span style='color:{OFF_GREY}'>"
                             f"<b>not in this test stimulation</b></span>")
        picture = self._picture(lead, Selection(test.cathode, test.anode), True,
                                test.amplitude_ma)
        doing = "stimulating at" if test.live else "set up to start at"
        colour = BLOCK_RED if test.live else CATHODE_BLUE
        return picture, "<br>".join((
            f"<b>{picture.title}</b>",
            f"<span style='color:{colour}'><b>TEST STIMULATION</b></span>",
            f"<b>{test.pair_text().replace(' ', '&nbsp;')}</b> {doing} "
            f"<b>{test.amplitude_text().replace(' ', '&nbsp;')}</b>", picture.pair_ohms_text))

    def _summary(self, lead: int, program: LeadProgram, picture: LeadPicture,
                 differing: set[str]) -> str:
        prefix = LEAD_NAMES[lead]
        lines = [f"<b>{picture.title}</b>"]
        selection = self.selection(lead)
        if program.enabled:
            lines.append(f"<b>ON</b>: {selection.text()}")
            lines.append(f"<b>{program.amplitude_ma} mA</b> · {program.pulse_width_us} µs")
            lines.append(picture.pair_ohms_text)
        else:
            lines.append(f"<span style='color:{OFF_GREY}'><b>{selection.text()}</b></span>")
        if lead in self.reset_leads and program.amplitude_ma == Decimal(0):
            lines.append(f"<span style='color:{CONFIRM_AMBER}'><b>new electrodes: amplitude "
                         f"set to 0 mA</b></span>")
        offline = OFFLINE_MARK.get(self.context.model.state)
        if offline is not None:
            lines.append(f"<span style='color:{INFO_GREY}'>{offline[0]}</span>")
        elif any(name.startswith(prefix + ".") for name in differing):
            lines.append(f"<span style='color:{CONFIRM_AMBER}'><b>• not on device</b></span>")
        return "<br>".join(lines)


def create(context: WindowContext) -> QWidget:
    return LeadsPanel(context)
