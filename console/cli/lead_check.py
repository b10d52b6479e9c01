"""The command line's measurement before current: measure, say what was found, record it.

The device commands that put current on a pair (``program write``, ``test-stim``) open a
new connection each time, so nothing is ever measured on it yet: the pairs in use are
always measured first (bipolar, only their leads), and an open or shorted one blocks.
"""

from __future__ import annotations

import sys

from console.cli.errors import CliError
from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, Pairs, PreCheck, unmeasured_refusal
from console.leads.measure_first import keep_measurement, measure_first
from console.safety import SafetyProfile
from device_link.client import DeviceClient
from device_link.errors import DeviceRefused
from device_link.protocol import ErrorCode

MEASUREMENT_STOPPED = "impedance measurement stopped: nothing was written or started"


def measurement_refused(refusal: object) -> str:
    """The line for a measurement the device refused (other than by a STOP)."""
    return f"impedance measurement refused: {refusal}; nothing was written or started"


class MeasureNotes:
    """Says what is measured before current and what was found: on stdout, or on stderr
    when stdout carries JSON."""

    def __init__(self, json_output: bool) -> None:
        self.out = sys.stderr if json_output else sys.stdout

    def measuring(self, pairs: Pairs) -> None:
        print(f"measuring impedance of the pairs in use (bipolar, "
              f"{'both leads' if len(pairs) == 2 else 'one lead'}) ...", file=self.out,
              flush=True)

    def measured(self, check: PreCheck) -> None:
        print(check.summary(), file=self.out, flush=True)


def measure_before_current(client: DeviceClient, pairs: Pairs, profile: SafetyProfile,
                           keeper: RecordKeeper | None, json_output: bool) -> PreCheck:
    """Measure the pairs in use on this connection; CliError if that is impossible."""
    try:
        check = measure_first(client, LeadIntegrity(), pairs, profile, MeasureNotes(json_output))
    except DeviceRefused as exc:
        if exc.code == ErrorCode.ABORTED:
            raise CliError(MEASUREMENT_STOPPED) from None
        raise CliError(measurement_refused(exc)) from None
    if keeper is not None:
        keep_measurement(client, keeper, check)
    refusal = unmeasured_refusal(check.integrity, pairs)
    if refusal is not None:
        raise CliError(refusal)
    return check
