"""``mfconsole device …``: talk to a stimulator (or emulator) over MFL/1."""

from __future__ import annotations

import argparse

from device_link.client import DeviceClient
from device_link.protocol import DeviceState, ImpedanceMode

from ..device_facts import (
    identity_dict,
    impedance_dict,
    log_entry_dict,
    status_dict,
)
from .device_access import add_port_options, open_device
from .device_program import register_program
from .device_test_stim import register_test_stim
from .output import print_json, print_pairs, print_table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("device", help="interrogate, measure, program and stimulate",
                                   description="Talk to a device over MFL/1.")
    add_port_options(parser)
    parser.add_argument("--json", action="store_true", help="print data as JSON")
    commands = parser.add_subparsers(dest="device_command", metavar="COMMAND", required=True)

    commands.add_parser("interrogate", help="identity, status and limits").set_defaults(
        handler=interrogate)
    impedance = commands.add_parser("impedance", help="measure every electrode")
    impedance.add_argument("--mode", choices=("monopolar", "bipolar"), default="monopolar")
    impedance.set_defaults(handler=measure_impedance)
    commands.add_parser("stop", help="stop all stimulation now (needs no key)").set_defaults(
        handler=stop)
    log = commands.add_parser("log", help="download the device's event log")
    log.add_argument("--from", dest="first", type=int, default=0, metavar="INDEX")
    log.set_defaults(handler=download_log)
    commands.add_parser("set-clock", help="set the device clock to this computer's UTC time"
                        ).set_defaults(handler=set_clock)
    register_program(commands)
    register_test_stim(commands)


def interrogate(args: argparse.Namespace) -> int:
    with open_device(args.port, args.key_file, args.baud) as client:
        data = interrogation(client)
    if args.json:
        print_json(data)
    else:
        print_pairs("Identity", data["identity"].items())
        print_pairs("Status", data["status"].items())
        print_pairs("Limits", data["limits"].items())
    return 0


def interrogation(client: DeviceClient) -> dict:
    assert client.identity is not None and client.limits is not None
    return {"identity": identity_dict(client.identity),
            "status": status_dict(client.get_status()),
            "limits": client.limits.as_dict()}


def measure_impedance(args: argparse.Namespace) -> int:
    mode = ImpedanceMode.BIPOLAR if args.mode == "bipolar" else ImpedanceMode.MONOPOLAR
    with open_device(args.port, args.key_file, args.baud) as client:
        result = client.measure_impedance(0b11, mode)
    rows = [impedance_dict(record) for record in result.records]
    if args.json:
        print_json(rows)
    else:
        print_table(("lead", "a", "b", "ohms"),
                    ((r["lead"], r["a"], "case" if r["b"] is None else r["b"],
                      "open" if r["ohms"] is None else r["ohms"]) for r in rows))
    return 0


def stop(args: argparse.Namespace) -> int:
    with open_device(args.port, args.key_file, args.baud, authenticate=False) as client:
        previous = client.stop()
    state = DeviceState(previous).name if previous in DeviceState._value2member_map_ else previous
    if args.json:
        print_json({"stopped": True, "previous_state": state})
    else:
        print(f"stopped (device was {state})")
    return 0


def download_log(args: argparse.Namespace) -> int:
    with open_device(args.port, args.key_file, args.baud) as client:
        entries = [log_entry_dict(entry) for entry, _total in client.iter_log(args.first)]
    if args.json:
        print_json(entries)
    else:
        print_table(("index", "time", "event", "a", "b", "c"),
                    ((e["index"], e["time"], e["event"], e["a"], e["b"], e["c"])
                     for e in entries))
    return 0


def set_clock(args: argparse.Namespace) -> int:
    with open_device(args.port, args.key_file, args.baud) as client:
        now = client.set_time()
    if args.json:
        print_json({"device_time": now})
    else:
        print(f"device clock set to {now} (Unix seconds, UTC)")
    return 0
