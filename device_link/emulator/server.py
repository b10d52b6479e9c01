"""``EmulatorServer``: one emulated device on a pseudo-terminal or TCP port, plus its controls.

The same class runs inside the console (demo mode) and as ``mfconsole emulator``.
Its public methods are the engineering controls; the control channel exposes
exactly these (``COMMANDS``) as JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from device_link.emulator.clock import Clock, SystemClock
from device_link.emulator.config import EmulatorConfig
from device_link.emulator.control_server import ControlServer, parse_host_port
from device_link.emulator.core import DeviceCore
from device_link.emulator.link import LinkFaults, LinkShaper
from device_link.emulator.port import Port, PtyPort, TcpPort
from device_link.emulator.realtime import RealTimeDevice
from device_link.emulator.trace import ProtocolTrace

# The engineering controls, by the name the control channel uses.
COMMANDS = (
    "ping", "state", "programs", "observe", "patient", "impedances", "inject_open",
    "inject_short", "inject_rising", "set_contact_ohms", "set_battery", "clear_faults",
    "set_link_faults", "link_faults", "disconnect", "reconnect", "reboot", "trace",
    "clear_trace",
)


class EmulatorServer:
    """Start with ``start()`` (returns the port), stop with ``stop()``; also a context manager."""

    def __init__(self, config: EmulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or SystemClock()
        self._trace = ProtocolTrace(self.config.trace_capacity)
        self._link = LinkShaper(self.config.seed)
        self.core = DeviceCore(self.config, self.clock)
        self.device = RealTimeDevice(self.core, self.clock, self._trace, self._link)
        self._port: Port | None = None
        self._port_url = ""
        self._control: ControlServer | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Open the port (and the control channel if configured); return the port's name."""
        if self._started:
            return self._port_url
        self._started = True
        self.device.start()
        try:
            self._open_port()
            if self.config.control or self.config.control_unix:
                self._control = ControlServer(self, COMMANDS, self.config.control,
                                              self.config.control_unix)
        except BaseException:
            self.stop()
            raise
        return self._port_url

    def _open_port(self) -> None:
        if self.config.socket:
            host, port = parse_host_port(self.config.socket)
            opened: PtyPort | TcpPort = TcpPort(host, port, self.device.on_bytes,
                                                self.device.new_connection, self._trace,
                                                self.config.pace_baud)
        else:
            opened = PtyPort(self.device.on_bytes, self._trace, self.config.pace_baud)
        self._port = opened
        self._port_url = opened.url
        self.device.attach(opened)

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        self.device.attach(None)
        if self._port is not None:
            self._port.close()
            self._port = None
        self.device.stop()

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> str:
        """The pseudo-terminal's path or ``socket://HOST:PORT``."""
        return self._port_url

    @property
    def control_address(self) -> str | None:
        """``HOST:PORT`` of the TCP control channel (the real port if 0 was asked for)."""
        return self._control.tcp_address if self._control else None

    # -- engineering controls (the control channel's commands) -----------------------------

    @contextmanager
    def _changing(self) -> Iterator[DeviceCore]:
        """The core, locked, for a change; the events it causes (a FAULT) are sent after."""
        with self.device.locked() as core:
            yield core
            self.device.emit(core.tick())

    def ping(self) -> dict[str, Any]:
        return {"pong": True}

    def state(self) -> dict[str, Any]:
        with self.device.locked() as core:
            snapshot = core.snapshot()
        snapshot.update(port=self._port_url,
                        connected=self._port is not None and self._port.connected,
                        link_faults=self._link.faults.as_dict())
        return snapshot

    def programs(self) -> dict[str, Any]:
        """Each written slot's program bytes and CRC, read-only (to check what was applied)."""
        with self.device.locked() as core:
            return core.stored_programs()

    def observe(self) -> dict[str, Any]:
        """Simulated observation of the patient: contraction 0–1 and unwanted responses."""
        with self.device.locked() as core:
            return core.observe()

    def patient(self, pw_us: int = 214) -> dict[str, Any]:
        """Contraction and unwanted-response thresholds of every pair at ``pw_us``."""
        with self.device.locked() as core:
            return core.patient_table(int(pw_us))

    def impedances(self) -> dict[str, Any]:
        """What a measurement would report now, and every contact's model state."""
        with self.device.locked() as core:
            return core.impedances()

    def inject_open(self, lead: int, electrode: int, is_open: bool = True) -> dict[str, Any]:
        """Fracture (or, with ``is_open=False``, mend) the conductor to one contact."""
        with self._changing() as core:
            core.tissue.set_open(int(lead), int(electrode), bool(is_open))
        return {"lead": lead, "electrode": electrode, "open": bool(is_open)}

    def inject_short(self, lead: int, a: int, b: int) -> dict[str, Any]:
        with self._changing() as core:
            core.tissue.short(int(lead), int(a), int(b))
        return {"lead": lead, "electrodes": [a, b], "shorted": True}

    def inject_rising(self, lead: int, electrode: int, ohm_per_s: float) -> dict[str, Any]:
        """Make one contact's impedance climb steadily (tissue encapsulation, a failing weld)."""
        with self._changing() as core:
            core.tissue.set_rising(int(lead), int(electrode), float(ohm_per_s), core.clock.now())
        return {"lead": lead, "electrode": electrode, "ohm_per_s": float(ohm_per_s)}

    def set_contact_ohms(self, lead: int, electrode: int, ohms: float) -> dict[str, Any]:
        with self._changing() as core:
            core.tissue.set_contact_ohms(int(lead), int(electrode), float(ohms))
        return {"lead": lead, "electrode": electrode, "ohms": float(ohms)}

    def set_battery(self, percent: float) -> dict[str, Any]:
        with self.device.locked() as core:
            self.device.emit(core.set_battery(float(percent)))
            return {"battery_pct": core.battery.pct, "battery_mv": core.battery.mv}

    def clear_faults(self) -> dict[str, Any]:
        """Mend every contact fault (the scenario's too); the battery is left as it is."""
        with self._changing() as core:
            core.tissue.clear_faults()
        return {"cleared": True}

    def set_link_faults(self, corrupt_rate: float = 0.0, drop_rate: float = 0.0,
                        delay_ms: float = 0.0, direction: str = "both") -> dict[str, Any]:
        """Replace the link faults (all zero clears them)."""
        faults = LinkFaults(float(corrupt_rate), float(drop_rate), float(delay_ms), direction)
        self._link.set(faults)
        return faults.as_dict()

    def link_faults(self) -> dict[str, Any]:
        return self._link.faults.as_dict()

    def disconnect(self) -> dict[str, Any]:
        """Pull the cable: a pseudo-terminal disappears, a TCP connection is dropped."""
        port = self._port
        if port is None:
            return {"port": None}
        if isinstance(port, PtyPort):
            self.device.attach(None)
            self._port = None
        self._trace.note("disconnected")
        port.disconnect()
        return {"port": None if isinstance(port, PtyPort) else self._port_url}

    def reconnect(self) -> dict[str, Any]:
        """Plug the cable back in: a pulled pseudo-terminal comes back under a new path."""
        if self._port is None:
            self._open_port()
            self._trace.note(f"reconnected on {self._port_url}")
        return {"port": self._port_url}

    def reboot(self) -> dict[str, Any]:
        """Power cycle the device: session, stimulation and measurement end; boot is logged."""
        with self.device.locked() as core:
            self.device.emit(core.reboot())
        self._trace.note("device rebooted")
        return {"rebooted": True}

    def trace(self, since: int = 0, limit: int | None = None,
              wait_s: float = 0.0) -> dict[str, Any]:
        """Trace entries numbered ``since`` or later; ``next`` is where to continue.

        ``wait_s`` (at most 30 s) waits for an entry when there is none yet.
        """
        entries, following = self._trace.entries(int(since), None if limit is None
                                                 else int(limit), min(30.0, float(wait_s)))
        return {"entries": entries, "next": following}

    def clear_trace(self) -> dict[str, Any]:
        self._trace.clear()
        return {"cleared": True}
