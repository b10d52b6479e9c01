"""Before current goes on: measure the pairs in use, say so as it happens, keep it.

Shared by every path that writes a program or starts test stimulation, so the same
pairs are measured and the same measurement reaches the record whichever path it is.
"""

from __future__ import annotations

from typing import Protocol

from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, Pairs, PreCheck, measure_pairs_in_use
from console.safety import SafetyProfile
from device_link.client import DeviceClient


class MeasureProgress(Protocol):
    """Told before and after the measurement, for a caller that shows it as it happens."""

    def measuring(self, pairs: Pairs) -> None: ...

    def measured(self, check: PreCheck) -> None: ...


def measure_first(client: DeviceClient, integrity: LeadIntegrity, pairs: Pairs,
                  profile: SafetyProfile, progress: MeasureProgress | None = None) -> PreCheck:
    """``measure_pairs_in_use``, with ``progress`` told when something is measured.

    Raises what the measurement raises (DeviceLinkError; Aborted after a STOP).
    """
    if progress is not None and integrity.to_measure(pairs):
        progress.measuring(pairs)
    check = measure_pairs_in_use(client, integrity, pairs, profile)
    if progress is not None and check.measured:
        progress.measured(check)
    return check


def keep_measurement(client: DeviceClient, keeper: RecordKeeper, check: PreCheck) -> None:
    """Store what ``check`` measured with the device (registered on first contact)."""
    assert client.identity is not None, "the client is not connected"
    if check.measured:
        keeper.record_impedance(keeper.known_device(client.identity).serial,
                                  check.records)
