"""The MFL/1 device emulator: a faithful implantable pulse generator on a real port.

``EmulatorServer(EmulatorConfig(...)).start()`` serves one device on a
pseudo-terminal (or TCP) and returns the port; ``ControlClient`` drives its
engineering controls. See docs/emulator.md.
"""

from device_link.emulator.clock import Clock, ManualClock, SystemClock
from device_link.emulator.config import EmulatorConfig, load_demo_key
from device_link.emulator.control import ControlClient, ControlError
from device_link.emulator.core import DeviceCore
from device_link.emulator.link import LinkFaults
from device_link.emulator.scenarios import SCENARIOS
from device_link.emulator.server import COMMANDS, EmulatorServer

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
