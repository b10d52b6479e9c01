"""One program parameter on screen: typed text, its device limits, its findings, its state.

Clinical values are typed into a line edit, never a spin box: a spin box clamps or
rounds what was typed, and a clinical value must never be changed behind the
clinician's back. The text is parsed exactly (``Decimal``); a value that is not a
number, or not a whole number where the device counts whole units, is refused on the
field with the nearest allowed values. Everything else (range, step, charge) is the
safety engine's decision, shown beside the field in its own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.programming.program import (
    MAX_NUMBER_CHARACTERS,
    FieldValue,
    OutOfBounds,
    bounded_decimal,
    bounded_int,
    field_info,
    from_device_units,
    shortened,
)
from console.safety import Finding, Severity
from device_link.messages import Limits
from ui.common.theme import BLOCK_RED, CONFIRM_AMBER, INFO_GREY

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")

NOT_ON_DEVICE = "• not on device"

TOOLTIPS: dict[str, str] = {
    "amplitude_ma": "Current of each pulse, in milliamperes. It sets how strongly the "
                    "multifidus contracts; changing the electrodes sets it back to 0 mA, so it "
                    "is always titrated again on the new pair.",
    "pulse_width_us": "Duration of one phase of the biphasic pulse, in microseconds. Wider "
                      "pulses recruit the medial branch at lower current but carry more "
                      "charge per phase.",
    "frequency_hz": "Pulses per second during the contraction. About 20 Hz gives a smooth "
                    "(fused) contraction without fatiguing the muscle quickly.",
    "ramp_up_s": "Time for the current to rise to its set amplitude at the start of each "
                 "contraction, so it begins gently.",
    "ramp_down_s": "Time for the current to fall back to zero at the end of each contraction.",
    "on_s": "Length of one contraction, ramps included (ramp up + hold + ramp down).",
    "off_s": "Rest between two contractions, with no current.",
    "session_min": "Length of one therapy session; the patient starts two sessions a day "
                   "with the activator.",
}


class FieldError(ValueError):
    """Text that cannot be a value of the field; the message says why, with the field."""


@dataclass(frozen=True, slots=True)
class FieldLimits:
    """A field's device range and step, in the field's clinical unit."""

    low: Decimal | int
    high: Decimal | int
    step: Decimal | int
    unit: str

    def text(self) -> str:
        return f"{self.low}–{self.high} {self.unit} · step {self.step}"


def _kind(name: str) -> str:
    """The lead-independent part of a field name: 'left.amplitude_ma' → 'amplitude_ma'."""
    return name.rsplit(".", 1)[-1]


def is_whole(name: str) -> bool:
    """Fields the device counts in whole clinical units (µs, Hz, min)."""
    return _kind(name) in ("pulse_width_us", "frequency_hz", "session_min")


def field_limits(name: str, limits: Limits) -> FieldLimits:
    """The device limits that apply to a program field, from GET_LIMITS."""
    kind = _kind(name)
    if kind == "amplitude_ma":
        return FieldLimits(Decimal(0), from_device_units(limits.amp_max_ua, 3),
                           from_device_units(limits.amp_step_ua, 3), "mA")
    if kind == "pulse_width_us":
        return FieldLimits(limits.pw_min_us, limits.pw_max_us, limits.pw_step_us, "µs")
    if kind == "frequency_hz":
        return FieldLimits(limits.freq_min_hz, limits.freq_max_hz, 1, "Hz")
    tenth = Decimal("0.1")
    if kind in ("ramp_up_s", "ramp_down_s"):
        return FieldLimits(Decimal("0.0"), from_device_units(limits.ramp_max_ds, 1), tenth, "s")
    if kind == "on_s":
        return FieldLimits(from_device_units(limits.on_min_ds, 1),
                           from_device_units(limits.on_max_ds, 1), tenth, "s")
    if kind == "off_s":
        return FieldLimits(from_device_units(limits.off_min_ds, 1),
                           from_device_units(limits.off_max_ds, 1), tenth, "s")
    if kind == "session_min":
        return FieldLimits(limits.session_min_min, limits.session_max_min, 1, "min")
    raise KeyError(f"no limits for field {name!r}")


def parse_value(name: str, text: str) -> Decimal | int:
    """The exact value typed into a field, or FieldError naming the field and the text."""
    info = field_info(name)
    typed = text.strip()
    if not typed:
        raise FieldError(f"{info.label} is empty: type a value in {info.unit}.")
    if len(typed) > MAX_NUMBER_CHARACTERS:
        raise FieldError(f"{info.label} “{shortened(typed)}” is too long to be a value: type "
                         f"a value in {info.unit}.")
    if not _DECIMAL.fullmatch(typed):
        raise FieldError(f"{info.label} “{typed}” is not a number: type a value in "
                         f"{info.unit}, such as 20 or 4.5.")
    try:
        return _bounded(name, typed)
    except OutOfBounds as exc:
        raise FieldError(f"{info.label} {exc.detail}.") from None


def _bounded(name: str, typed: str) -> Decimal | int:
    """The typed number, refused (OutOfBounds) before it can reach exact arithmetic."""
    info = field_info(name)
    if not is_whole(name):
        return bounded_decimal(Decimal(typed), name)
    if not _INTEGER.fullmatch(typed):
        value = Decimal(typed)
        below = int(value.to_integral_value(rounding="ROUND_FLOOR"))
        if value == below:
            raise FieldError(f"{info.label} {typed} {info.unit}: type it as the whole number "
                             f"{below}.")
        raise FieldError(f"{info.label} {typed} {info.unit} is not a whole number of "
                         f"{info.unit}, the device's unit: use {below} or {below + 1} "
                         f"{info.unit}.")
    return bounded_int(int(typed), name)


_SEVERITY_STYLE = {Severity.BLOCK: (BLOCK_RED, "bold", "✖ BLOCKED: "),
                   Severity.CONFIRM: (CONFIRM_AMBER, "bold", "⚠ CONFIRM: "),
                   Severity.INFO: (INFO_GREY, "normal", "Note: ")}


def _line(colour: str, weight: str, text: str) -> str:
    return f'<div style="color:{colour}; font-weight:{weight};">{escape(text)}</div>'


def render_findings(label: QLabel, findings: tuple[Finding, ...],
                    error: str | None = None) -> str:
    """Show findings in ``label``, worst first, each marked by words as well as colour.

    Returns the same as plain text ("BLOCKED: …", "CONFIRM: …", "Note: …").
    """
    lines: list[str] = []
    plain: list[str] = []
    if error is not None:
        lines.append(_line(BLOCK_RED, "bold", "✖ BLOCKED: " + error))
        plain.append("BLOCKED: " + error)
    for finding in findings:
        colour, weight, prefix = _SEVERITY_STYLE[finding.severity]
        lines.append(_line(colour, weight, prefix + finding.message))
        plain.append(prefix.lstrip("✖⚠ ") + finding.message)
    label.setText("".join(lines))
    label.setVisible(bool(lines))
    return "\n".join(plain)


def findings_label() -> QLabel:
    """A word-wrapped label for ``render_findings``."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.hide()
    return label


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after an object name or dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ValueEdit(QLineEdit):
    """A line edit as wide as seven digits at its own type size, so it grows with the zoom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("0" * 7) + 18,
                     super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class ParameterField(QWidget):
    """A line edit with unit, device limits, change marker and the findings on this field.

    ``value_edited(name, value)`` carries an exactly parsed value; ``error_changed(name)``
    tells that the field's own parse error appeared or cleared.
    """

    value_edited = Signal(str, object)
    error_changed = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.info = field_info(name)
        self.error: str | None = None
        self._limits_text = ""
        self.edit = ValueEdit()
        self.edit.setObjectName(f"field:{name}")
        self.edit.setAccessibleName(self.info.label)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.textEdited.connect(self._typed)
        unit = QLabel(self.info.unit)
        self.limits_label = QLabel()
        self.limits_label.setObjectName("findingInfo")
        self.marker = QLabel(NOT_ON_DEVICE)
        self.marker.setObjectName("findingConfirm")
        self.marker.setToolTip("This value is only on screen: the device does not hold it "
                               "until the program is written and verified.")
        self.marker.hide()
        self.findings_label = findings_label()
        self.findings_text = ""

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit)
        row.addWidget(unit)
        row.addStretch(1)
        layout = QVBoxLayout(self)  # one column, so the panel fits beside the leads at 1280 px
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addWidget(self.limits_label)
        layout.addWidget(self.marker)
        layout.addWidget(self.findings_label)

    # -- what the clinician types ----------------------------------------------------------

    def _typed(self, text: str) -> None:
        try:
            value = parse_value(self.name, text)
        except FieldError as exc:
            self._set_error(str(exc))
            return
        self._set_error(None)
        self.value_edited.emit(self.name, value)

    def _set_error(self, message: str | None) -> None:
        if message != self.error:
            self.error = message
            self.error_changed.emit(self.name)

    def parsed(self) -> Decimal | int | None:
        try:
            return parse_value(self.name, self.edit.text())
        except FieldError:
            return None

    # -- what the panel shows --------------------------------------------------------------

    def show_value(self, value: FieldValue, *, keep_error: bool) -> None:
        """Show the draft's value unless the text already means it (so typing "8." stays)
        or the clinician's unparsable text should stay in front of them."""
        if keep_error and self.error is not None:
            return
        if self.parsed() != value or self.error is not None:
            self.edit.setText(str(value))
            self._set_error(None)

    def set_limits(self, limits: FieldLimits, source: str) -> None:
        self.limits_label.setText(limits.text())
        self._limits_text = f"{source}: {limits.text()}."
        tooltip = TOOLTIPS.get(_kind(self.name), "")
        self.edit.setToolTip(f"{self.info.label} ({self.info.unit}). {tooltip}\n"
                             f"{self._limits_text}")

    def set_changed(self, changed: bool) -> None:
        if bool(self.edit.property("changed")) != changed:
            self.edit.setProperty("changed", changed)
            restyle(self.edit)
        self.marker.setVisible(changed)

    def show_findings(self, findings: tuple[Finding, ...]) -> None:
        """The field's own parse error first, then the engine's findings on this field."""
        self.findings_text = render_findings(self.findings_label, findings, self.error)
