"""``mfconsole devices add|key|list``: the clinic's devices, their patients and pairing keys.

Before a real implant can be connected, the record must know whose it is and hold its
pairing key: ``add`` links the serial to a patient, ``key`` stores the key (encrypted with
the installation key, never printed, never in the audit trail), ``list`` shows what the
record holds. The device commands then take the key from the record by the serial the
device announces.
"""

from __future__ import annotations

import argparse
from datetime import date

from console.accounts import Action
from console.accounts.roles import PERMISSIONS
from console.cli.errors import CliError
from console.cli.records_commands import acting, print_json, print_table, record_options
from console.device.key_file import KEY_HEX_CHARACTERS, KeyFileError, read_key_file
from console.storage import Device, NotFound
from console.storage.pairing_keys import StoredKey
from console.storage.patients import DeviceAddition
from device_link.keystore import PairingKey

_UNKNOWN = "—"

_ADD_HELP = """\
Link a device (by the serial it announces) to a patient of the record, before it is
first connected. A device belongs to one patient for good: a serial that is already
another patient's is refused, never moved. Adding a device again to its own patient
records only what is new (an implant date or model it did not have yet) and otherwise
changes nothing; either way the command succeeds and says which. A device the console
met over the link without a patient is linked to this one.
Roles: {roles}."""

_KEY_HELP = """\
Store a device's pairing key in the clinical record, encrypted with this installation's
key, replacing any key stored before. The key file must be a regular file that only its
owner can read (mode 0600) holding exactly {hex} hexadecimal characters, optionally
followed by one newline; anything else is refused and nothing is stored. The key is
never printed, listed or written to the audit trail (which records who stored a key for
which device, and when). Add the device first with 'mfconsole devices add'.
Roles: {roles}."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "devices", help="the clinic's devices, their patients and pairing keys",
        description="The clinic's devices: add one to a patient, store its pairing key, "
                    "list them. The device commands ('mfconsole device --port P ...') "
                    "then take the key from the record.")
    actions = parser.add_subparsers(dest="devices_action", metavar="ACTION", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    add = actions.add_parser(
        "add", parents=[record_options(json_output=True)], formatter_class=raw,
        help="link a device to its patient",
        description=_ADD_HELP.format(roles=roles_that_may(Action.MANAGE_PATIENTS)))
    add.add_argument("serial", metavar="SERIAL", help="the serial the device announces")
    add.add_argument("--patient", required=True, metavar="CLINIC_ID",
                     help="the patient's clinic ID (see 'mfconsole patients list')")
    add.add_argument("--implanted", metavar="YYYY-MM-DD", help="implant date")
    add.add_argument("--model", metavar="M",
                     help="model (otherwise recorded when the device is first connected)")
    add.set_defaults(handler=_add)
    key = actions.add_parser(
        "key", parents=[record_options()], formatter_class=raw,
        help=f"store a device's pairing key ({roles_that_may(Action.MANAGE_PAIRING_KEYS)})",
        description=_KEY_HELP.format(hex=KEY_HEX_CHARACTERS,
                                     roles=roles_that_may(Action.MANAGE_PAIRING_KEYS)))
    key.add_argument("serial", metavar="SERIAL")
    key.add_argument("--key-file", required=True, metavar="F",
                     help=f"file of {KEY_HEX_CHARACTERS} hexadecimal characters, mode 0600")
    key.set_defaults(handler=_key)
    listing = actions.add_parser(
        "list", parents=[record_options(json_output=True)],
        help="every device: model, patient, implant date, whether its key is stored")
    listing.set_defaults(handler=_list)


def roles_that_may(action: Action) -> str:
    """"clinician, theatre or admin": the roles that may ``action``, for help and messages."""
    roles = [role.value for role in PERMISSIONS[action]]
    roles.sort()
    return roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} or {roles[-1]}"


def add_device_advice(serial: str) -> str:
    """How a device gets into the record, as a clause of a message."""
    return (f"add it with 'mfconsole devices add {serial} --patient CLINIC_ID' "
            f"({roles_that_may(Action.MANAGE_PATIENTS)})")


def store_key_advice(serial: str) -> str:
    """How a device's pairing key gets into the record, as a clause of a message."""
    return (f"store its key with 'mfconsole devices key {serial} --key-file F' "
            f"({roles_that_may(Action.MANAGE_PAIRING_KEYS)})")


def _read_key_file(path: str) -> PairingKey:
    """The pairing key in ``path``, or a refusal naming the file and what is wrong with it."""
    try:
        return read_key_file(path)
    except KeyFileError as exc:
        raise CliError(f"{exc}; nothing was stored") from None


def _implant_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"implant date {text!r} is not a date like 2024-05-31") from None


def _add(args: argparse.Namespace) -> int:
    implanted = _implant_date(args.implanted)
    with acting(args) as (record, actor):
        addition = record.add_device(actor, args.serial, args.patient,
                                     implant_date=implanted, model=args.model)
    if args.json:
        print_json({**_device_fields(addition.device), "outcome": _outcome(addition),
                    "changes": addition.changes})
    else:
        print(_added_text(addition))
    return 0


def _outcome(addition: DeviceAddition) -> str:
    if addition.created:
        return "added"
    return "updated" if addition.changes else "unchanged"


def _added_text(addition: DeviceAddition) -> str:
    device = addition.device
    patient = device.patient_clinic_id
    if addition.created:
        details = [f"model {device.model}"] if device.model else []
        details += [f"implanted {device.implant_date}"] if device.implant_date else []
        return (f"added device {device.serial} to patient {patient}"
                + (f" ({', '.join(details)})" if details else ""))
    if not addition.changes:
        return f"device {device.serial} is patient {patient}'s already: nothing changed"
    names = {"patient": "patient", "implant_date": "implant date", "model": "model"}
    recorded = ", ".join(f"{names.get(field, field)} {new}"
                         for field, (_old, new) in addition.changes.items())
    return f"device {device.serial}: recorded {recorded}"


def _key(args: argparse.Namespace) -> int:
    key = _read_key_file(args.key_file)  # before any sign-in: a bad file asks for nothing
    with acting(args) as (record, actor):
        try:
            replaced = record.store_pairing_key(actor, args.serial, key)
        except NotFound:
            raise CliError(f"device {args.serial} is not in the clinical record, so its key "
                           f"cannot be stored: {add_device_advice(args.serial)} first, then "
                           f"run this again") from None
    verb = "replaced" if replaced else "stored"
    print(f"{verb} the pairing key of device {args.serial}, encrypted in the clinical record")
    return 0


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        devices = record.list_devices(actor)
        keys = record.stored_keys(actor)
    if args.json:
        print_json([_listed(device, keys.get(device.serial)) for device in devices])
        return 0
    print_table(("serial", "model", "patient", "implanted", "pairing key"),
                [(d.serial, d.model or _UNKNOWN, d.patient_clinic_id or _UNKNOWN,
                  d.implant_date or _UNKNOWN, _key_text(keys.get(d.serial)))
                 for d in devices])
    return 0


def _key_text(stored: StoredKey | None) -> str:
    if stored is None:
        return "not stored"
    return f"stored {stored.stored_at:%Y-%m-%d %H:%M} UTC by {stored.stored_by}"


def _device_fields(device: Device) -> dict:
    """A device for scripts: what is not known yet is null."""
    return {"serial": device.serial, "model": device.model or None,
            "firmware": device.firmware or None, "patient": device.patient_clinic_id,
            "implant_date": device.implant_date}


def _listed(device: Device, stored: StoredKey | None) -> dict:
    """A device and whether its key is stored, when and by whom: never the key."""
    return {**_device_fields(device), "key_stored": stored is not None,
            "key_stored_at": stored.stored_at if stored else None,
            "key_stored_by": stored.stored_by if stored else None}
