"""``mfconsole emulator``: serve an emulated stimulator on a pseudo-terminal or TCP port.

Prints ``PORT <path-or-url>`` first (and ``CONTROL <host:port>`` when a control
channel was asked for), then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys

from console.cli.errors import CliError
from device_link.emulator import SCENARIOS, EmulatorConfig, EmulatorServer, load_demo_key
from device_link.keystore import KeyFileStore, KeyStoreError

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emulator", help="run the MFL/1 device emulator",
        description="Serve an emulated stimulator. Prints 'PORT <path-or-url>' first, then "
                    "'CONTROL <host:port>' if --control was given; stops on SIGINT/SIGTERM.")
    parser.add_argument("--serial", default="EMU-000001", help="device serial number")
    parser.add_argument("--key-file", help="pairing key, 64 hex characters "
                                           "(default: the packaged demo key)")
    parser.add_argument("--socket", metavar="HOST:PORT",
                        help="serve on TCP instead of a pseudo-terminal (port 0: any)")
    parser.add_argument("--pace-baud", type=int, metavar="N",
                        help="pace both directions at N baud (10 bits per byte), as a "
                             "serial line at that rate would")
    parser.add_argument("--scenario", default="good", choices=sorted(SCENARIOS))
    parser.add_argument("--control", metavar="HOST:PORT",
                        help="JSON control channel on localhost (port 0: any)")
    parser.add_argument("--control-unix", metavar="PATH",
                        help="JSON control channel on a Unix socket")
    parser.add_argument("--log-entries", type=int, default=1000, metavar="N",
                        help="usage-log history entries present at start")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the tissue, history and link-fault randomness")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="run therapy sessions X times faster than real time")
    parser.add_argument("--measure-ms", type=float, default=30.0, metavar="MS",
                        help="time the device takes per impedance reading (default 30)")
    parser.add_argument("--battery", type=float, metavar="PERCENT",
                        help="battery charge at start (default: the scenario's)")
    parser.add_argument("--open", action="append", default=[], metavar="LEAD:ELECTRODE",
                        help="start with this contact's conductor fractured (repeatable)")
    parser.add_argument("--short", action="append", default=[], metavar="LEAD:A:B",
                        help="start with electrodes A and B of LEAD shorted (repeatable)")
    parser.set_defaults(handler=run)


def _numbers(text: str, count: int, option: str) -> tuple[int, ...]:
    """``"1:2"`` → ``(1, 2)``; electrode numbers themselves are checked by the model."""
    parts = text.split(":")
    if len(parts) != count or not all(p.isdigit() for p in parts):
        raise CliError(f"{option} expects {count} numbers separated by ':', got {text!r}", 2)
    return tuple(int(p) for p in parts)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    try:
        key = KeyFileStore(args.key_file).key_for(args.serial) if args.key_file \
            else load_demo_key()
    except KeyStoreError as exc:
        raise CliError(str(exc), 2) from None
    opens = tuple(_numbers(text, 2, "--open") for text in args.open)
    shorts = tuple(_numbers(text, 3, "--short") for text in args.short)
    try:
        return EmulatorConfig(
            key=key, serial=args.serial, scenario=args.scenario, seed=args.seed,
            log_entries=args.log_entries, time_scale=args.time_scale,
            measure_ms=args.measure_ms,
            battery_percent=args.battery, open_contacts=opens, shorts=shorts,
            socket=args.socket, pace_baud=args.pace_baud,
            control=args.control, control_unix=args.control_unix)
    except ValueError as exc:
        raise CliError(str(exc), 2) from None


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    # Block the stop signals before any thread starts, so they all inherit the mask and
    # the signal is taken here by sigwait, never in the middle of a device thread.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        try:
            server = EmulatorServer(config)
            port = server.start()
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot start the emulator: {exc}") from None
        try:
            print(f"PORT {port}", flush=True)
            control = server.control_address or (
                f"unix:{args.control_unix}" if args.control_unix else None)
            if control:
                print(f"CONTROL {control}", flush=True)
            signal.sigwait(_STOP_SIGNALS)
        finally:
            server.stop()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    sys.stdout.flush()
    return 0
