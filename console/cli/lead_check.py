"""The command line's words for the measurement before current.

The device commands that put current on a pair (``program write``, ``test-stim``) open a
new connection each time, so nothing is ever measured on it yet: their sequences
(``console.programming.write``, ``console.stimulation.session``) always measure the pairs
in use first (bipolar, only their leads), and an open or shorted one blocks.
"""

from __future__ import annotations

import sys

from console.leads.integrity import Pairs, PreCheck

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

