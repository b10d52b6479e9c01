"""``mfconsole device …``: talk to a stimulator (or emulator) over MFL/1."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from console.accounts import Action
from console.cli.device_access import (
    add_port_options,
    add_record_options,
    database_configured,
    key_store_for,
    open_device,
    recording,
)
from console.cli.device_program import register_program
from console.cli.device_test_stim import register_test_stim
from console.cli.device_therapy import register_therapy
from console.cli.device_usage import register_usage
from console.cli.output import print_json, print_pairs, print_table
from console.device.facts import (
    identity_dict,
    impedance_dict,
    log_entry_dict,
    status_dict,
)
from console.device.record_keeper import RecordKeeper
from console.device.warnings import device_warnings
from console.leads.naming import contact_name, lead_name, pair_name
from console.stimulation.stopping import record_stop, send_stop
from console.storage import ClinicalRecord, database_url
from device_link.client import DeviceClient
from device_link.protocol import ImpedanceMode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("device", help="interrogate, measure, program and stimulate",
                                   description="Talk to a device over MFL/1.")
    add_port_options(parser)
    add_record_options(parser)
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
    register_usage(commands)
    register_therapy(commands)


def interrogate(args: argparse.Namespace) -> int:
    with recording(args, Action.VIEW_RECORD) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file),
            keeper=keeper) as client:
        data = interrogation(client)
    if args.json:
        print_json(data)
    else:
        print_pairs("Identity", data["identity"].items())
        print_pairs("Status", data["status"].items())
        print_pairs("Limits", data["limits"].items())
        if data["warnings"]:
            print("Warnings")
            for warning in data["warnings"]:
                print(f"  {warning['line']}")
    return 0


def interrogation(client: DeviceClient) -> dict:
    assert client.identity is not None and client.limits is not None
    status = client.get_status()
    return {"identity": identity_dict(client.identity),
            "status": status_dict(status),
            "limits": client.limits.as_dict(),
            "warnings": [{"priority": warning.priority.word, "text": warning.text,
                          "action": warning.action.value if warning.action else None,
                          "line": warning.line()}
                         for warning in device_warnings(status.fault_flags)]}


def measure_impedance(args: argparse.Namespace) -> int:
    mode = ImpedanceMode.BIPOLAR if args.mode == "bipolar" else ImpedanceMode.MONOPOLAR
    with recording(args, Action.MEASURE_IMPEDANCE) as keeper:
        with open_device(args.port, args.key_file, args.baud,
                         key_store=key_store_for(keeper, args.key_file),
                         keeper=keeper) as client:
            serial = _known_serial(keeper, client)
            result = client.measure_impedance(0b11, mode)
        rows = [impedance_dict(record) for record in result.records]
        if args.json:
            print_json(rows)
        else:
            print_table(("lead", "contacts", "ohms"),
                        ((lead_name(r.lead), _measured_between(r.electrode_a, r.electrode_b),
                          "open" if r.ohms is None else r.ohms) for r in result.records))
        if keeper is not None:
            stored = keeper.record_impedance(serial, result.records)
            _note(args, f"recorded {stored} measurements of device {serial}")
    return 0


def _measured_between(electrode_a: int, electrode_b: int | None) -> str:
    """"E2 – case" (monopolar) or "E1–E2" (bipolar), as the window's table says them."""
    if electrode_b is None:
        return f"{contact_name(electrode_a)} – case"
    return pair_name(electrode_a, electrode_b)


def _known_serial(keeper: RecordKeeper | None, client: DeviceClient) -> str:
    """The connected device's serial, registered in the record first when recording."""
    assert client.identity is not None
    if keeper is not None:
        keeper.known_device(client.identity)
    return client.identity.serial


def _note(args: argparse.Namespace, text: str) -> None:
    """What was recorded: on stdout for people, on stderr when stdout carries JSON."""
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def stop(args: argparse.Namespace) -> int:
    """STOP first; only then, with a database configured, record it (no login, never refused)."""
    with open_device(args.port, args.key_file, args.baud, authenticate=False) as client:
        outcome = send_stop(client)
        if outcome.error is not None:
            raise outcome.error
        serial = client.identity.serial if client.identity is not None else None
    state = outcome.device_was()
    if args.json:
        print_json({"stopped": True, "previous_state": state})
    else:
        print(f"stopped (device was {state})", flush=True)
    if database_configured(args):
        problem = record_stop(_RecordAfterStop(args.db), serial,
                              f"STOP from the command line; the device was {state}")
        if problem is not None:
            print(f"mfconsole: the stop was not recorded: {problem}", file=sys.stderr)
    return 0


@dataclass(frozen=True, slots=True)
class _RecordAfterStop:
    """The clinical record, opened only to note the stop: after STOP has gone out."""

    db: str | None

    def record_stop(self, serial: str | None, reason: str) -> None:
        record = ClinicalRecord.open(database_url(self.db))
        try:
            record.record_stop(None, serial, reason=reason)
        finally:
            record.close()


def download_log(args: argparse.Namespace) -> int:
    with recording(args, Action.DOWNLOAD_DEVICE_LOG) as keeper:
        with open_device(args.port, args.key_file, args.baud,
                         key_store=key_store_for(keeper, args.key_file),
                         keeper=keeper) as client:
            serial = _known_serial(keeper, client)
            downloaded = [entry for entry, _total in client.iter_log(args.first)]
        entries = [log_entry_dict(entry) for entry in downloaded]
        if args.json:
            print_json(entries)
        else:
            print_table(("index", "time", "event", "a", "b", "c"),
                        ((e["index"], e["time"], e["event"], e["a"], e["b"], e["c"])
                         for e in entries))
        if keeper is not None:
            new = keeper.record_log(serial, downloaded)
            _note(args, f"recorded {new} new log entries of device {serial} "
                        f"({len(downloaded) - new} already in the record)")
    return 0


def set_clock(args: argparse.Namespace) -> int:
    with recording(args, Action.VIEW_RECORD) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file),
            keeper=keeper) as client:
        now = client.set_time()
    if args.json:
        print_json({"device_time": now})
    else:
        print(f"device clock set to {now} (Unix seconds, UTC)")
    return 0
