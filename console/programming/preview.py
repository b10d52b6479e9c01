"""What a program will do, for the window's preview: pulse shape, cycle, session, dose.

Pure functions on exact decimals, no Qt. Waveforms are corner points (time, value) to be
drawn with straight lines, so they are exact and to scale at any zoom.

Pulses are biphasic and charge-balanced with the cathodic phase first (MFL/1 section 7):
current at the cathode is drawn negative during the first phase, positive and equal
during the second. MFL/1 specifies no interphase gap, so the default gap is zero; a
caller that wants to illustrate one passes ``interphase_gap_us``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

SESSIONS_PER_DAY = 2
"""The therapy is delivered in two sessions a day."""


@dataclass(frozen=True, slots=True)
class Waveform:
    """Corner points of a piecewise-linear curve; ``time`` never decreases."""

    time: tuple[Decimal, ...]
    value: tuple[Decimal, ...]


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def pulse_shape(amplitude_ma: Decimal, pulse_width_us: int,
                interphase_gap_us: int = 0) -> Waveform:
    """One biphasic pulse: time in µs, current at the cathode in mA."""
    if pulse_width_us <= 0 or interphase_gap_us < 0:
        raise ValueError("pulse width must be positive and the gap not negative")
    amplitude = Decimal(amplitude_ma)
    width, gap = Decimal(pulse_width_us), Decimal(interphase_gap_us)
    edges = (Decimal(0), width, width + gap, 2 * width + gap)
    time = (edges[0], edges[0], edges[1], edges[1], edges[2], edges[2], edges[3], edges[3])
    value = (Decimal(0), -amplitude, -amplitude, Decimal(0), Decimal(0), amplitude, amplitude,
             Decimal(0))
    return Waveform(time, value)


def pulse_period_us(frequency_hz: int) -> Decimal:
    """Time from one pulse to the next."""
    if frequency_hz <= 0:
        raise ValueError("frequency must be positive")
    return _dec(Fraction(1_000_000, frequency_hz))


def cycle_envelope(ramp_up_s: Decimal, ramp_down_s: Decimal, on_s: Decimal, off_s: Decimal,
                   amplitude_ma: Decimal = Decimal(1)) -> Waveform:
    """One on/off cycle: amplitude (mA) over time (s); ``on_s`` includes both ramps."""
    if min(ramp_up_s, ramp_down_s, off_s) < 0 or on_s < ramp_up_s + ramp_down_s:
        raise ValueError("times must not be negative and the on time must hold both ramps")
    level = Decimal(amplitude_ma)
    time = (Decimal(0), ramp_up_s, on_s - ramp_down_s, on_s, on_s + off_s)
    return Waveform(tuple(Decimal(t) for t in time),
                    (Decimal(0), level, level, Decimal(0), Decimal(0)))


@dataclass(frozen=True, slots=True)
class SessionTimeline:
    """How a session divides into cycles. The last cycle may be cut short by the session end.

    ``on_time_s`` counts the ramps, during which current flows at a lower level.
    """

    session_s: int
    cycle_s: Decimal
    cycles_complete: int
    cycles_started: int
    on_time_s: Decimal


def session_timeline(on_s: Decimal, off_s: Decimal, session_min: int) -> SessionTimeline:
    cycle = Fraction(on_s) + Fraction(off_s)
    if cycle <= 0 or session_min < 0 or on_s < 0 or off_s < 0:
        raise ValueError("a cycle must last some time and nothing may be negative")
    session = session_min * 60
    complete, remainder = divmod(Fraction(session), cycle)
    started = int(complete) + (1 if remainder else 0)
    on_time = int(complete) * Fraction(on_s) + min(remainder, Fraction(on_s))
    return SessionTimeline(session, _dec(cycle), int(complete), started, _dec(on_time))


def charge_per_phase_uc(amplitude_ma: Decimal, pulse_width_us: int) -> Decimal:
    """Charge of one phase in µC: mA × µs / 1000 (exact)."""
    return _dec(Fraction(amplitude_ma) * pulse_width_us / 1000)


def duty_cycle(on_s: Decimal, off_s: Decimal) -> Decimal:
    """Share of each cycle spent on (ramps included), 0 to 1."""
    total = Fraction(on_s) + Fraction(off_s)
    if total <= 0:
        raise ValueError("a cycle must last some time")
    return _dec(Fraction(on_s) / total)


def stimulation_minutes_per_day(on_s: Decimal, off_s: Decimal, session_min: int,
                                sessions_per_day: int = SESSIONS_PER_DAY) -> Decimal:
    """Minutes of stimulation (on time, ramps included) per day of prescribed sessions."""
    timeline = session_timeline(on_s, off_s, session_min)
    return _dec(Fraction(timeline.on_time_s) * sessions_per_day / 60)
