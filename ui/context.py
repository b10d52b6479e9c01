"""What every panel of the window is given: one controller, one session, one record."""

from __future__ import annotations

from dataclasses import dataclass

from console.accounts.roles import Action, User, allowed
from console.storage import ClinicalRecord
from device_link.emulator import EmulatorServer

from .device_controller import DeviceController
from .session_model import SessionModel


@dataclass
class WindowContext:
    controller: DeviceController
    model: SessionModel
    record: ClinicalRecord | None
    user: User | None
    emulator: EmulatorServer | None = None  # the built-in emulator (demo, or started here)
    demo: bool = False

    def may(self, action: Action) -> bool:
        """The window reflects permissions; the console layer enforces them."""
        return self.user is not None and allowed(self.user, action)
