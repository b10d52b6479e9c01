"""A raw byte echo on a pseudo-terminal: the baseline a request round trip is compared with.

Run as ``python -m console.bench.echo_server``; prints ``PORT <path>`` and echoes every
byte until SIGTERM, doing no work per byte, so it shows the cost of the pty alone.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import tty


def serve() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    print(f"PORT {os.ttyname(slave)}", flush=True)
    stop_r, stop_w = os.pipe()
    signal.signal(signal.SIGTERM, lambda *_: os.write(stop_w, b"x"))
    signal.signal(signal.SIGINT, lambda *_: os.write(stop_w, b"x"))
    while True:
        ready, _, _ = select.select([master, stop_r], [], [])
        if stop_r in ready:
            return
        os.write(master, os.read(master, 4096))


if __name__ == "__main__":
    serve()
    sys.exit(0)
