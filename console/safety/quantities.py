"""Exact arithmetic and clinical wording shared by the safety rules.

Comparisons against limits are exact (``Fraction``), so a value is never let through or
refused because of a rounding step. Numbers are rounded only when they are written
into a sentence for the clinician, and written only by ``console.programming.program.plain``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from console.programming.program import canonical, plain, tidy

# Enough digits that logarithms near a threshold are decided correctly.
_PRECISION = 50


def to_decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = _PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


def clinical(value: Fraction | Decimal | int, power: int = 0) -> str:
    """A number in device units shown in clinical units: ``clinical(8000, 3)`` → "8.0".

    For values that are whole device units (µA, 0.1 s, µs), which is all this is used for.
    """
    return plain(tidy(to_decimal(Fraction(value) / 10**power)))


def rounded(value: Decimal | Fraction, places: int) -> str:
    """A derived figure for a sentence, e.g. 17.469... → "17.5" with ``places`` = 1."""
    decimal = value if isinstance(value, Decimal) else to_decimal(value)
    return plain(quantized(decimal, places))


def quantized(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimals, never "-0.000" (a tiny negative k rounds to 0)."""
    return canonical(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def neighbours(value: Fraction, step: int, low: int, high: int) -> list[int]:
    """The allowed multiples of ``step`` just below and above an off-step ``value``."""
    below = math.floor(value / step) * step
    return [candidate for candidate in (below, below + step) if low <= candidate <= high]


def charge_uc(amplitude_ua: Fraction, pulse_width_us: int) -> Fraction:
    """Charge per phase Q in µC (µA × µs = pC)."""
    return amplitude_ua * pulse_width_us / 1_000_000


def contact_area_cm2(electrode_area_mm2_x100: int) -> Fraction:
    """Geometric contact area from GET_LIMITS (0.01 mm² units) in cm²."""
    return Fraction(electrode_area_mm2_x100, 100 * 100)


def density_uc_cm2(charge: Fraction, area_cm2: Fraction) -> Fraction:
    return charge / area_cm2


def shannon_k(charge: Fraction, density: Fraction) -> Decimal:
    """Shannon's k = log10(Q) + log10(D), Q in µC and D in µC/cm² per phase."""
    with localcontext() as context:
        context.prec = _PRECISION
        return to_decimal(charge * density).log10()


def charge_for_k(k: Decimal, area_cm2: Fraction) -> Decimal:
    """The charge per phase (µC) at which Shannon's k reaches ``k`` on this contact."""
    with localcontext() as context:
        context.prec = _PRECISION
        return (Decimal(10) ** k * to_decimal(area_cm2)).sqrt()
