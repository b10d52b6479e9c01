"""What every panel of the window is given: one controller, one session, one record."""

from __future__ import annotations

from dataclasses import dataclass

from console.accounts.roles import Action, Role, User, allowed
from console.storage import ClinicalRecord, Patient, Visit
from device_link.emulator import EmulatorServer
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel


@dataclass
class WindowContext:
    controller: DeviceController
    model: SessionModel
    record: ClinicalRecord | None
    user: User | None
    emulator: EmulatorServer | None = None  # the built-in emulator (demo, or started here)
    demo: bool = False
    patient: Patient | None = None  # None only for engineering bench work without a patient
    visit: Visit | None = None  # the visit new measurements and program versions belong to

    @property
    def visit_id(self) -> int | None:
        return self.visit.id if self.visit is not None else None

    @property
    def engineering(self) -> bool:
        """Only engineers see the emulator's controls and the engineering view.

        Admins manage users, pairing keys and the audit trail (by their permissions,
        see ``may``); breaking a device on purpose is not their work, nor a clinician's.
        """
        return (self.user is not None and not self.user.disabled
                and self.user.role is Role.ENGINEER)

    def may(self, action: Action) -> bool:
        """The window reflects permissions; the console layer enforces them."""
        return self.user is not None and allowed(self.user, action)
