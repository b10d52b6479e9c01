"""Run the device emulator (or another port-serving helper) as a separate process.

The emulator then sits behind its own pseudo-terminal exactly as a device would sit
behind a serial adapter: nothing is shared with the console but the port. Such a
process announces itself with lines ``PORT <path-or-url>`` (then ``CONTROL <addr>``).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import IO

STARTUP_TIMEOUT_S = 20.0


class EmulatorStartError(RuntimeError):
    """The child process did not announce its port."""


class PortServerProcess:
    """A child process that serves a port and announces it; ``port`` once started."""

    def __init__(self, command: Sequence[str], control: bool = False) -> None:
        self.command = list(command)
        self.port = ""
        self.control: str | None = None
        self._want_control = control
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives with the process

    def start(self) -> PortServerProcess:
        # stderr goes to a file: a pipe nobody drains could stall a chatty emulator.
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                         stderr=self._stderr, text=True, bufsize=1)
        try:
            self.port = self._announced("PORT")
            if self._want_control:
                self.control = self._announced("CONTROL")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _announced(self, keyword: str) -> str:
        """Wait (on the pipe, with a deadline) for the line ``KEYWORD value``."""
        process = self._process
        assert process is not None and process.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(left):
                    break
                line = process.stdout.readline()
                if not line:
                    process.wait(timeout=10)
                    raise EmulatorStartError(f"emulator exited before announcing {keyword}: "
                                             f"{self.stderr_text()[-500:]}")
                word, _, value = line.strip().partition(" ")
                if word == keyword:
                    return value
        raise EmulatorStartError(f"emulator did not announce {keyword} within "
                                 f"{STARTUP_TIMEOUT_S:.0f} s")

    def kill(self) -> None:
        """SIGKILL: the device vanishes mid-conversation."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().strip()

    def __enter__(self) -> PortServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class EmulatorProcess(PortServerProcess):
    """``mfconsole emulator ARGS`` in a child process, with its control channel."""

    def __init__(self, *args: str, key_file: str | None = None, control: bool = True) -> None:
        command = [sys.executable, "-m", "console.cli.main", "emulator", *args]
        if key_file is not None:
            command += ["--key-file", key_file]
        if control:
            command += ["--control", "127.0.0.1:0"]
        super().__init__(command, control)
