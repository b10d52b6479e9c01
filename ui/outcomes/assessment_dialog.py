"""Adding or correcting one outcome assessment.

The ODI shows the section titles only: the questionnaire's wording is licensed, so the
clinician enters the patient's choice in each section (0–5, or missing) from the paper
form. Every widget holds only values in range; the record checks them all again and its
refusal is shown here, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.outcomes.entries import OutcomeEntry
from console.outcomes.measures import (
    EQ5D_DIMENSIONS,
    PGIC_WORDS,
    AnalgesicUse,
    OutcomeMeasures,
    WorkStatus,
)
from console.outcomes.odi import MOST_MISSING, SECTION_TITLES, SECTIONS, odi_percent
from console.outcomes.timepoints import FollowUpState, Timepoint
from ui.outcomes.entry_dialog import Done, EntryDialog, Refused, chosen, date_edit, date_of
from ui.outcomes.view_data import TimepointStanding
from ui.outcomes.words import ANALGESIC_WORDS, TIMEPOINT_WORDS, WORK_WORDS, day_text

NOT_ASKED = "not asked"


@dataclass(frozen=True, slots=True)
class Assessment:
    point: Timepoint
    collected_on: date
    measures: OutcomeMeasures
    reason: str  # the correction's reason ("" for a new entry)


Save = Callable[[Assessment, Done, Refused], None]


def _spin(low: int, high: int, unset: str) -> QSpinBox:
    """A spin box from ``low`` to ``high``, one below ``low`` reading ``unset``."""
    spin = QSpinBox()
    spin.setRange(low - 1, high)
    spin.setSpecialValueText(unset)
    spin.setValue(low - 1)
    return spin


def _value(spin: QSpinBox) -> int | None:
    return None if spin.value() < spin.minimum() + 1 else spin.value()


def _set(spin: QSpinBox, value: int | None) -> None:
    spin.setValue(spin.minimum() if value is None else value)


def _combo(choices: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for text, data in choices:
        box.addItem(text, data)
    return box


def odi_live_text(items: tuple[int | None, ...]) -> str:
    """What the ODI comes to as the sections are entered."""
    missing = sum(item is None for item in items)
    if missing == SECTIONS:
        return "ODI: not asked (every section missing)"
    score = odi_percent(items)
    if score is None:
        return (f"ODI: not scored: more than {MOST_MISSING} sections missing "
                f"({missing} missing)")
    return f"ODI: {score} %" + (f" ({missing} section{'s' * (missing > 1)} missing)"
                                if missing else "")


class AssessmentDialog(EntryDialog):
    def __init__(self, clinic_id: str, schedule: tuple[TimepointStanding, ...], today: date,
                 save: Save, *, entry: OutcomeEntry | None = None,
                 parent: QWidget | None = None) -> None:
        correcting = entry is not None
        title = (f"Correct assessment {entry.id} — {clinic_id}" if entry is not None
                 else f"Add assessment — {clinic_id}")
        super().__init__(title, "Save correction" if correcting else "Save assessment",
                         correcting=correcting, parent=parent)
        self._save = save
        self.timepoint = QComboBox()
        self.timepoint.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        due = {s.point: s for s in schedule}
        for point in Timepoint:
            standing = due.get(point)
            text = TIMEPOINT_WORDS[point]
            if standing is not None and standing.due is not None:
                text += f" — {standing.state.value}, due {day_text(standing.due)}"
            self.timepoint.addItem(text, point)
        self.collected_on = date_edit(today)
        self.nrs = _spin(0, 10, NOT_ASKED)
        self.nrs.setAccessibleName("Pain NRS, 0 to 10")
        self.pgic = _combo([(NOT_ASKED, None), *((f"{n} {w}", n) for n, w in PGIC_WORDS.items())])
        self.analgesics = _combo([(NOT_ASKED, None),
                                  *((ANALGESIC_WORDS[a], a) for a in AnalgesicUse)])
        self.work = _combo([(NOT_ASKED, None), *((WORK_WORDS[w], w) for w in WorkStatus)])
        form = QFormLayout()
        form.addRow("Timepoint", self.timepoint)
        form.addRow("Collected on", self.collected_on)
        form.addRow("Pain NRS (0–10)", self.nrs)
        form.addRow("PGIC (1–7)", self.pgic)
        form.addRow("Analgesics", self.analgesics)
        form.addRow("Work", self.work)

        self.eq5d = QGroupBox("EQ-5D-5L (tick when asked)")
        self.eq5d.setCheckable(True)
        self.eq5d.setChecked(False)
        eq_grid = QGridLayout(self.eq5d)
        self.dimensions = [_spin(1, 5, "choose") for _ in EQ5D_DIMENSIONS]
        for row, (name, spin) in enumerate(zip(EQ5D_DIMENSIONS, self.dimensions, strict=True)):
            eq_grid.addWidget(QLabel(name), row, 0)
            eq_grid.addWidget(spin, row, 1)
            spin.setAccessibleName(f"EQ-5D-5L {name}, level 1 to 5")
        self.eq_vas = _spin(0, 100, "choose")
        self.eq_vas.setAccessibleName("EQ VAS, 0 to 100")
        eq_grid.addWidget(QLabel("VAS (0–100)"), len(EQ5D_DIMENSIONS), 0)
        eq_grid.addWidget(self.eq_vas, len(EQ5D_DIMENSIONS), 1)

        odi_box = QGroupBox("ODI sections (0–5, or missing)")
        odi_grid = QGridLayout(odi_box)
        self.odi = [_spin(0, 5, "missing") for _ in SECTION_TITLES]
        for number, (title_text, spin) in enumerate(zip(SECTION_TITLES, self.odi, strict=True)):
            label = QLabel(f"{number + 1}. {title_text}")
            label.setBuddy(spin)
            spin.setAccessibleName(f"ODI section {number + 1}, {title_text}, 0 to 5")
            odi_grid.addWidget(label, number, 0)
            odi_grid.addWidget(spin, number, 1)
        self.odi_score = QLabel()
        self.odi_score.setWordWrap(True)
        self.odi_score.setStyleSheet("font-weight: bold;")
        odi_grid.addWidget(self.odi_score, SECTIONS, 0, 1, 2)
        licence = QLabel("Section titles only: enter the patient's choice in each section "
                         "of the licensed questionnaire.")
        licence.setObjectName("findingInfo")
        licence.setWordWrap(True)

        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.eq5d)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(odi_box)
        right.addWidget(licence)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        body = QWidget()
        body.setLayout(columns)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 125)
        self.finish_layout(body)

        for spin in (self.nrs, self.eq_vas, *self.dimensions, *self.odi):
            spin.valueChanged.connect(self.reflect)
        for box in (self.timepoint, self.pgic, self.analgesics, self.work):
            box.currentIndexChanged.connect(self.reflect)
        self.eq5d.toggled.connect(self.reflect)
        if entry is not None:
            self._fill(entry)
        else:
            self.timepoint.setCurrentIndex(self._next_point(schedule))
        self.reflect()

    def _next_point(self, schedule: tuple[TimepointStanding, ...]) -> int:
        """The first timepoint due or overdue and not collected (the one usually wanted);
        ``other`` when none is, so a timepoint not due yet is never offered by default."""
        for standing in schedule:
            if standing.state in (FollowUpState.DUE, FollowUpState.OVERDUE):
                return self.timepoint.findData(standing.point)
        return self.timepoint.findData(Timepoint.OTHER)

    def _fill(self, entry: OutcomeEntry) -> None:
        measures = entry.measures
        self.timepoint.setCurrentIndex(self.timepoint.findData(entry.timepoint))
        self.timepoint.setEnabled(False)
        self.timepoint.setToolTip("A correction keeps the timepoint of the entry it corrects")
        day = entry.collected_on
        self.collected_on.setDate(QDate(day.year, day.month, day.day))
        _set(self.nrs, measures.nrs)
        for spin, item in zip(self.odi, measures.odi or (None,) * SECTIONS, strict=True):
            _set(spin, item)
        if measures.eq5d is not None:
            self.eq5d.setChecked(True)
            for spin, level in zip(self.dimensions, measures.eq5d, strict=True):
                spin.setValue(int(level))
            _set(self.eq_vas, measures.eq_vas)
        for box, value in ((self.pgic, measures.pgic), (self.analgesics, measures.analgesics),
                           (self.work, measures.work)):
            box.setCurrentIndex(0 if value is None else box.findData(value))

    # -- the form --------------------------------------------------------------------------

    @property
    def point(self) -> Timepoint:
        point = chosen(self.timepoint, Timepoint)
        assert point is not None  # every item is a timepoint
        return point

    def odi_items(self) -> tuple[int | None, ...]:
        return tuple(_value(spin) for spin in self.odi)

    def measures(self) -> OutcomeMeasures:
        items = self.odi_items()
        asked = self.eq5d.isChecked()
        profile = "".join(str(_value(s) or "") for s in self.dimensions)
        return OutcomeMeasures(
            nrs=_value(self.nrs),
            odi=None if all(item is None for item in items) else items,
            eq5d=profile if asked else None, eq_vas=_value(self.eq_vas) if asked else None,
            pgic=self.pgic.currentData(), analgesics=chosen(self.analgesics, AnalgesicUse),
            work=chosen(self.work, WorkStatus))

    def reflect(self) -> None:
        self.odi_score.setText(odi_live_text(self.odi_items()))
        baseline = self.point is Timepoint.BASELINE
        self.pgic.setEnabled(not baseline)
        self.pgic.setToolTip("Asked after the implant: a baseline has no impression of change"
                             if baseline else "")
        if baseline:
            self.pgic.setCurrentIndex(0)
        super().reflect()

    def problem(self) -> str | None:
        if self.eq5d.isChecked() and (any(_value(s) is None for s in self.dimensions)
                                      or _value(self.eq_vas) is None):
            return "EQ-5D-5L: choose all five dimensions and the VAS, or untick it."
        if not self.measures().given():
            return "Enter at least one measure."
        return super().problem()

    def send(self, done: Done, refused: Refused) -> None:
        self._save(Assessment(self.point, date_of(self.collected_on), self.measures(),
                              self.reason.text().strip()), done, refused)
