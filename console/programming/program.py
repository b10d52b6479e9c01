"""Therapy programs and test stimuli in clinical units (mA, µs, Hz, s, min).

The clinician thinks in milliamperes and seconds; the device stores microamperes and
deciseconds (MFL/1 section 7). Values are held as exact ``Decimal``s so that converting
to the wire record never rounds: a value that is not a whole number of device units
cannot be encoded and raises ``NotRepresentable`` naming the field. Whether a value is
*allowed* (ranges, steps, charge) is the safety engine's decision, not this module's;
only numbers no clinical field could hold (1e999999999, 8e-999999) are refused here,
``OutOfBounds``, because the engine's exact arithmetic on them would never finish.
``plain`` is how every clinical number is written for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from device_link.messages import TestStimStart
from device_link.program_record import LeadRecord, ProgramRecord

LEAD_NAMES: tuple[str, str] = ("left", "right")
"""Lead index → the prefix of its field names (lead 0 is the left lead, spec section 5)."""

# Powers of ten between a clinical unit and its device unit: mA → µA, s → 0.1 s.
UA_PER_MA = 3
DS_PER_S = 1

_U8 = 0xFF
_U16 = 0xFFFF

FieldValue = Decimal | int | bool

MAX_MAGNITUDE = 1_000_000
"""No clinical value from outside may be larger than this (either sign): far above every
device limit, so the engine still refuses in-range nonsense with its own sentence, yet
small enough that its exact arithmetic stays instant."""
MAX_PLACES = 6
"""Most decimal places a value may have: the finest device unit is a thousandth of a
clinical unit (µA of mA), and a tiny exponent would make exact fractions huge."""
MAX_NUMBER_CHARACTERS = 40
"""A number written with more characters than this is refused before it is converted."""
_SHOWN_CHARACTERS = 40


class NotRepresentable(ValueError):
    """A clinical value that has no exact encoding in the device's units."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field} = {value}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


class OutOfBounds(ValueError):
    """A number that no clinical field can hold: the message names the field, the value
    (shortened if huge) and the bound."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.detail = f"{shortened(str(value))} {problem}"
        super().__init__(f"{field}: {self.detail}")


def shortened(text: str) -> str:
    """``text`` cut to a readable length, saying how long it was (a value may be huge)."""
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    return f"{text[:_SHOWN_CHARACTERS // 2]}… ({len(text)} characters)"


def plain(value: Decimal | int) -> str:
    """The one way a clinical number is written: plain decimal, no exponent, no minus on
    zero (1E+5 → "100000", -0.0 → "0.0", 8.050 → "8.050"). Bounded values only."""
    if isinstance(value, int):
        return str(value)
    return format(value.copy_abs() if value.is_zero() else value, "f")


def canonical(value: Decimal) -> Decimal:
    """The same number held so that ``str`` writes it as ``plain`` does."""
    return Decimal(plain(value))


_OUTSIDE = (f"is outside the bounds of any clinical value "
            f"(-{MAX_MAGNITUDE} to {MAX_MAGNITUDE})")


def bounded_int(value: int, field: str) -> int:
    """``value`` if within ``MAX_MAGNITUDE``; else ``OutOfBounds`` naming ``field``."""
    if abs(value) > MAX_MAGNITUDE:
        raise OutOfBounds(field, value, _OUTSIDE)
    return value


def bounded_decimal(value: Decimal, field: str) -> Decimal:
    """``value``, ``canonical``, if finite, within ``MAX_MAGNITUDE`` and ``MAX_PLACES``.

    Checked before any exact arithmetic: 1e999999999 or 8e-999999 would make the safety
    engine's fractions grow without bound. Only comparisons run on an unchecked value.
    """
    if not value.is_finite():
        raise OutOfBounds(field, value, "is not a finite number")
    if value.copy_abs() > MAX_MAGNITUDE:  # exact: no context, so no overflow
        raise OutOfBounds(field, value, _OUTSIDE)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "finite decimals only"
    if exponent < -MAX_PLACES:
        raise OutOfBounds(field, value, f"has more than {MAX_PLACES} decimal places")
    return canonical(value)


def number_from_text(text: str, field: str) -> Decimal:
    """A bounded number from text (the command line); its length is checked first."""
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise OutOfBounds(field, text, f"is too long for a number (at most "
                                       f"{MAX_NUMBER_CHARACTERS} characters)")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise OutOfBounds(field, repr(text), "is not a number") from None
    return bounded_decimal(value, field)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """How a field is shown to a clinician: a label and the unit of its value."""

    label: str
    unit: str

    def format(self, value: FieldValue) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        return f"{plain(value)} {self.unit}".rstrip()


def _lead_fields(prefix: str, title: str) -> dict[str, FieldInfo]:
    return {
        f"{prefix}.enabled": FieldInfo(f"{title} lead enabled", ""),
        f"{prefix}.anode": FieldInfo(f"{title} anode (electrode)", ""),
        f"{prefix}.cathode": FieldInfo(f"{title} cathode (electrode)", ""),
        f"{prefix}.amplitude_ma": FieldInfo(f"{title} amplitude", "mA"),
        f"{prefix}.pulse_width_us": FieldInfo(f"{title} pulse width", "µs"),
    }


PROGRAM_FIELDS: dict[str, FieldInfo] = {
    **_lead_fields("left", "Left"),
    **_lead_fields("right", "Right"),
    "frequency_hz": FieldInfo("Frequency", "Hz"),
    "ramp_up_s": FieldInfo("Ramp up", "s"),
    "ramp_down_s": FieldInfo("Ramp down", "s"),
    "on_s": FieldInfo("On time (with ramps)", "s"),
    "off_s": FieldInfo("Off time", "s"),
    "session_min": FieldInfo("Session length", "min"),
}
"""Every field of ``Program.as_fields()``, in display order."""

TEST_STIMULUS_FIELDS: dict[str, FieldInfo] = {
    "lead": FieldInfo("Test lead (0 left, 1 right)", ""),
    "anode": FieldInfo("Test anode (electrode)", ""),
    "cathode": FieldInfo("Test cathode (electrode)", ""),
    "frequency_hz": FieldInfo("Test frequency", "Hz"),
    "pulse_width_us": FieldInfo("Test pulse width", "µs"),
    "amplitude_ma": FieldInfo("Test amplitude", "mA"),
    "duration_s": FieldInfo("Test duration", "s"),
}
"""Every field of ``TestStimulus.as_fields()``, in display order."""


def field_info(name: str) -> FieldInfo:
    """Label and unit of a program or test-stimulus field name."""
    info = PROGRAM_FIELDS.get(name) or TEST_STIMULUS_FIELDS.get(name)
    if info is None:
        raise KeyError(f"unknown field {name!r}")
    return info


def to_decimal(value: object, field: str) -> Decimal:
    """An exact, bounded Decimal from a Decimal, int or numeric string; floats are refused
    as inexact, and huge or minute values before any arithmetic can hang on them."""
    if isinstance(value, bool | float):
        raise TypeError(f"{field}: expected an exact number (Decimal, int or str), "
                        f"got {type(value).__name__} {value!r}")
    if isinstance(value, Decimal):
        return bounded_decimal(value, field)
    if isinstance(value, int):
        return Decimal(bounded_int(value, field))
    if isinstance(value, str):
        return number_from_text(value, field)
    raise TypeError(f"{field}: expected a number, got {type(value).__name__}")


def _require_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field}: expected a whole number, got {type(value).__name__} "
                        f"{shortened(repr(value))}")
    return bounded_int(value, field)


def _require_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{field}: expected true or false, got {type(value).__name__} {value!r}")
    return value


def scaled_integer(value: Decimal, power: int) -> int | None:
    """``value × 10**power`` as an int when that is exactly whole, else None (no rounding)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    shift = exponent + power
    magnitude = int("".join(map(str, digits)) or "0")
    if shift >= 0:
        result = magnitude * 10**shift
    else:
        result, remainder = divmod(magnitude, 10**-shift)
        if remainder:
            return None
    return -result if sign else result


def tidy(value: Decimal) -> Decimal:
    """The same number written with at least one and no needless decimals (8.000 → 8.0)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int), "finite decimals only"
    return normal.quantize(Decimal("0.1")) if exponent > -1 else normal


def from_device_units(value: int, power: int) -> Decimal:
    """An integer in device units as an exact clinical Decimal (e.g. 8050 µA → 8.05 mA)."""
    return tidy(Decimal(value).scaleb(-power))


def _encode(value: Decimal | int, power: int, maximum: int, field: str, unit: str) -> int:
    raw = scaled_integer(Decimal(value), power)
    if raw is None:
        raise NotRepresentable(field, value,
                               f"not a whole number of {unit}, which is the device's unit")
    if not 0 <= raw <= maximum:
        raise NotRepresentable(field, value, f"outside the encodable range 0..{maximum} {unit}")
    return raw


@dataclass(frozen=True, slots=True)
class LeadProgram:
    """One lead's part of a program. Electrodes are 0..3, 0 the most distal."""

    enabled: bool
    anode: int
    cathode: int
    amplitude_ma: Decimal
    pulse_width_us: int

    def __post_init__(self) -> None:
        _require_bool(self.enabled, "enabled")
        _require_int(self.anode, "anode")
        _require_int(self.cathode, "cathode")
        object.__setattr__(self, "amplitude_ma", to_decimal(self.amplitude_ma, "amplitude_ma"))
        _require_int(self.pulse_width_us, "pulse_width_us")

    @classmethod
    def off(cls) -> LeadProgram:
        """A disabled lead, exactly as the device stores one (all zero)."""
        return cls(False, 0, 0, Decimal(0), 0)

    @property
    def amplitude_ua(self) -> Decimal:
        return self.amplitude_ma.scaleb(UA_PER_MA)

    def to_record(self, prefix: str = "lead") -> LeadRecord:
        """The 8-byte lead record; a disabled lead is all zero (spec section 7)."""
        if not self.enabled:
            return LeadRecord()
        return LeadRecord(
            1,
            _encode(self.anode, 0, _U8, f"{prefix}.anode", "electrode numbers"),
            _encode(self.cathode, 0, _U8, f"{prefix}.cathode", "electrode numbers"),
            _encode(self.amplitude_ma, UA_PER_MA, _U16, f"{prefix}.amplitude_ma", "µA"),
            _encode(self.pulse_width_us, 0, _U16, f"{prefix}.pulse_width_us", "µs"),
        )

    @classmethod
    def from_record(cls, record: LeadRecord, prefix: str = "lead") -> LeadProgram:
        if record.enabled not in (0, 1):
            raise NotRepresentable(f"{prefix}.enabled", record.enabled, "must be 0 or 1")
        if record.reserved:
            raise NotRepresentable(f"{prefix}.reserved", record.reserved, "must be 0")
        if not record.enabled and record != LeadRecord():
            raise NotRepresentable(f"{prefix}.enabled", 0,
                                   "a disabled lead's record must be all zero")
        return cls(bool(record.enabled), record.anode, record.cathode,
                   from_device_units(record.amp_ua, UA_PER_MA), record.pw_us)


@dataclass(frozen=True, slots=True)
class Program:
    """A therapy program: two leads (0 left, 1 right) and the shared cycle timing.

    ``on_s`` includes both ramps. Times are exact Decimal seconds; the device counts
    tenths of a second.
    """

    leads: tuple[LeadProgram, LeadProgram]
    frequency_hz: int
    ramp_up_s: Decimal
    ramp_down_s: Decimal
    on_s: Decimal
    off_s: Decimal
    session_min: int

    def __post_init__(self) -> None:
        leads = tuple(self.leads)
        if len(leads) != 2 or not all(isinstance(lead, LeadProgram) for lead in leads):
            raise TypeError("leads: expected exactly two LeadProgram (left, right)")
        object.__setattr__(self, "leads", leads)
        _require_int(self.frequency_hz, "frequency_hz")
        for name in ("ramp_up_s", "ramp_down_s", "on_s", "off_s"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), name))
        _require_int(self.session_min, "session_min")

    def to_record(self) -> ProgramRecord:
        """The exact 28-byte record; raises ``NotRepresentable`` rather than round."""
        return ProgramRecord(
            (self.leads[0].to_record(LEAD_NAMES[0]), self.leads[1].to_record(LEAD_NAMES[1])),
            _encode(self.frequency_hz, 0, _U8, "frequency_hz", "Hz"),
            _encode(self.ramp_up_s, DS_PER_S, _U16, "ramp_up_s", "0.1 s"),
            _encode(self.ramp_down_s, DS_PER_S, _U16, "ramp_down_s", "0.1 s"),
            _encode(self.on_s, DS_PER_S, _U16, "on_s", "0.1 s"),
            _encode(self.off_s, DS_PER_S, _U16, "off_s", "0.1 s"),
            _encode(self.session_min, 0, _U16, "session_min", "minutes"),
        )

    @classmethod
    def from_record(cls, record: ProgramRecord) -> Program:
        """The program a record holds; refuses records no device would store."""
        if record.reserved:
            raise NotRepresentable("reserved", record.reserved, "must be 0")
        leads = (LeadProgram.from_record(record.leads[0], LEAD_NAMES[0]),
                 LeadProgram.from_record(record.leads[1], LEAD_NAMES[1]))
        return cls(leads, record.freq_hz,
                   from_device_units(record.ramp_up_ds, DS_PER_S),
                   from_device_units(record.ramp_down_ds, DS_PER_S),
                   from_device_units(record.on_ds, DS_PER_S),
                   from_device_units(record.off_ds, DS_PER_S),
                   record.session_min)

    def as_fields(self) -> dict[str, FieldValue]:
        """Flat clinical view, keys as in ``PROGRAM_FIELDS`` and in the same order."""
        result: dict[str, FieldValue] = {}
        for prefix, lead in zip(LEAD_NAMES, self.leads, strict=True):
            for f in fields(LeadProgram):
                result[f"{prefix}.{f.name}"] = getattr(lead, f.name)
        for name in ("frequency_hz", "ramp_up_s", "ramp_down_s", "on_s", "off_s",
                     "session_min"):
            result[name] = getattr(self, name)
        return result

    @classmethod
    def from_fields(cls, values: Mapping[str, Any]) -> Program:
        """The inverse of ``as_fields``: every field present, no others."""
        missing = [name for name in PROGRAM_FIELDS if name not in values]
        unknown = [name for name in values if name not in PROGRAM_FIELDS]
        if missing or unknown:
            raise KeyError(f"program fields missing {missing}, unknown {unknown}")
        leads = tuple(
            LeadProgram(**{f.name: values[f"{prefix}.{f.name}"] for f in fields(LeadProgram)})
            for prefix in LEAD_NAMES)
        return cls(leads, values["frequency_hz"], values["ramp_up_s"],  # type: ignore[arg-type]
                   values["ramp_down_s"], values["on_s"], values["off_s"],
                   values["session_min"])


@dataclass(frozen=True, slots=True)
class TestStimulus:
    """Continuous test pulses on one lead (TEST_STIM_START), for placement and titration."""


    lead: int
    anode: int
    cathode: int
    frequency_hz: int
    pulse_width_us: int
    amplitude_ma: Decimal
    duration_s: int

    def __post_init__(self) -> None:
        for name in ("lead", "anode", "cathode", "frequency_hz", "pulse_width_us",
                     "duration_s"):
            _require_int(getattr(self, name), name)
        object.__setattr__(self, "amplitude_ma", to_decimal(self.amplitude_ma, "amplitude_ma"))

    @property
    def amplitude_ua(self) -> Decimal:
        return self.amplitude_ma.scaleb(UA_PER_MA)

    def as_fields(self) -> dict[str, FieldValue]:
        """Flat clinical view, keys as in ``TEST_STIMULUS_FIELDS``."""
        return {name: getattr(self, name) for name in TEST_STIMULUS_FIELDS}

    def amplitude_record(self) -> int:
        """The amplitude in whole µA, as TEST_STIM_ADJUST carries it."""
        return _encode(self.amplitude_ma, UA_PER_MA, _U16, "amplitude_ma", "µA")

    def to_request(self) -> TestStimStart:
        """The TEST_STIM_START payload; raises ``NotRepresentable`` rather than round."""
        return TestStimStart(
            _encode(self.lead, 0, _U8, "lead", "lead numbers"),
            _encode(self.anode, 0, _U8, "anode", "electrode numbers"),
            _encode(self.cathode, 0, _U8, "cathode", "electrode numbers"),
            _encode(self.frequency_hz, 0, _U8, "frequency_hz", "Hz"),
            _encode(self.pulse_width_us, 0, _U16, "pulse_width_us", "µs"),
            self.amplitude_record(),
            _encode(self.duration_s, 0, _U16, "duration_s", "s"),
        )

    @classmethod
    def from_request(cls, request: TestStimStart) -> TestStimulus:
        return cls(request.lead, request.anode, request.cathode, request.freq_hz,
                   request.pw_us, from_device_units(request.amp_ua, UA_PER_MA),
                   request.duration_s)
