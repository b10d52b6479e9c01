"""``mfconsole events add|list|amend|withdraw|categories``: a patient's adverse events.

Codes are checked by the record, whose refusal names the field, the value and every
choice (so argparse ``choices=`` is not used). A resolution or a Yellow Card reference
learnt later is an amendment that gives the event whole again, with its reason.
"""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.entry_values import date_value, optional_date, refused_as
from console.cli.records_commands import acting, print_json, print_table, record_options
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.entries import AdverseEvent
from console.outcomes.event_words import CATEGORY_WORDS
from console.outcomes.refusal import coded

WHAT = "adverse event"


def _codes(codes: type[Any]) -> str:
    return ", ".join(code.value for code in codes)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "events", help="a patient's adverse events, coded for the audit and the registry",
        description="Adverse events, coded by category, seriousness, relatedness and action. "
                    "Corrections are new entries that amend the one before; nothing is ever "
                    "changed in place.")
    actions = parser.add_subparsers(dest="events_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[record_options(json_output=True)],
                             help="record an adverse event (clinician, theatre or admin)")
    add.add_argument("clinic_id", metavar="CLINIC_ID")
    _event_options(add)
    add.add_argument("--device", metavar="SERIAL", help="the patient's device it concerns")
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="a patient's adverse events by onset")
    listing.add_argument("clinic_id", metavar="CLINIC_ID")
    listing.add_argument("--with-corrections", action="store_true",
                         help="every entry, amended and withdrawn ones too, as recorded")
    listing.set_defaults(handler=_list)

    amend = actions.add_parser("amend", parents=[record_options(json_output=True)],
                               help="correct or complete an event: give it whole again, "
                                    "with why")
    amend.add_argument("event", metavar="EVENT_ID", type=int)
    amend.add_argument("--reason", required=True, metavar="TEXT", help="why it is amended")
    _event_options(amend)
    amend.set_defaults(handler=_amend)

    withdraw = actions.add_parser("withdraw", parents=[record_options(json_output=True)],
                                  help="withdraw an event recorded in error (it is kept, "
                                       "uncounted)")
    withdraw.add_argument("event", metavar="EVENT_ID", type=int)
    withdraw.add_argument("--reason", required=True, metavar="TEXT", help="why")
    withdraw.set_defaults(handler=_withdraw)

    categories = actions.add_parser("categories", help="the category codes and what each "
                                                       "means")
    categories.add_argument("--json", action="store_true", help="print JSON")
    categories.set_defaults(handler=_categories)


def _event_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the onset")
    parser.add_argument("--category", required=True, metavar="C",
                        help=f"one of {_codes(EventCategory)} ('mfconsole events "
                             "categories' says what each means)")
    serious = parser.add_mutually_exclusive_group(required=True)
    serious.add_argument("--serious", dest="serious", action="store_true",
                         default=None, help="a serious adverse event")
    serious.add_argument("--not-serious", dest="serious", action="store_false",
                         help="not serious")
    parser.add_argument("--related", required=True, metavar="R",
                        help=f"related to: {_codes(Relatedness)}")
    parser.add_argument("--action", metavar="A",
                        help=f"what was done: {_codes(EventAction)} (default none)")
    parser.add_argument("--explant-reason", metavar="E",
                        help=f"with an explant: {_codes(ExplantReason)}")
    parser.add_argument("--resolved", metavar="YYYY-MM-DD", help="when it resolved")
    parser.add_argument("--yellow-card", metavar="REF", help="the MHRA Yellow Card reference")
    parser.add_argument("--notes", metavar="TEXT",
                        help="free text (kept in the record, never in the audit trail)")
    parser.add_argument("--visit", type=int, metavar="ID", help="the open visit it belongs to")


def _details(args: argparse.Namespace) -> EventDetails:
    """The event as given; a code or date that cannot be read is refused in one line."""
    with refused_as(WHAT):
        category = coded("category", args.category, EventCategory)
        onset = date_value("onset", args.date)
        related = coded("related", args.related, Relatedness)
        action = (EventAction.NONE if args.action is None
                  else coded("action", args.action, EventAction))
        reason = (None if args.explant_reason is None
                  else coded("explant_reason", args.explant_reason, ExplantReason))
        return EventDetails(category, onset, args.serious, related, action, reason,
                            optional_date("resolved", args.resolved), args.yellow_card,
                            args.notes)


def event_json(event: AdverseEvent, *, current: bool) -> dict[str, Any]:
    """One event as ``events list --json`` gives it."""
    d, amendment = event.details, event.amendment
    return {
        "id": event.id, "patient": event.patient_clinic_id, "device": event.device_serial,
        "date": d.onset.isoformat(), "category": d.category.value, "serious": d.serious,
        "related": d.related.value, "action": d.action.value,
        "explant_reason": None if d.explant_reason is None else d.explant_reason.value,
        "resolved": None if d.resolved is None else d.resolved.isoformat(),
        "yellow_card": d.yellow_card, "notes": d.notes,
        "recorded_by": event.recorded_by, "recorded_at": event.recorded_at.isoformat(),
        "visit": event.visit_id,
        "amends": None if amendment is None else amendment.amends,
        "reason": None if amendment is None else amendment.reason,
        "withdrawn": amendment is not None and amendment.withdrawn,
        "current": current,
    }


def _said(done: str, event: AdverseEvent, json: bool, *, current: bool = True) -> None:
    if json:
        print_json(event_json(event, current=current))
    else:
        d = event.details
        print(f"{done} {WHAT} {event.id}: patient {event.patient_clinic_id}, "
              f"{d.category.value} from {d.onset}")


def _add(args: argparse.Namespace) -> int:
    details = _details(args)
    with acting(args) as (record, actor):
        event = record.record_adverse_event(actor, args.clinic_id, details,
                                            device_serial=args.device, visit_id=args.visit)
    _said("recorded", event, args.json)
    return 0


def _amend(args: argparse.Namespace) -> int:
    details = _details(args)
    with acting(args) as (record, actor):
        event = record.amend_adverse_event(actor, args.event, details, args.reason,
                                           visit_id=args.visit)
    _said(f"amended {WHAT} {args.event} by", event, args.json)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        event = record.withdraw_adverse_event(actor, args.event, args.reason)
    _said(f"withdrew {WHAT} {args.event} by", event, args.json, current=False)
    return 0


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        current = {e.id for e in record.adverse_events(actor, args.clinic_id)}
        events = record.adverse_events(actor, args.clinic_id,
                                       with_corrections=args.with_corrections)
    if args.json:
        print_json([event_json(e, current=e.id in current) for e in events])
        return 0
    if not events:
        print("no adverse events recorded")
        return 0
    headers = ["event", "onset", "category", "serious", "related", "action",
               "explant reason", "resolved", "Yellow Card", "device"]
    if args.with_corrections:
        headers += ["current", "correction"]
    print_table(headers, [_row(e, e.id in current, args.with_corrections) for e in events])
    return 0


def _row(event: AdverseEvent, current: bool, corrections: bool) -> list[object]:
    d = event.details
    row: list[object] = [
        event.id, d.onset, d.category.value, "serious" if d.serious else "not serious",
        d.related.value, d.action.value, d.explant_reason and d.explant_reason.value,
        d.resolved or "not yet", d.yellow_card, event.device_serial]
    if corrections:
        amendment = event.amendment
        verb = "withdraws" if amendment and amendment.withdrawn else "amends"
        row += ["yes" if current else "no",
                "" if amendment is None else f"{verb} {amendment.amends}: {amendment.reason}"]
    return row


def _categories(args: argparse.Namespace) -> int:
    if args.json:
        print_json({category.value: words for category, words in CATEGORY_WORDS.items()})
        return 0
    width = max(len(category.value) for category in EventCategory)
    for category in EventCategory:
        print(f"{category.value.ljust(width)}  {CATEGORY_WORDS[category]}")
    return 0
