"""``mfconsole history list|show|diff``: program versions, oldest first; ``history titration``:
the amplitudes marked on a device's pairs during test stimulation."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.records_commands import acting, print_json, print_table, record_options
from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import PROGRAM_FIELDS
from console.storage import ProgramVersion
from console.titration.marks import TitrationMark


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="program versions and titration marks of the "
                                   "clinical record")
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="versions, optionally of one patient or device")
    listing.add_argument("--patient", metavar="CLINIC_ID")
    listing.add_argument("--device", metavar="SERIAL")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", parents=[record_options(json_output=True)],
                              help="one version: every parameter and every status step")
    show.add_argument("version", type=int, metavar="VERSION")
    show.set_defaults(handler=_show)
    diff = actions.add_parser("diff", parents=[record_options(json_output=True)],
                              help="what changed between two versions, field by field")
    diff.add_argument("old", type=int, metavar="V1")
    diff.add_argument("new", type=int, metavar="V2")
    diff.set_defaults(handler=_diff)
    titration = actions.add_parser("titration", parents=[record_options(json_output=True)],
                                   help="titration marks of one device, oldest first")
    titration.add_argument("serial", metavar="SERIAL")
    titration.set_defaults(handler=_titration)


def _summary(version: ProgramVersion) -> dict[str, Any]:
    return {"version": version.id, "device": version.device_serial, "slot": version.slot,
            "slot_sequence": version.slot_sequence, "status": version.status.value,
            "revision": version.revision, "created_at": version.created_at,
            "author": version.author, "reason": version.reason, "parent": version.parent_id}


def _details(version: ProgramVersion) -> dict[str, Any]:
    return {**_summary(version), "visit": version.visit_id,
            "record": version.record.encode(), "record_crc": version.record_crc,
            "device_crc": version.device_crc,
            "parameters": version.program.as_fields(),
            "confirmations": [c.as_dict() for c in version.confirmations],
            "history": [{"revision": s.revision, "status": s.status.value, "at": s.at,
                         "actor": s.actor, "device_crc": s.device_crc, "detail": s.detail}
                        for s in version.history]}


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        versions = record.list_versions(actor, patient_clinic_id=args.patient,
                                        device_serial=args.device)
    if args.json:
        print_json([_summary(v) for v in versions])
    else:
        print_table(("version", "device", "slot", "status", "created (UTC)", "author",
                     "reason"),
                    [(v.id, v.device_serial, v.slot, v.status.value,
                      f"{v.created_at:%Y-%m-%d %H:%M}", v.author, v.reason) for v in versions])
    return 0


def _crc(value: int | None) -> str:
    return "-" if value is None else f"{value:#06x}"


def _show(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        version = record.version(actor, args.version)
    if args.json:
        print_json(_details(version))
        return 0
    print(f"version {version.id}: device {version.device_serial}, slot {version.slot} "
          f"(#{version.slot_sequence}), {version.status.value}")
    print(f"created {version.created_at:%Y-%m-%d %H:%M:%S} UTC by {version.author}: "
          f"{version.reason}")
    if version.parent_id is not None:
        print(f"derived from version {version.parent_id}")
    print(f"record CRC {_crc(version.record_crc)}, device reported {_crc(version.device_crc)}")
    for confirmation in version.confirmations:
        print(f"confirmed finding {confirmation.finding}: {confirmation.message} "
              f"(reason: {confirmation.reason})")
    fields = version.program.as_fields()
    print_table(("parameter", "value"),
                [(info.label, info.format(fields[name])) for name, info in
                 PROGRAM_FIELDS.items()])
    print_table(("step", "status", "at (UTC)", "by", "device CRC", "detail"),
                [(s.revision, s.status.value, f"{s.at:%Y-%m-%d %H:%M:%S}", s.actor,
                  _crc(s.device_crc), s.detail) for s in version.history])
    return 0


def _diff(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        old, new, changes = record.diff_versions(actor, args.old, args.new)
    if args.json:
        print_json({"old": _summary(old), "new": _summary(new),
                    "changes": [{"field": c.field, "label": c.label, "unit": c.unit,
                                 "old": c.old, "new": c.new} for c in changes]})
        return 0
    print(f"version {old.id} ({old.device_serial} slot {old.slot}) -> version {new.id} "
          f"({new.device_serial} slot {new.slot})")
    if not changes:
        print("no parameter differs")
    else:
        print_table(("parameter", f"v{old.id}", f"v{new.id}"),
                    [(c.label, c.old_text, c.new_text) for c in changes])
    return 0


def _mark(mark: TitrationMark) -> dict[str, Any]:
    return {"marked_at": mark.marked_at, "visit": mark.visit_id, "operator": mark.operator,
            "kind": mark.kind.value, "lead": mark.lead, "anode": mark.anode,
            "cathode": mark.cathode, "amplitude_ma": mark.amplitude_ma,
            "pulse_width_us": mark.pulse_width_us, "frequency_hz": mark.frequency_hz,
            "note": mark.note}


def _titration(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        marks = record.titration_marks(actor, args.serial)
    if args.json:
        print_json([_mark(m) for m in marks])
        return 0
    if not marks:
        print(f"no titration marks for device {args.serial}")
        return 0
    print_table(("marked (UTC)", "visit", "by", "kind", "pair", "amplitude", "pulse",
                 "frequency", "note"),
                [(f"{m.marked_at:%Y-%m-%d %H:%M:%S}", m.visit_id, m.operator, m.kind.value,
                  on_lead(m.lead, polarised_pair_name(m.anode, m.cathode)),
                  f"{m.amplitude_ma} mA", f"{m.pulse_width_us} µs", f"{m.frequency_hz} Hz",
                  m.note) for m in marks])
    return 0
