"""The command line's measurement before current: measure, say what was found, record it.

The device commands that put current on a pair (``program write``, ``test-stim``) open a
new connection each time, so nothing is ever measured on it yet: the pairs in use are
always measured first (bipolar, only their leads), and an open or shorted one blocks.
"""

from __future__ import annotations

import sys

from console.lead_integrity import (
    LeadIntegrity,
    Pairs,
    PreCheck,
    measure_pairs_in_use,
    unmeasured_refusal,
)
from console.safety import SafetyProfile
from device_link.client import DeviceClient
from device_link.errors import DeviceRefused
from device_link.protocol import ErrorCode

from ..device_recording import DeviceRecorder
from .errors import CliError


def measure_before_current(client: DeviceClient, pairs: Pairs, profile: SafetyProfile,
                           recorder: DeviceRecorder | None, json_output: bool) -> PreCheck:
    """Measure the pairs in use on this connection; CliError if that is impossible."""
    assert client.identity is not None
    out = sys.stderr if json_output else sys.stdout
    if pairs:
        print(f"measuring impedance of the pairs in use (bipolar, "
              f"{'both leads' if len(pairs) == 2 else 'one lead'}) ...", file=out, flush=True)
    try:
        check = measure_pairs_in_use(client, LeadIntegrity(), pairs, profile)
    except DeviceRefused as exc:
        if exc.code == ErrorCode.ABORTED:
            raise CliError("impedance measurement stopped: nothing was written or "
                           "started") from None
        raise CliError(f"impedance measurement refused: {exc}; nothing was written or "
                       "started") from None
    if check.measured:
        print(check.summary(), file=out, flush=True)
        if recorder is not None:
            device = recorder.known_device(client.identity)
            recorder.record_impedance(device.serial, check.records)
    refusal = unmeasured_refusal(check.integrity, pairs)
    if refusal is not None:
        raise CliError(refusal)
    return check
