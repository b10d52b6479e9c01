"""The helper processes a link benchmark talks to: emulators and the raw echo.

The emulator's control channel is a Unix socket in the benchmark's private
directory, so only this user can reach it and its address is known before the
process starts (the emulator has it listening before it announces its port).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.emulation.process import EmulatorProcess, PortServerProcess
from device_link.emulator.control import ControlClient

ECHO_COMMAND = (sys.executable, "-m", "console.bench.echo_server")


@contextmanager
def emulator(workdir: Path, name: str, key_file: str,
             *args: str) -> Iterator[tuple[str, ControlClient]]:
    """A fresh ``mfconsole emulator ARGS`` on a pseudo-terminal: its port and control client.

    ``name`` names its control socket in ``workdir`` (one per emulator).
    """
    socket_path = workdir / f"{name}.sock"
    with EmulatorProcess(*args, "--control-unix", str(socket_path), key_file=key_file,
                         control=False) as process, \
            ControlClient(f"unix:{socket_path}") as control:
        yield process.port, control


@contextmanager
def echo_port() -> Iterator[str]:
    """The path of a pseudo-terminal that echoes every byte (``console.bench.echo_server``)."""
    with PortServerProcess(ECHO_COMMAND) as process:
        yield process.port
