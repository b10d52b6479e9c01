"""The placement wizard's screens, drawn from the workflow's snapshot: large type, one
decision per screen, every key named on the button that it presses.

Nothing here talks to the device or the record; ``ui.placement.flow`` does, and calls
``show`` with the latest ``PlacementResult``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.leads.impedance import ContactState
from console.leads.naming import contact_name, polarised_pair_name
from console.placement import (
    UNWANTED_CHOICES,
    LeadIntegrity,
    Outcome,
    PlacementResult,
    Purpose,
    Stepping,
    lead_title,
)
from console.placement.judge import pair_line, pair_summaries
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, OK_GREEN
from ui.placement.common import (
    OUTCOME_COLOURS,
    STATE_COLOURS,
    action_button,
    banner,
    label,
    outcome_text,
    resume_text,
)


class StartPage(QWidget):
    """Who, which patient, which device; how the amplitude rises; begin."""

    def __init__(self, on_begin: Callable[[], None]) -> None:
        super().__init__()
        self.title = label("Intraoperative placement test", "wizardTitle")
        self.facts = label("")
        self.automatic = QRadioButton()
        self.manual = QRadioButton("One step per ↑ key  [M]")
        self.automatic.setToolTip("The amplitude rises by itself; the team only reports what "
                                  "it sees.")
        self.manual.setToolTip("The amplitude rises one step each time ↑ is pressed, when "
                               "nothing has been seen at the present amplitude.")
        self.automatic.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.automatic)
        group.addButton(self.manual)
        self.problem = label("", "wizardMessage")
        self.begin = action_button("Begin  [N]", "Authenticate, set the device clock, then "
                                   "measure every contact and pair of both leads.", on_begin,
                                   primary=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(_scrolled(self.facts), 1)  # scrolls, never clipped, on a short screen
        layout.addWidget(label("How the amplitude rises:"))
        layout.addWidget(self.automatic)
        layout.addWidget(self.manual)
        layout.addWidget(self.problem)
        layout.addWidget(label("Begin identifies the device, sets its clock and measures the "
                                "impedance of both leads. Nothing stimulates yet."))
        layout.addWidget(self.begin)

    @property
    def stepping(self) -> Stepping:
        return Stepping.AUTOMATIC if self.automatic.isChecked() else Stepping.MANUAL

    def choose(self, stepping: Stepping) -> None:
        (self.automatic if stepping == Stepping.AUTOMATIC else self.manual).setChecked(True)

    def show_facts(self, facts: str, interval: str, problem: str) -> None:
        self.facts.setText(facts)
        self.automatic.setText(f"Automatic: one step every {interval} s  [A]")
        self.problem.setText(problem)
        self.problem.setStyleSheet(f"color: {BLOCK_RED}; font-weight: bold;" if problem else "")
        self.begin.setEnabled(not problem)


class IntegrityGrid(QWidget):
    """One lead's contacts and pairs: ohms and the state in words, coloured."""

    def __init__(self) -> None:
        super().__init__()
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self._shown: LeadIntegrity | None = None

    def show_integrity(self, integrity: LeadIntegrity) -> None:
        if integrity == self._shown:
            return  # the status poll redraws the page every second; the readings stand
        self._shown = integrity
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        readings = (*integrity.contacts, *integrity.pairs)
        for column, reading in enumerate(readings):
            head = label(reading.name, "wizardGrid", wrap=False)
            ohms = label("open" if reading.ohms is None else f"{reading.ohms} Ω",
                          "wizardGrid", wrap=False)
            state = label(reading.state.value, "wizardGrid", wrap=False)
            colour = STATE_COLOURS[reading.state]
            state.setStyleSheet(f"color: {colour}; font-weight: bold;")
            if reading.state != ContactState.NORMAL:
                ohms.setStyleSheet(f"color: {colour}; font-weight: bold;")
            for row, widget in enumerate((head, ohms, state)):
                self.grid.addWidget(widget, row, column, Qt.AlignmentFlag.AlignCenter)


class ImpedancePage(QWidget):
    def __init__(self, on_next: Callable[[], None], on_measure: Callable[[], None]) -> None:
        super().__init__()
        self.title = label("Impedance of both leads", "wizardTitle")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setToolTip("Monopolar and bipolar measurement of both leads.")
        self.lines: list[QLabel] = []
        self.grids: list[IntegrityGrid] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        for _lead in (0, 1):
            line = label("", "wizardMessage")
            grid = IntegrityGrid()
            self.lines.append(line)
            self.grids.append(grid)
            layout.addWidget(line)
            layout.addWidget(grid)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.measure = action_button("Measure again  [I]", "Measure both leads again, e.g. "
                                     "after reseating a lead in the header.", on_measure)
        self.next = action_button("Continue: left lead  [N]", "Go on to test stimulation of "
                                  "the left lead.", on_next, primary=True)
        buttons.addWidget(self.measure)
        buttons.addStretch(1)
        buttons.addWidget(self.next)
        layout.addLayout(buttons)

    def show_result(self, result: PlacementResult, busy: bool) -> None:
        self.progress.setVisible(busy)
        for lead, integrity in enumerate(result.integrity):
            line, grid = self.lines[lead], self.grids[lead]
            grid.setVisible(integrity.measured)
            if not integrity.measured:
                line.setText(f"{lead_title(lead)}: measuring …" if busy
                             else f"{lead_title(lead)}: not measured")
                line.setStyleSheet("")
                continue
            grid.show_integrity(integrity)
            if integrity.ok:
                line.setText(f"{lead_title(lead)}: every contact conducts, none is shorted")
                line.setStyleSheet(f"color: {OK_GREEN}; font-weight: bold;")
            else:
                line.setText(f"{lead_title(lead)}: FAILS — {'; '.join(integrity.faults)}. "
                             "It will not be stimulated on these contacts.")
                line.setStyleSheet(f"color: {BLOCK_RED}; font-weight: bold;")
        measured = all(i.measured for i in result.integrity)
        self.next.setEnabled(measured and not busy)
        self.measure.setEnabled(not busy)


class LeadPage(QWidget):
    """One lead: the pair, the one thing to do now, and the lead's threshold map so far."""

    def __init__(self, lead: int, actions: dict[str, Callable[[], None]]) -> None:
        super().__init__()
        self.lead = lead
        self.title = label(lead_title(lead), "wizardTitle")
        self.status = label("", "wizardBanner", wrap=False)
        self.pair = label("", "wizardMessage")
        self.instruction = label("", "wizardMessage")
        self.buttons = {
            "start": action_button("", "Start test stimulation on this pair at the start "
                                   "amplitude.", actions["start"], primary=True),
            "contraction": action_button("Contraction seen  [C]", "The multifidus contracts: "
                                         "stimulation stops and this amplitude is the "
                                         "threshold.", actions["contraction"], primary=True),
            "unwanted": action_button("Unwanted response  [U]", "Any other response (leg, "
                                      "gluteal, abdominal, sensation): stimulation stops at "
                                      "once; name it next.", actions["unwanted"]),
            "step": action_button("↑ One step", "Nothing seen at this amplitude: one step "
                                  "up.", actions["step"]),
            "pair": action_button("Other pair  [P]", "Choose the next pair of contacts to "
                                  "stimulate.", actions["pair"]),
            "measure": action_button("Impedance  [I]", "Measure both leads again, e.g. after "
                                     "reseating a lead in the header.", actions["measure"]),
            "next": action_button("", "", actions["next"], primary=True),
        }
        self.kinds = QWidget()
        kinds = QHBoxLayout(self.kinds)
        kinds.setContentsMargins(0, 0, 0, 0)
        self.kind_buttons = []
        for number, kind in enumerate(UNWANTED_CHOICES, start=1):
            short = kind.value.split()[0]  # "sensation reported" → "sensation"
            button = action_button(f"[{number}] {short}", f"Record a {kind.value} response.",
                                   lambda k=kind: actions["name"](k))
            self.kind_buttons.append(button)
            kinds.addWidget(button)
        kinds.addStretch(1)
        self.map = label("", "wizardSmall")
        self.map.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addStretch(1)
        heading.addWidget(self.status)
        layout.addLayout(heading)
        layout.addWidget(self.pair)
        layout.addWidget(self.instruction)
        row = QHBoxLayout()
        for name in ("start", "contraction", "unwanted", "step"):
            row.addWidget(self.buttons[name])
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.kinds)
        layout.addWidget(_scrolled(self.map), 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.buttons["pair"])
        bottom.addWidget(self.buttons["measure"])
        bottom.addStretch(1)
        bottom.addWidget(self.buttons["next"])
        layout.addLayout(bottom)

    def show_result(self, result: PlacementResult, view: LeadView) -> None:
        verdict = result.verdicts[self.lead]
        banner(self.status, outcome_text(verdict), OUTCOME_COLOURS[verdict.outcome])
        trial = result.active_trial
        running_here = trial is not None and trial.lead == self.lead
        integrity = result.integrity[self.lead]
        visible = dict.fromkeys(self.buttons, False)
        visible["next"] = visible["measure"] = True
        if view.pair is None:
            self.pair.setText("No pair of this lead may be stimulated." if not integrity.ok
                              else "Every pair of this lead has been tried.")
        else:
            anode, cathode = view.pair
            self.pair.setText(f"Pair {polarised_pair_name(anode, cathode)}: anode (+) "
                              f"{contact_name(anode)}, cathode (−) {contact_name(cathode)}")
        if running_here:
            assert trial is not None
            visible.update(contraction=trial.purpose == Purpose.THRESHOLD, unwanted=True,
                           step=result.stepping == Stepping.MANUAL, measure=False, next=False)
            watch = "Watch the multifidus. " if trial.purpose == Purpose.THRESHOLD else \
                "Margin check: the multifidus contracts; watch for anything else. "
            self.instruction.setText(watch + "Press C when it contracts, U for any other "
                                     "response." if trial.purpose == Purpose.THRESHOLD
                                     else watch + "Press U for any other response.")
        elif view.naming:
            self.instruction.setText("Stimulation stopped. Which unwanted response was it? "
                                     "Press 1–5.")
            visible.update(next=False, measure=False)
        elif not integrity.ok:
            self.instruction.setText(
                f"This lead fails on impedance and is not stimulated: "
                f"{'; '.join(integrity.faults)}. {' '.join(verdict.suggestions)}")
            visible["pair"] = view.pair is not None
        else:
            self.instruction.setText(view.advice)
            visible.update(start=view.pair is not None and bool(view.start_text),
                           pair=view.can_change_pair)
        self.buttons["start"].setText(view.start_text)
        self.buttons["next"].setText(view.next_text)
        for name, button in self.buttons.items():
            button.setVisible(visible[name])
            button.setEnabled(not view.busy or name in ("contraction", "unwanted"))
        self.kinds.setVisible(view.naming)
        self.map.setText(_map_text(result, self.lead))


class LeadView:
    """What the wizard decided a lead page shows (besides the snapshot)."""

    def __init__(self, pair: tuple[int, int] | None, start_text: str, advice: str,
                 next_text: str, *, naming: bool, busy: bool, can_change_pair: bool) -> None:
        self.pair = pair
        self.start_text = start_text
        self.advice = advice
        self.next_text = next_text
        self.naming = naming
        self.busy = busy
        self.can_change_pair = can_change_pair


def _map_text(result: PlacementResult, lead: int) -> str:
    pairs = pair_summaries(result.trials_of(lead))
    if not pairs:
        return "Threshold map: no pair stimulated yet."
    return "Threshold map:\n" + "\n".join(f"  • {pair_line(p, result.profile)}" for p in pairs)


class VerdictPage(QWidget):
    """Both leads side by side with their reasons; fluoroscopy, notes, sign-off."""

    def __init__(self, on_sign: Callable[[], None]) -> None:
        super().__init__()
        self.title = label("Verdict", "wizardTitle")
        self.overall = label("", "wizardBanner", wrap=False)
        self.heads = [label("", "wizardMessage") for _lead in (0, 1)]
        self.leads = [label("", "wizardSmall") for _lead in (0, 1)]
        self.fluoroscopy = QCheckBox()
        self.fluoroscopy.setObjectName("wizardFluoroscopy")
        self.fluoroscopy.setToolTip("Recorded with the result; it does not change the verdict.")
        self.fluoroscopy.toggled.connect(self._fluoroscopy_text)
        self._fluoroscopy_text(False)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("Notes (optional), kept with the result")
        self.sign = action_button("", "Sign the verdict: the whole result is stored in the "
                                  "clinical record and the PDF report is written.", on_sign,
                                  primary=True)
        columns = QWidget()
        row = QHBoxLayout(columns)
        row.setContentsMargins(0, 0, 0, 0)
        for head, text in zip(self.heads, self.leads, strict=True):
            column = QVBoxLayout()
            column.addWidget(head)
            column.addWidget(text)
            column.addStretch(1)
            row.addLayout(column, 1)
        layout = QVBoxLayout(self)
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addStretch(1)
        heading.addWidget(self.overall)
        layout.addLayout(heading)
        layout.addWidget(_scrolled(columns), 1)
        layout.addWidget(self.fluoroscopy)
        layout.addWidget(self.notes)
        layout.addWidget(self.sign)

    def _fluoroscopy_text(self, confirmed: bool) -> None:
        """Said in words too, not by the box alone."""
        self.fluoroscopy.setText("✔ YES — fluoroscopy confirms the position  [F]" if confirmed
                                 else "Fluoroscopy confirms the position?  [F]")

    def show_result(self, result: PlacementResult, busy: bool) -> None:
        banner(self.overall, result.overall.value.upper(), OUTCOME_COLOURS[result.overall])
        for verdict, head, body in zip(result.verdicts, self.heads, self.leads, strict=True):
            colour = OUTCOME_COLOURS[verdict.outcome]
            head.setText(f"{lead_title(verdict.lead)}: {outcome_text(verdict)}")
            head.setStyleSheet(f"color: {colour}; font-weight: bold;")
            lines = [f"• {reason}" for reason in verdict.reasons]
            lines += [f"What to do: {s}" for s in verdict.suggestions]
            body.setText("\n".join(lines))
        self.sign.setText(f"Sign off as {result.operator}  [N]")
        self.sign.setEnabled(not busy)


def _scrolled(content: QWidget) -> QScrollArea:
    """Long text scrolls inside the page instead of stretching the window."""
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.viewport().setAutoFillBackground(False)
    content.setAutoFillBackground(False)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class DonePage(QWidget):
    """The end: signed, ended incomplete, or interrupted by STOP and waiting for the team
    to resume it (R) or end it (N)."""

    def __init__(self, on_next: Callable[[], None], on_resume: Callable[[], None]) -> None:
        super().__init__()
        self.title = label("", "wizardTitle")
        self.outcome = label("", "wizardBanner")
        self.leads = label("", "wizardMessage")
        self.stored = label("", "wizardMessage")
        self.report = label("", "wizardSmall")
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resume = action_button("", "Go on with the test where the STOP came: the leads "
                                    "already finished keep their verdicts; nothing "
                                    "stimulates until you start a pair.", on_resume,
                                    primary=True)
        self.new = action_button("", "", on_next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume)
        buttons.addStretch(1)
        buttons.addWidget(self.new)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.outcome)
        layout.addWidget(self.leads)
        layout.addWidget(self.stored)
        layout.addWidget(self.report)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def show_result(self, result: PlacementResult, stored: str, report: str,
                    busy: bool, *, can_resume: bool) -> None:
        interruption = result.interruption
        if interruption is not None:
            self.title.setText(f"Test interrupted ({result.stop_reason}) — nothing stimulates")
            banner(self.outcome, "STOPPED — not a pass unless resumed", CONFIRM_AMBER)
            self.resume.setText(f"{resume_text(interruption)}  [R]")
            self.new.setText("End the test: keep it as incomplete  [N]")
            self.new.setToolTip("Store the test as it stands, incomplete, and write its "
                                "report.")
        elif result.stop_reason:
            self.title.setText("Test ended — INCOMPLETE")
            banner(self.outcome, f"INCOMPLETE — not a pass ({result.stop_reason})",
                   CONFIRM_AMBER)
        else:
            self.title.setText("Signed off")
            banner(self.outcome, f"{result.overall.value.upper()} — signed by "
                   f"{result.operator}", OUTCOME_COLOURS[result.overall])
        if interruption is None:
            self.new.setText("New placement test  [N]")
            self.new.setToolTip("Start again from the beginning.")
        self.new.setObjectName("wizardAction" if interruption else "wizardPrimary")
        self.new.style().unpolish(self.new)
        self.new.style().polish(self.new)
        self.resume.setVisible(interruption is not None)
        self.resume.setEnabled(can_resume and not busy)
        self.leads.setText("\n".join(
            f"{lead_title(v.lead)}: {outcome_text(v)}"
            + (f" — {polarised_pair_name(*v.pair)}, contraction at {v.threshold_ma} mA"
               if v.outcome == Outcome.PASS and v.pair and v.threshold_ma else "")
            + (" (finished before the STOP)" if result.stop_reason
               and v.lead in result.finished_leads else "")
            for v in result.verdicts))
        self.stored.setText(stored if interruption is None else
                            "Not stored yet: the test is kept once it is resumed and "
                            "signed, or ended.")
        self.report.setText(report)
        self.new.setEnabled(not busy)
