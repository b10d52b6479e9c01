"""How long the console waits for a reply (MFL/1 section 3, rev 1.1).

The wait grows with the time the request and its longest reply take on the line,
so a slow serial rate never makes the console retransmit a request in flight.
"""

from __future__ import annotations

from dataclasses import dataclass

from device_link.messages import max_reply_size
from device_link.protocol import (
    CRC_SIZE,
    HEADER_SIZE,
    IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S,
    MAC_SIZE,
    ORDINARY_TIMEOUT_S,
    RETRANSMISSIONS,
    Opcode,
)

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
COBS_BLOCK = 254  # data bytes one COBS code byte covers at most


def longest_reply_wire_size(opcode: Opcode, mac: bool) -> int:
    """Bytes the longest reply to ``opcode`` can take on the line.

    Its body with MAC (in a session) and CRC, COBS-encoded at worst, its delimiter and
    the extra 0x00 any sender may put before a frame (spec section 2).
    """
    body = HEADER_SIZE + max_reply_size(opcode) + (MAC_SIZE if mac else 0) + CRC_SIZE
    return body + -(-body // COBS_BLOCK) + 2


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Response timeouts of spec section 3 (rev 1.1): a base, line time, measurement time.

    Tests may lengthen the base and the per-measurement time; smaller values count as
    the spec's, so a device is never given less time than the spec allows it.
    """

    ordinary_s: float = ORDINARY_TIMEOUT_S
    per_measurement_s: float = IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S
    retransmissions: int = RETRANSMISSIONS

    def response_s(self, opcode: Opcode, request_bytes: int, baud: int, mac: bool,
                   measurements: int = 0) -> float:
        """How long to wait for the reply to a request that took ``request_bytes`` to send.

        At a slow rate the line time dominates: a HELLO exchange is about 0.4 s at 2400
        baud, and a reply awaited only 250 ms would be asked for again.
        """
        line_bytes = request_bytes + longest_reply_wire_size(opcode, mac)
        per_measurement = max(self.per_measurement_s, IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S)
        return (max(self.ordinary_s, ORDINARY_TIMEOUT_S) + line_bytes * BITS_PER_BYTE / baud
                + measurements * per_measurement)


DEFAULT_TIMEOUTS = Timeouts()
