"""What the clinician asks to write: the program, the slot, and what they agreed to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.programming.program import Program
from console.safety import Assessment, Finding
from console.storage import Confirmation


@dataclass(frozen=True, slots=True)
class Consent:
    """The confirmation findings the clinician agreed to, and the reason they gave.

    The window names the findings its dialog showed; the command line's ``--confirm``
    agrees to whatever the engine asks (``findings`` None). Without a reason nothing is
    agreed to, so a program that needs confirmation is not written.
    """

    reason: str = ""
    findings: tuple[Finding, ...] | None = ()

    @classmethod
    def to(cls, findings: Sequence[Finding], reason: str) -> Consent:
        """Agreement to exactly these findings (a changed value needs a new agreement)."""
        return cls(reason, tuple(findings))

    @classmethod
    def to_every_finding(cls, reason: str | None) -> Consent:
        """Agreement to every confirmation the engine finds, given with ``reason``."""
        return cls(reason or "", None)

    def acknowledged(self, assessment: Assessment) -> tuple[Finding, ...]:
        """The findings of ``assessment`` this consent covers, to hand to the engine."""
        if not self.reason.strip():
            return ()
        return assessment.confirmations if self.findings is None else self.findings

    def confirmations(self, acknowledged: Sequence[Finding]) -> list[Confirmation]:
        """What the record keeps with the new version: each finding and the reason."""
        return [Confirmation(f.rule, f.message, self.reason) for f in acknowledged]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """One program for one slot.

    ``reason`` is kept with the recorded version. ``restored`` is the (draft, parent)
    version ids of a restore being written, as the window's history offers them;
    ``recorded`` the confirmations that draft was recorded with.
    """

    program: Program
    slot: int
    consent: Consent = Consent()
    reason: str = ""
    restored: tuple[int | None, int | None] = (None, None)
    recorded: tuple[Confirmation, ...] = ()

    def versions(self, confirmations: Sequence[Confirmation]) -> tuple[int | None, int | None]:
        """The (draft, parent) to record. A recorded draft keeps the confirmations it was
        made with: written with exactly those (or none needed) it is that version; other
        confirmations make a new version, child of the restore."""
        draft_id, parent_id = self.restored
        if confirmations and tuple(confirmations) != self.recorded:
            return None, draft_id or parent_id
        return draft_id, parent_id
