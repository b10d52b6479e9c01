"""After a test stimulation: the highest amplitude it reached, and a button that carries it
(with the pair, where the program's differs) into the program on screen. The Program tab
then judges it with the safety engine and writes and verifies it as any other change;
nothing goes to the device from here.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import LeadProgram, TestStimulus
from ui.common.panel_tabs import show_panel_of
from ui.device.session_model import SessionModel
from ui.program.panel import ProgramPanel


def same_pair(stimulus: TestStimulus, program: LeadProgram) -> bool:
    """Whether the program's lead already stimulates the tested pair, polarity included."""
    return program.enabled and (program.anode, program.cathode) == (stimulus.anode,
                                                                    stimulus.cathode)


class TitrationResult(QWidget):
    """One row: what the last run reached, and "Use … in the program"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: TestStimulus | None = None
        self.highest_ma: Decimal | None = None
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setToolTip("The highest amplitude the device confirmed during the last "
                             "test stimulation.")
        self.button = QPushButton()
        self.button.setObjectName("useInProgram")
        policy = self.button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # nothing below moves when it appears
        self.button.setSizePolicy(policy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.setFixedHeight(2 * self.fontMetrics().lineSpacing() + 14)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.show_run(None, None, None)

    def show_run(self, run: TestStimulus | None, highest_ma: Decimal | None,
                 program: LeadProgram | None) -> None:
        """The ended run and the highest amplitude it reached (None: nothing to offer), with
        the program's lead it would go into."""
        self.run, self.highest_ma = run, highest_ma
        if run is None or highest_ma is None or program is None:
            self.text.setText("")
            self.button.hide()
            return
        pair = polarised_pair_name(run.anode, run.cathode)
        where = on_lead(run.lead, pair).replace(" ", "&nbsp;")
        self.text.setText(f"Highest in the last test: <b>{highest_ma}&nbsp;mA</b> on {where}.")
        if same_pair(run, program):
            self.button.setText(f"Use {highest_ma} mA in the program")
        else:
            self.button.setText(f"Use {highest_ma} mA and {pair} in the program")
        self.button.setToolTip(
            f"Puts {highest_ma} mA, on {on_lead(run.lead, pair)}, into the program on the "
            "Program tab, on screen only: the safety engine checks it there, and it reaches "
            "the device only when you write the program.")
        self.button.show()

    def clear(self) -> None:
        self.show_run(None, None, None)

    def carry(self, model: SessionModel) -> str:
        """The run's highest amplitude, and its pair where the program's differs, into the
        program on screen (``propose_lead``); what was done, in words ("" if nothing)."""
        run, highest = self.run, self.highest_ma
        if run is None or highest is None:
            return ""
        program = model.session.draft.leads[run.lead]
        where = on_lead(run.lead, polarised_pair_name(run.anode, run.cathode))
        note = ""
        if program.enabled and program.pulse_width_us != run.pulse_width_us:
            note = (f" It was titrated at {run.pulse_width_us} µs; the program uses "
                    f"{program.pulse_width_us} µs.")
        model.propose_lead(run.lead, run.anode, run.cathode, highest,
                           f"From test stimulation: {highest} mA on {where}, on screen only — "
                           f"not yet on the device. Check the findings, give a reason, then "
                           f"write.{note}")
        self.clear()
        return (f"{highest} mA on {where} is now in the program on screen, not yet on the "
                f"device: see the Program tab's findings, then write it there.{note}")


def show_program_tab(widget: QWidget) -> None:
    """Bring the Program tab of ``widget``'s window to the front."""
    show_panel_of(widget, ProgramPanel)
