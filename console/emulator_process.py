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
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives with the process

    def start(self) -> PortServerProcess:
        # stderr goes to a file: a pipe nobody drains could stall a chatty emulator.
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                         stderr=self._stderr)
        try:
            words = ("PORT", "CONTROL") if self._want_control else ("PORT",)
            announced = self._announcements(words)
            self.port = announced["PORT"]
            self.control = announced.get("CONTROL")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _announcements(self, words: tuple[str, ...]) -> dict[str, str]:
        """Read ``WORD value`` lines (raw, with a deadline) until every word was seen."""
        process = self._process
        assert process is not None and process.stdout is not None
        fd = process.stdout.fileno()
        found: dict[str, str] = {}
        pending = b""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(found) < len(words):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise EmulatorStartError(f"no {' and '.join(words)} announced within "
                                             f"{STARTUP_TIMEOUT_S:.0f} s: "
                                             f"{self.stderr_text()[-500:]}")
                chunk = os.read(fd, 4096)
                if not chunk:
                    process.wait(timeout=10)
                    raise EmulatorStartError(f"exited ({process.returncode}) before announcing "
                                             f"its port: {self.stderr_text()[-500:]}")
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    word, _, value = line.decode(errors="replace").strip().partition(" ")
                    if word in words:
                        found.setdefault(word, value)
        return found

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
