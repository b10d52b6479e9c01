"""Qt signals around the console's ProgrammingSession, so every view redraws from one state."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6.QtCore import QObject, Signal

from console.programming.link_state import Link, ScreenState, device_sentence
from console.programming.screen_state import DeviceFacts, ProgrammingSession
from console.safety import Assessment
from console.stimulation.on_leads import TestPair
from device_link.messages import Status
from device_link.protocol import DeviceState


class SessionModel(QObject):
    device_changed = Signal()  # attached, detached or new status
    draft_changed = Signal()  # the program on screen (or what the device holds) changed
    impedance_changed = Signal()
    draft_proposed = Signal(str)  # another tab put values into the draft: says which
    test_pair_changed = Signal()  # test stimulation set up, started, or left

    def __init__(self, session: ProgrammingSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.test_pair: TestPair | None = None  # shown instead of the program's pairs
        self._electrodes = 4  # the last device's count: MFL/1's before any device

    @property
    def electrodes_per_lead(self) -> int:
        """From the device's HELLO; without a device, the last device's (4 before any)."""
        device = self.session.device
        return device.identity.electrodes_per_lead if device is not None else self._electrodes

    @property
    def device(self) -> DeviceFacts | None:
        return self.session.device

    @property
    def state(self) -> ScreenState:
        """What the screen may say about the device: every panel words itself from this."""
        return self.session.state

    @property
    def link_lost(self) -> bool:
        """The link failed unasked (not a Disconnect the user chose)."""
        return self.session.link is Link.LOST

    @property
    def device_sentence(self) -> str:
        return device_sentence(self.session.state, self.session.unconfirmed)

    @property
    def state_name(self) -> str:
        device = self.session.device
        if device is None:
            return "DISCONNECTED"
        try:
            return DeviceState(device.status.state).name
        except ValueError:
            return "DISCONNECTED"

    @property
    def stimulating(self) -> bool:
        return self.state_name in ("TEST_STIM", "THERAPY")

    def attach(self, facts: DeviceFacts) -> None:
        self.session.attach(facts.identity, facts.limits, facts.status)
        self._electrodes = facts.identity.electrodes_per_lead
        self.device_changed.emit()
        self.draft_changed.emit()

    def update_status(self, status: Status) -> None:
        integrity = self.session.integrity
        self.session.update_status(status)
        self.device_changed.emit()
        if self.session.integrity != integrity:  # a lead flag raised: the assessments change
            self.notify_impedance()

    def set_state(self, state: DeviceState) -> None:
        """A state learnt from an event before the next status poll confirms it."""
        device = self.session.device
        if device is not None and device.status.state != state:
            self.update_status(dataclasses.replace(device.status, state=int(state)))

    def set_fault_flags(self, fault_flags: int) -> None:
        """Flags learnt from a FAULT event before the next status poll repeats them."""
        device = self.session.device
        if device is not None and device.status.fault_flags != fault_flags:
            self.update_status(dataclasses.replace(device.status, fault_flags=fault_flags))

    def detach(self, *, lost: bool = False) -> None:
        """The link ended: chosen (Disconnect) or ``lost``."""
        self.session.detach(lost=lost)
        self.device_changed.emit()
        self.draft_changed.emit()
        self.impedance_changed.emit()

    def stop_unconfirmed(self, detail: str) -> None:
        self.session.stop_unconfirmed(detail)
        self.device_changed.emit()
        self.draft_changed.emit()

    def stop_confirmed(self) -> None:
        self.session.stop_confirmed()
        self.set_state(DeviceState.IDLE)
        self.draft_changed.emit()

    def assessment(self) -> Assessment:
        return self.session.assessment()

    def notify_draft(self) -> None:
        self.draft_changed.emit()

    def show_test_pair(self, pair: TestPair | None) -> None:
        """Test stimulation's lead and pair, while it is set up or runs; None otherwise."""
        if pair != self.test_pair:
            self.test_pair = pair
            self.test_pair_changed.emit()

    def propose_lead(self, lead: int, anode: int, cathode: int, amplitude_ma: Decimal,
                     where_from: str) -> None:
        """Put a pair and amplitude into the draft, on screen only, for the engine to judge.
        Electrodes first: new electrodes set the lead's amplitude to 0 mA. ``where_from``
        says, in a sentence, where the values came from (shown by the Program tab)."""
        self.session.set_lead(lead, enabled=True, anode=anode, cathode=cathode)
        self.session.set_lead(lead, amplitude_ma=amplitude_ma)
        self.notify_draft()
        self.draft_proposed.emit(where_from)

    def notify_impedance(self) -> None:
        self.impedance_changed.emit()
        self.draft_changed.emit()  # the assessment depends on the pairs' impedance
