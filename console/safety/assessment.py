"""What the safety engine says about a program or a test stimulus: findings and a assessment."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """``block``: never sent; ``confirm``: sent only after the clinician agrees; ``info``."""

    BLOCK = "block"
    CONFIRM = "confirm"
    INFO = "info"


_RANK = {Severity.BLOCK: 0, Severity.CONFIRM: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's judgement.

    ``field`` is the program (or test-stimulus) field to change, named as in
    ``Program.as_fields`` / ``TestStimulus.as_fields``. ``value`` and ``limit`` are in
    ``unit`` and describe the quantity the rule checked (for derived rules such as charge
    this is the derived quantity, e.g. µC, not the field's own value). ``rule`` is a
    stable identifier for programs and tests; ``message`` is for the clinician.
    """

    severity: Severity
    rule: str
    field: str
    value: Decimal | int | bool | None
    limit: Decimal | int | None
    unit: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as exact strings so nothing is turned into a float."""
        return {"severity": self.severity.value, "rule": self.rule, "field": self.field,
                "value": _json_value(self.value), "limit": _json_value(self.limit),
                "unit": self.unit, "message": self.message}


def _json_value(value: Decimal | int | bool | None) -> str | int | bool | None:
    return str(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True, slots=True)
class Assessment:
    """All findings, blocks first, then confirmations, then information; stable order."""

    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.findings, key=lambda finding: _RANK[finding.severity])
        object.__setattr__(self, "findings", tuple(ordered))

    @property
    def blocks(self) -> tuple[Finding, ...]:
        return self._of(Severity.BLOCK)

    @property
    def confirmations(self) -> tuple[Finding, ...]:
        return self._of(Severity.CONFIRM)

    @property
    def infos(self) -> tuple[Finding, ...]:
        return self._of(Severity.INFO)

    @property
    def blocked(self) -> bool:
        """True when anything is refused: nothing of it may reach the device."""
        return bool(self.blocks)

    @property
    def needs_confirmation(self) -> bool:
        """True when some finding needs the clinician's explicit agreement."""
        return bool(self.confirmations)

    @property
    def clear(self) -> bool:
        """Sendable as it is: nothing blocked, nothing to confirm."""
        return not self.blocked and not self.needs_confirmation

    def for_field(self, field: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.field == field)

    def is_acknowledged_by(self, acknowledged: Collection[Finding]) -> bool:
        """Not blocked, and every confirmation here is among those the clinician agreed to.

        Findings carry their numbers, so agreeing to "12.0 mA needs confirmation" does not
        cover 13.0 mA: a changed value needs a new agreement.
        """
        return not self.blocked and all(item in acknowledged for item in self.confirmations)

    def merged(self, other: Assessment) -> Assessment:
        return Assessment(self.findings + other.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "needs_confirmation": self.needs_confirmation,
                "findings": [finding.to_dict() for finding in self.findings]}

    def lines(self) -> list[str]:
        """One line per finding, severity first, for text output and logs."""
        return [f"{finding.severity.value.upper():8}{finding.message}"
                for finding in self.findings]

    def _of(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity is severity)
