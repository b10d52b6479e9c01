"""Recording or correcting one adverse event, coded as the registry counts it.

Seriousness and relatedness are chosen, never assumed; an explant needs its reason, and
only an explant has one. A correction gives the event whole again (e.g. with the date it
resolved), with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from console.outcomes.adverse_events import (
    MAX_NOTES,
    YELLOW_CARD,
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.entries import AdverseEvent
from ui.outcomes.entry_dialog import Done, EntryDialog, Refused, chosen, date_edit, date_of
from ui.outcomes.words import RELATED_WORDS, category_text, code_words

CHOOSE = "choose …"


@dataclass(frozen=True, slots=True)
class EventForm:
    details: EventDetails
    device_serial: str | None
    reason: str  # the correction's reason ("" for a new event)


Save = Callable[[EventForm, Done, Refused], None]


def _combo(choices: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for text, data in choices:
        box.addItem(text, data)
    return box


class EventDialog(EntryDialog):
    def __init__(self, clinic_id: str, devices: tuple[str, ...], today: date, save: Save, *,
                 event: AdverseEvent | None = None, parent: QWidget | None = None) -> None:
        correcting = event is not None
        title = (f"Correct adverse event {event.id} — {clinic_id}" if event is not None
                 else f"Record adverse event — {clinic_id}")
        super().__init__(title, "Save correction" if correcting else "Save adverse event",
                         correcting=correcting, parent=parent)
        self._save = save
        self.category = _combo([(CHOOSE, None),
                                *((category_text(c), c) for c in EventCategory)])
        self.onset = date_edit(today)
        self.serious = QRadioButton("Serious")
        self.not_serious = QRadioButton("Not serious")
        self._seriousness = QButtonGroup(self)
        for button in (self.serious, self.not_serious):
            self._seriousness.addButton(button)
            button.toggled.connect(self.reflect)
        seriousness = QHBoxLayout()
        seriousness.addWidget(self.serious)
        seriousness.addWidget(self.not_serious)
        seriousness.addStretch(1)
        self.related = _combo([(CHOOSE, None), *((RELATED_WORDS[r], r) for r in Relatedness)])
        self.action = _combo([(code_words(a), a) for a in EventAction])
        self.explant_reason = _combo([("—", None),
                                      *((code_words(r), r) for r in ExplantReason)])
        self.resolved_known = QCheckBox("Resolved on")
        self.resolved = date_edit(today)
        self.yellow_card = QLineEdit()
        self.yellow_card.setMaxLength(40)
        self.yellow_card.setValidator(QRegularExpressionValidator(
            QRegularExpression(YELLOW_CARD.pattern), self.yellow_card))
        self.yellow_card.setPlaceholderText("MHRA Yellow Card reference, if reported")
        self.device = _combo([("no particular device", None), *((s, s) for s in devices)])
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        resolved = QHBoxLayout()
        resolved.addWidget(self.resolved_known)
        resolved.addWidget(self.resolved)
        resolved.addStretch(1)
        form = QFormLayout()
        form.addRow("Category", self.category)
        form.addRow("Onset", self.onset)
        form.addRow("Seriousness", seriousness)
        form.addRow("Related to", self.related)
        form.addRow("Action", self.action)
        form.addRow("Explant reason", self.explant_reason)
        form.addRow("Resolution", resolved)
        form.addRow("Yellow Card", self.yellow_card)
        form.addRow("Device", self.device)
        form.addRow("Notes", self.notes)
        body = QWidget()
        body.setLayout(form)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)
        self.finish_layout(body)
        for box in (self.category, self.related, self.action, self.explant_reason):
            box.currentIndexChanged.connect(self.reflect)
        self.resolved_known.toggled.connect(self.reflect)
        self.notes.textChanged.connect(self.reflect)
        if event is not None:
            self._fill(event)
        self.reflect()

    def _fill(self, event: AdverseEvent) -> None:
        details = event.details
        self.category.setCurrentIndex(self.category.findData(details.category))
        self.onset.setDate(QDate(details.onset.year, details.onset.month, details.onset.day))
        (self.serious if details.serious else self.not_serious).setChecked(True)
        self.related.setCurrentIndex(self.related.findData(details.related))
        self.action.setCurrentIndex(self.action.findData(details.action))
        reason = details.explant_reason
        self.explant_reason.setCurrentIndex(0 if reason is None
                                            else self.explant_reason.findData(reason))
        if details.resolved is not None:
            self.resolved_known.setChecked(True)
            day = details.resolved
            self.resolved.setDate(QDate(day.year, day.month, day.day))
        self.yellow_card.setText(details.yellow_card or "")
        self.notes.setPlainText(details.notes or "")
        serial = event.device_serial
        self.device.setCurrentIndex(0 if serial is None else self.device.findData(serial))
        self.device.setEnabled(False)
        self.device.setToolTip("A correction keeps the device of the event it corrects")

    # -- the form --------------------------------------------------------------------------

    def _explant(self) -> bool:
        return (chosen(self.action, EventAction) is EventAction.EXPLANT
                or chosen(self.category, EventCategory) is EventCategory.EXPLANT)

    def reflect(self) -> None:
        explant = self._explant()
        self.explant_reason.setEnabled(explant)
        if not explant:
            self.explant_reason.setCurrentIndex(0)
        self.resolved.setEnabled(self.resolved_known.isChecked())
        super().reflect()

    def problem(self) -> str | None:
        if self.category.currentData() is None:
            return "Choose the category."
        if self._seriousness.checkedButton() is None:
            return "Say whether the event is serious."
        if self.related.currentData() is None:
            return "Choose what the event is related to."
        if self._explant() and self.explant_reason.currentData() is None:
            return "An explant needs its reason."
        if self.resolved_known.isChecked() and date_of(self.resolved) < date_of(self.onset):
            return "The resolution date is before the onset."
        if len(self.notes.toPlainText().strip()) > MAX_NOTES:
            return f"Notes: at most {MAX_NOTES} characters."
        return super().problem()

    def send(self, done: Done, refused: Refused) -> None:
        category, related = chosen(self.category, EventCategory), chosen(self.related, Relatedness)
        action = chosen(self.action, EventAction)
        assert category is not None and related is not None and action is not None  # problem()
        details = EventDetails(
            category=category, onset=date_of(self.onset), serious=self.serious.isChecked(),
            related=related, action=action,
            explant_reason=chosen(self.explant_reason, ExplantReason),
            resolved=date_of(self.resolved) if self.resolved_known.isChecked() else None,
            yellow_card=self.yellow_card.text().strip() or None,
            notes=self.notes.toPlainText().strip() or None)
        self._save(EventForm(details, self.device.currentData(), self.reason.text().strip()),
                   done, refused)
