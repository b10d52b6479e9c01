"""The MFL/1 device emulator: a faithful implantable pulse generator on a real port.

``EmulatorServer(EmulatorConfig(...)).start()`` serves one device on a
pseudo-terminal (or TCP) and returns the port; ``ControlClient`` drives its
engineering controls. See docs/emulator.md.
"""

from .clock import Clock, ManualClock, SystemClock
from .config import EmulatorConfig, load_demo_key
from .control import ControlClient, ControlError
from .core import DeviceCore
from .link import LinkFaults
from .scenarios import SCENARIOS
from .server import COMMANDS, EmulatorServer

__all__ = [
    "COMMANDS",
    "SCENARIOS",
    "Clock",
    "ControlClient",
    "ControlError",
    "DeviceCore",
    "EmulatorConfig",
    "EmulatorServer",
    "LinkFaults",
    "ManualClock",
    "SystemClock",
    "load_demo_key",
]
