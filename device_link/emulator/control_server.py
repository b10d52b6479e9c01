"""The control channel's server side: JSON lines over localhost TCP and/or a Unix socket.

One request per line, ``{"cmd": NAME, ...arguments}``; one answer per line,
``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": "..."}``. It is for
engineers and tests: the console's device path never uses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socketserver
import threading
from collections.abc import Sequence
from typing import Any


def parse_host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def handle_line(target: object, commands: Sequence[str], line: bytes) -> dict[str, Any]:
    """Run one JSON request against the method of ``target`` it names."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
        command = request.pop("cmd", None)
        if command not in commands:
            raise ValueError(f"unknown command {command!r}; commands: {', '.join(commands)}")
        return {"ok": True, "result": getattr(target, command)(**request)}
    except Exception as exc:  # a bad request must never take the channel down
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _handler_class(target: object, commands: Sequence[str]
                   ) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                if not line.strip():
                    continue
                answer = handle_line(target, commands, line)
                self.wfile.write(json.dumps(answer).encode() + b"\n")
                self.wfile.flush()

    return Handler


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class ControlServer:
    def __init__(self, target: object, commands: Sequence[str], tcp: str | None,
                 unix_path: str | None) -> None:
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []
        self._unix_path = unix_path
        self.tcp_address: str | None = None
        handler = _handler_class(target, commands)
        try:
            if tcp:
                host, port = parse_host_port(tcp)
                if host not in ("127.0.0.1", "localhost"):
                    raise ValueError(f"the control channel listens on localhost only, not {host}")
                tcp_server = _TcpServer((host, port), handler)
                bound_host, bound_port = tcp_server.server_address[:2]
                self.tcp_address = f"{bound_host}:{bound_port}"
                self._serve(tcp_server)
            if unix_path:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(unix_path)
                self._serve(_UnixServer(unix_path, handler))
        except BaseException:
            self.close()
            raise

    def _serve(self, server: socketserver.BaseServer) -> None:
        self._servers.append(server)
        thread = threading.Thread(target=server.serve_forever, daemon=True,
                                  name="emulator-control")
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        if self._unix_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._unix_path)
