"""What is seen while a lead is stimulated, from the person in theatre or from the emulator.

A device cannot tell whether the multifidus contracts: someone has to look. The
workflow asks an ``Observer`` after each dwell at an amplitude. In theatre the observer
is the operator (``OperatorObserver``: the window's keys or buttons report what the team
sees). For engineering and automated tests only, ``SimulatedObserver`` reads the
emulator's patient model through its control channel; every result it produces is
labelled simulated in the record and the report.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Unwanted(StrEnum):
    """Responses other than the multifidus contraction that the team may see or hear of."""

    LEG = "leg"
    GLUTEAL = "gluteal"
    ABDOMINAL = "abdominal"
    SENSATION = "sensation reported"
    OTHER = "other"
    UNSPECIFIED = "not yet specified"  # recorded at once on a key, named just after


UNWANTED_CHOICES: tuple[Unwanted, ...] = (Unwanted.LEG, Unwanted.GLUTEAL, Unwanted.ABDOMINAL,
                                          Unwanted.SENSATION, Unwanted.OTHER)
"""The kinds an operator chooses from, in the order the window numbers them."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What was seen at the amplitude in force: a contraction and/or unwanted responses."""

    contraction: bool = False
    unwanted: tuple[Unwanted, ...] = ()
    detail: str = ""  # e.g. the simulated contraction strength

    @property
    def anything(self) -> bool:
        return self.contraction or bool(self.unwanted)


NOTHING = Observation()


class Observer(Protocol):
    """Where observations come from. ``simulated`` marks results that no person saw."""

    simulated: bool

    def reset(self) -> None:
        """A new stimulation starts: forget anything reported before it."""

    def observe(self, lead: int, anode: int, cathode: int) -> Observation:
        """What is seen now on ``lead`` stimulated on (anode, cathode)."""


class OperatorObserver:
    """The team in theatre: the window reports what they see; the workflow collects it.

    ``contraction_seen`` and ``unwanted_seen`` may be called from any thread (the GUI
    thread); ``observe`` (the workflow, on the device thread) takes what was reported.
    """

    simulated = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contraction = False
        self._unwanted: list[Unwanted] = []

    def contraction_seen(self) -> None:
        with self._lock:
            self._contraction = True

    def unwanted_seen(self, kind: Unwanted = Unwanted.UNSPECIFIED) -> None:
        with self._lock:
            self._unwanted.append(kind)

    def reset(self) -> None:
        with self._lock:
            self._contraction = False
            self._unwanted.clear()

    def observe(self, lead: int, anode: int, cathode: int) -> Observation:
        with self._lock:
            seen = Observation(self._contraction, tuple(self._unwanted))
            self._contraction = False
            self._unwanted.clear()
        return seen


class EmulatorObservations(Protocol):
    """The part of ``device_link.emulator.ControlClient`` a simulated observer needs."""

    def observe(self) -> dict[str, Any]: ...


_KNOWN_UNWANTED = {kind.value: kind for kind in UNWANTED_CHOICES}


class SimulatedObserver:
    """The emulator's simulated patient (engineering and automated tests only).

    A contraction counts as seen when its modelled strength (0–1) exceeds
    ``visible_above``; each structure the model reports becomes an unwanted response
    (names the console does not know become ``other``).
    """

    simulated = True

    def __init__(self, control: EmulatorObservations, visible_above: float = 0.0) -> None:
        self._control = control
        self._visible_above = visible_above

    def reset(self) -> None:
        """The emulator reports the present only: nothing to forget."""

    def observe(self, lead: int, anode: int, cathode: int) -> Observation:
        leads = self._control.observe()["leads"]
        entry: Mapping[str, Any] = next(item for item in leads if item["lead"] == lead)
        if not entry["active"] or (entry["anode"], entry["cathode"]) != (anode, cathode):
            return NOTHING
        strength = float(entry["contraction"])
        unwanted = tuple(_KNOWN_UNWANTED.get(name, Unwanted.OTHER)
                         for name in entry["unwanted"])
        return Observation(strength > self._visible_above, unwanted,
                           f"simulated contraction {strength:.2f}"
                           + (f", {', '.join(entry['unwanted'])}" if entry["unwanted"] else ""))
