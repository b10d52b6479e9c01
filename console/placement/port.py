"""What the placement test needs of the device: the part of ``DeviceClient`` it uses, so
tests can script a device and the workflow never reaches past it."""

from __future__ import annotations

from typing import Protocol

from device_link.messages import Identity, ImpedanceResult, Limits, Status, TestStimStart
from device_link.protocol import ImpedanceMode


class DevicePort(Protocol):
    """The part of ``device_link.client.DeviceClient`` the test uses."""

    identity: Identity | None
    limits: Limits | None

    def get_status(self) -> Status: ...

    def set_time(self, unix_seconds: int | None = None) -> int: ...

    def measure_impedance(self, lead_mask: int = ..., mode: ImpedanceMode = ...
                          ) -> ImpedanceResult: ...

    def start_test_stim(self, stimulus: TestStimStart) -> None: ...

    def adjust_test_stim(self, amp_ua: int) -> int: ...

    def stop(self) -> int: ...
