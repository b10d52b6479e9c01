"""What every placement screen shares: the type sizes, labels and buttons, the steps bar,
and the live strip that always says whether anything stimulates, with STOP beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.leads.impedance import ContactState
from console.leads.naming import lead_name, polarised_pair_name
from console.placement import (
    Interruption,
    LeadVerdict,
    Outcome,
    Phase,
    PlacementResult,
    Purpose,
    Stepping,
    lead_title,
)
from ui.common.theme import (
    BLOCK_RED,
    CATHODE_BLUE,
    CONFIRM_AMBER,
    INFO_GREY,
    OFF_GREY,
    OK_GREEN,
    STOP_RED,
)
from ui.shell.stop_control import StopButton

FOCUS_FILL = "#ffdd00"  # focus: yellow under a thick near-black ring, seen from two metres
FOCUS_RING = "#0b0c0c"
CONFIRMED_GREEN = "#1b5e20"


def wizard_style(scale: float = 1.0, amplitude_pt: int = 36) -> str:
    """The wizard's type sizes, its buttons and its focus; the theatre view scales them up.

    Theatre staff read the screen from a distance: the key that has the focus is filled
    yellow inside a thick dark ring, and the fluoroscopy checkbox is a large box with a
    dark border that fills green when ticked. Scoped to the wizard by object names, so
    the window's theme (and the STOP button's red) is left alone.
    """
    def pt(size: float) -> str:
        return f"{round(size * scale)}pt"

    def px(size: float) -> str:
        return f"{round(size * scale)}px"

    return f"""
QWidget {{ font-size: {pt(14)}; }}
QLabel#wizardTitle {{ font-size: {pt(22)}; font-weight: bold; }}
QLabel#wizardAmplitude {{ font-size: {amplitude_pt}pt; font-weight: bold; }}
QLabel#wizardLive {{ font-size: {pt(15)}; font-weight: bold; padding: 4px 10px;
                     border-radius: 4px; }}
QLabel#wizardBanner {{ font-size: {pt(20)}; font-weight: bold; padding: 6px 12px;
                       border-radius: 6px; color: white; }}
QLabel#wizardStep {{ font-size: {pt(12)}; padding: 3px 8px; color: {INFO_GREY}; }}
QLabel#wizardStep[current="true"] {{ color: white; background: {CATHODE_BLUE};
                                      border-radius: 4px; font-weight: bold; }}
QLabel#wizardKeys {{ font-size: {pt(12)}; color: {INFO_GREY}; }}
QLabel#wizardMessage {{ font-size: {pt(13)}; }}
QLabel#wizardSmall {{ font-size: {pt(12)}; }}
QLabel#wizardGrid {{ font-size: {pt(11)}; }}
QPushButton {{ min-height: {px(40)}; padding: 2px 14px; }}
QPushButton#wizardPrimary, QPushButton#wizardAction {{
    border: 2px solid {INFO_GREY}; border-radius: 6px; background: #f5f7f8; color: #000; }}
QPushButton#wizardPrimary {{ font-size: {pt(16)}; font-weight: bold; min-height: {px(48)};
                             background: {CATHODE_BLUE}; color: white;
                             border-color: #0d3c78; }}
QPushButton#wizardPrimary:pressed, QPushButton#wizardAction:pressed {{ background: #cfd8dc;
                                                                       color: #000; }}
QPushButton#wizardPrimary:disabled, QPushButton#wizardAction:disabled {{
    background: #eceff1; color: {OFF_GREY}; border-color: #cfd8dc; }}
QPushButton#wizardPrimary:focus, QPushButton#wizardAction:focus {{
    background: {FOCUS_FILL}; color: {FOCUS_RING}; border: 5px solid {FOCUS_RING}; }}
QRadioButton {{ padding: 0 6px; border: 4px solid transparent; border-radius: 6px; }}
QRadioButton:focus {{ background: {FOCUS_FILL}; border-color: {FOCUS_RING}; }}
QLineEdit {{ border: 2px solid {INFO_GREY}; border-radius: 4px; padding: 4px; }}
QLineEdit:focus {{ border: 5px solid {FOCUS_RING}; }}
QCheckBox#wizardFluoroscopy {{ font-size: {pt(18)}; font-weight: bold; color: #000;
                               padding: 10px 16px; spacing: 18px; background: white;
                               border: 3px solid {INFO_GREY}; border-radius: 8px; }}
QCheckBox#wizardFluoroscopy:checked {{ background: #e8f5e9; border-color: {CONFIRMED_GREEN}; }}
QCheckBox#wizardFluoroscopy:focus {{ background: {FOCUS_FILL}; border: 5px solid {FOCUS_RING}; }}
QCheckBox#wizardFluoroscopy::indicator {{ width: {round(40 * scale)}px;
                                          height: {round(40 * scale)}px;
                                          border: 5px solid #000; border-radius: 6px;
                                          background: white; }}
QCheckBox#wizardFluoroscopy::indicator:checked {{ background: {CONFIRMED_GREEN}; }}
QPushButton#stopButton {{ font-size: {pt(24)}; min-height: {px(52)}; padding: 4px 32px; }}
"""

STEPS = ("1 Start", "2 Impedance", "3 Left lead", "4 Right lead", "5 Verdict")
OUTCOME_COLOURS = {Outcome.PASS: OK_GREEN, Outcome.FAIL: BLOCK_RED,
                   Outcome.PENDING: CONFIRM_AMBER, Outcome.INCOMPLETE: CONFIRM_AMBER}
STATE_COLOURS = {ContactState.NORMAL: OK_GREEN, ContactState.HIGH: CONFIRM_AMBER,
                 ContactState.LOW: CONFIRM_AMBER, ContactState.OPEN: BLOCK_RED,
                 ContactState.SHORTED: BLOCK_RED, ContactState.UNKNOWN: CONFIRM_AMBER}


def label(text: str = "", name: str = "", wrap: bool = True) -> QLabel:
    """Plain text (never read as HTML), styled by ``name`` in ``wizard_style``."""
    widget = QLabel(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def action_button(text: str, tip: str, on_click: Callable[[], None],
                  primary: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setObjectName("wizardPrimary" if primary else "wizardAction")
    button.clicked.connect(on_click)
    return button


PURPOSE_TEXT = {Purpose.THRESHOLD: "threshold search", Purpose.MARGIN: "margin check"}


def outcome_text(verdict: LeadVerdict) -> str:
    """PASS, FAIL on …, TESTING (not judged yet) or INCOMPLETE."""
    if verdict.outcome == Outcome.PENDING:
        return "TESTING"
    text = verdict.outcome.value.upper()
    if verdict.outcome == Outcome.FAIL and verdict.failure is not None:
        text += f" on {verdict.failure.value}"
    return text


def resume_text(interruption: Interruption) -> str:
    """"Resume right lead": the way on after a STOP, as the team says it."""
    if interruption.phase == Phase.STIMULATION and interruption.lead is not None:
        return f"Resume {lead_name(interruption.lead)} lead"
    return "Resume: impedance" if interruption.phase == Phase.IMPEDANCE \
        else "Resume: the verdict"


def banner(label: QLabel, text: str, colour: str) -> None:
    label.setText(text)
    label.setStyleSheet(f"background: {colour};")


class StepsBar(QWidget):
    """Where the team is in the test: the five steps, the current one highlighted."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.labels = [label(text, "wizardStep", wrap=False) for text in STEPS]
        for step in self.labels:
            layout.addWidget(step)
        layout.addStretch(1)

    def set_current(self, index: int | None) -> None:
        for position, step in enumerate(self.labels):
            step.setProperty("current", "true" if position == index else "false")
            step.style().unpolish(step)
            step.style().polish(step)


class LiveStrip(QFrame):
    """Always on screen: whether anything stimulates, the amplitude in force, and STOP."""

    def __init__(self, on_stop: Callable[[], None]) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.state = label("", "wizardLive")
        self.amplitude = label("—", "wizardAmplitude", wrap=False)
        self.amplitude.setToolTip("The amplitude the device confirmed it delivers now.")
        self.detail = label("", "wizardSmall")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(14)
        self.progress.setToolTip("How far the amplitude has climbed towards this trial's "
                                 "highest amplitude.")
        self.stop_button = StopButton(on_stop)
        left = QVBoxLayout()
        left.addWidget(self.state)
        left.addWidget(self.detail)
        left.addWidget(self.progress)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(self.amplitude)
        layout.addWidget(self.stop_button)

    def show_result(self, result: PlacementResult | None, busy: str) -> None:
        trial = result.active_trial if result is not None else None
        if trial is None:
            self.state.setText("NOT STIMULATING" + (f" — {busy} …" if busy else ""))
            self.state.setStyleSheet(f"background: #e8f5e9; color: {OK_GREEN};")
            self.amplitude.setText("0 mA" if result is not None and result.trials else "—")
            self.amplitude.setStyleSheet(f"color: {INFO_GREY};")
            self.detail.setText("")
            self.progress.setRange(0, 0 if busy else 1)
            self.progress.setValue(0)
            return
        profile = result.profile
        self.state.setText(f"STIMULATING — {lead_title(trial.lead)}, "
                           f"{polarised_pair_name(trial.anode, trial.cathode)} — "
                           f"{PURPOSE_TEXT[trial.purpose]}")
        self.state.setStyleSheet(f"background: #ffebee; color: {STOP_RED};")
        self.amplitude.setText(f"{trial.amplitude_ma} mA")
        self.amplitude.setStyleSheet(f"color: {STOP_RED};")
        how = (f"one step of {profile.step_ma} mA every {profile.step_interval_s} s"
               if result.stepping == Stepping.AUTOMATIC
               else f"one step of {profile.step_ma} mA per ↑ key")
        self.detail.setText(f"Rising to at most {trial.target_ma} mA, {how}; "
                            f"{profile.pulse_width_us} µs, {profile.frequency_hz} Hz")
        self.progress.setRange(0, int(trial.target_ma * 10))
        self.progress.setValue(int(trial.amplitude_ma * 10))


def theatre_button(on_click: Callable[[], None]) -> QPushButton:
    """Theatre view and back; never takes focus, so the wizard's keys keep working."""
    button = QPushButton("Theatre view  [T]")
    button.setToolTip("Show the test alone on the whole screen, readable from a distance; "
                      "press T again to return.")
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.clicked.connect(on_click)
    return button


def identity_label() -> QLabel:
    """Patient and device, shown only in the theatre view (the window's header says it)."""
    identity = label("", "wizardSmall", wrap=False)
    identity.setToolTip("Patient and device this test is about.")
    identity.hide()
    return identity
