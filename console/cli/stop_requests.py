"""Every way a stimulating command can be asked to end turns into one STOP request.

``mfconsole device test-stim`` and ``mfconsole placement`` stimulate. Ctrl-C, SIGTERM,
SIGQUIT, the terminal hanging up (SIGHUP) and the reader of their output going away
(``| head -1``) must each send STOP before the command ends. A signal handler only
writes a byte to a pipe: a thread kept for that sends STOP at once (as
``console.stimulation.stopping`` describes), so a signal landing while the main thread holds a lock
can never delay it (nor deadlock on it). The same thread notices a closed output pipe
before anything is written to it. The commands' own try/finally sends STOP for every
other way out (an error, an unexpected exception).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType


@dataclass(frozen=True, slots=True)
class StopRequest:
    """Why the command was asked to stop, as a phrase after "stopped", and its exit status."""

    why: str
    exit_status: int


SIGNAL_REQUESTS = {
    signal.SIGINT: StopRequest("by the operator (SIGINT)", 130),
    signal.SIGTERM: StopRequest("by the operator (SIGTERM)", 143),
    signal.SIGQUIT: StopRequest("by the operator (SIGQUIT)", 131),
    signal.SIGHUP: StopRequest("because the terminal hung up (SIGHUP)", 129),
}
OUTPUT_CLOSED = StopRequest("because the output was closed (broken pipe)", 141)


class StopRequests:
    """While entered: the signals above and a closed output ask ``send_stop`` to run once.

    ``send_stop`` runs on this object's own thread; ``done`` is set once it has returned.
    """

    def __init__(self, send_stop: Callable[[StopRequest], None]) -> None:
        self._send_stop = send_stop
        self.request: StopRequest | None = None
        self.done = threading.Event()
        self._served = threading.Event()  # a request was taken, or this is closing
        self._closing = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)  # a signal handler must never block
        self._previous: dict[int, object] = {}
        self._thread = threading.Thread(target=self._serve, daemon=True, name="stop-requests")

    def __enter__(self) -> StopRequests:
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in SIGNAL_REQUESTS}
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._closing = True
        self._wake()
        self._thread.join()
        os.close(self._wake_read)
        os.close(self._wake_write)

    @property
    def asked(self) -> bool:
        return self.request is not None

    def ask(self, request: StopRequest) -> None:
        """From any thread or a signal handler: STOP now (the first request wins)."""
        if self.request is None:
            self.request = request
        if not self._closing:  # once closed, the pipe's descriptors may belong to others
            self._wake()

    def wait(self, seconds: float) -> bool:
        """Let ``seconds`` pass; False as soon as STOP is asked for."""
        return not self._served.wait(seconds)

    def say(self, text: str) -> None:
        """Print a line; when the output is gone, ask for STOP and write nothing more."""
        try:
            print(text, flush=True)
        except OSError:  # a broken pipe, or EIO from a terminal that hung up
            silence_stdout()
            self.ask(OUTPUT_CLOSED)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the thread is awake already
            os.write(self._wake_write, b"x")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.ask(SIGNAL_REQUESTS[signal.Signals(signum)])

    def _serve(self) -> None:
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        output = _output_pipe()
        if output is not None:
            poller.register(output, 0)  # errors and hang-ups are reported whatever the mask
        while self.request is None and not self._closing:
            for fd, events in poller.poll():
                if fd == self._wake_read:
                    os.read(self._wake_read, 512)
                elif events & (select.POLLERR | select.POLLHUP):
                    self.request = self.request or OUTPUT_CLOSED
                else:
                    poller.unregister(fd)
        self._served.set()
        if self.request is not None:
            self._send_stop(self.request)
        self.done.set()


def _output_pipe() -> int | None:
    """The descriptor of standard output when it is a pipe (whose reader may go away)."""
    try:
        fd = sys.stdout.fileno()
        return fd if stat.S_ISFIFO(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, ValueError):  # replaced by an object without a descriptor
        return None


def silence_stdout() -> None:
    """Point standard output at /dev/null: nothing written later can fail again."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
