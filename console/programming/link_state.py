"""What the screen may say about the device: one state, worked out in one place.

Every panel words itself from this state, so no panel can remember a fact another has
already dropped. The order of ``ScreenState`` is the order of precedence: an outcome
that could not be confirmed outweighs everything, a lost link outweighs a chosen
disconnect, and only a connected device can be in sync with the screen or differ from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Link(Enum):
    """How the console stands with the device, as the controller last reported it."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # the user chose to disconnect, or never connected
    LOST = "lost"  # the link failed when nobody asked it to end


class ScreenState(Enum):
    """What the screen can truthfully say about the device."""

    IN_SYNC = "connected, in sync"
    EDITED = "edited on screen"
    DISCONNECTED = "disconnected"
    LINK_LOST = "link lost"
    OUTCOME_UNKNOWN = "outcome unknown"


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """A write or STOP whose result the device never confirmed.

    ``slot`` names the slot a write went to (None for a STOP); reading that slot back
    (or the device reporting it has stopped) settles it.
    """

    what: str  # "write" or "stop"
    detail: str
    slot: int | None = None


OFFLINE_MARK = {
    ScreenState.DISCONNECTED: ("• not connected",
                               "No device is connected: whether it holds this value is not "
                               "known."),
    ScreenState.LINK_LOST: ("• link lost",
                            "The link was lost: what the device holds now is not known."),
    ScreenState.OUTCOME_UNKNOWN: ("• outcome unknown",
                                  "The device did not confirm the last write or STOP: read the "
                                  "slot to know what it holds."),
}
"""How a value is marked when no device can be asked: (mark, tooltip). Never "not on
device", which would claim a difference from a device nobody can see."""


def screen_state(link: Link, unconfirmed: Unconfirmed | None, differs: bool) -> ScreenState:
    """The state, from the link, any unconfirmed outcome and whether the draft differs from
    what the device proved it holds."""
    if unconfirmed is not None:
        return ScreenState.OUTCOME_UNKNOWN
    if link is Link.LOST:
        return ScreenState.LINK_LOST
    if link is Link.DISCONNECTED:
        return ScreenState.DISCONNECTED
    return ScreenState.EDITED if differs else ScreenState.IN_SYNC


def device_sentence(state: ScreenState, unconfirmed: Unconfirmed | None = None) -> str:
    """One sentence on what the device holds, as every panel says it."""
    match state:
        case ScreenState.IN_SYNC:
            return "The device holds exactly the program on screen (read back)."
        case ScreenState.EDITED:
            return "The program on screen differs from what the device holds."
        case ScreenState.DISCONNECTED:
            return ("Disconnected: what a device holds is not known; nothing on screen is "
                    "confirmed on one.")
        case ScreenState.LINK_LOST:
            return ("Link lost: what the device holds now is not known. Reconnect: the slot "
                    "is read again.")
        case ScreenState.OUTCOME_UNKNOWN:
            detail = unconfirmed.detail if unconfirmed is not None else ""
            what = "STOP" if unconfirmed is not None and unconfirmed.what == "stop" else \
                "the last write"
            return (f"Outcome unknown: the device did not confirm {what}"
                    + (f" ({detail})" if detail else "") + ". Reconnect if needed and read "
                    "the slot: until then nothing is known of what the device holds.")
