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
STOP_TIMEOUT_S = 10.0


class EmulatorStartError(RuntimeError):
    """The child process did not announce its port (its stderr is in the message)."""


class PortServerProcess:
    """A child process that serves a port and announces it; ``port`` once started."""

    def __init__(self, command: Sequence[str], control: bool = False,
                 startup_timeout: float = STARTUP_TIMEOUT_S) -> None:
        self.command = list(command)
        self.port = ""
        self.control_address: str | None = None
        self.startup_timeout = startup_timeout
        self._want_control = control
        self._process: subprocess.Popen[bytes] | None = None
        # stderr goes to a file: a pipe nobody drains could stall a chatty emulator.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the process

    def start(self) -> PortServerProcess:
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                         stderr=self._stderr)
        try:
            words = ("PORT", "CONTROL") if self._want_control else ("PORT",)
            announced = self._announcements(words)
            self.port = announced["PORT"]
            self.control_address = announced.get("CONTROL")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None, "the process was never started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def _announcements(self, words: tuple[str, ...]) -> dict[str, str]:
        """Read ``WORD value`` lines (raw, with a deadline) until every word was seen."""
        process = self._process
        assert process is not None and process.stdout is not None
        fd = process.stdout.fileno()
        found: dict[str, str] = {}
        pending = b""
        deadline = time.monotonic() + self.startup_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(found) < len(words):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise EmulatorStartError(f"no {' and '.join(words)} announced within "
                                             f"{self.startup_timeout:.0f} s: "
                                             f"{self.stderr_text()[-800:]}")
                chunk = os.read(fd, 4096)
                if not chunk:
                    process.wait(timeout=STOP_TIMEOUT_S)
                    raise EmulatorStartError(f"exited ({process.returncode}) before announcing "
                                             f"its port: {self.stderr_text()[-800:]}")
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    word, _, value = line.decode(errors="replace").strip().partition(" ")
                    if word in words:
                        if not found and word != words[0]:
                            raise EmulatorStartError(f"first line was {line!r}, not {words[0]}")
                        found.setdefault(word, value)
        return found

    def send_signal(self, signum: int, timeout: float = STOP_TIMEOUT_S) -> int:
        """Signal the process and wait for it to end; returns its exit status."""
        process = self._process
        assert process is not None, "the process was never started"
        if process.poll() is None:
            process.send_signal(signum)
        return process.wait(timeout=timeout)

    def kill(self) -> int:
        """SIGKILL: the device vanishes mid-conversation."""
        return self.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        """End the process whatever state it is in, and release everything."""
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT_S)
            if process.stdout is not None:
                process.stdout.close()
        self._stderr.close()

    def stderr_text(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()

    def __enter__(self) -> PortServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class EmulatorProcess(PortServerProcess):
    """``mfconsole emulator ARGS`` in a child process, with its control channel."""

    def __init__(self, *args: str, key_file: str | os.PathLike[str] | None = None,
                 control: bool = True, startup_timeout: float = STARTUP_TIMEOUT_S) -> None:
        command = [sys.executable, "-m", "console.cli.main", "emulator", *args]
        if key_file is not None:
            command += ["--key-file", os.fspath(key_file)]
        if control:
            command += ["--control", "127.0.0.1:0"]
        super().__init__(command, control, startup_timeout)
