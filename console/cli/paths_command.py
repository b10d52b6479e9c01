"""``mfconsole paths [--json]``: where this console keeps its record, key, settings, logs
and reports, for backing them up, moving them, or finding a traceback."""

from __future__ import annotations

import argparse

from console.cli.output import print_json
from console.paths import Location, locations


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "paths", help="where the record, installation key, settings, logs and reports live")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=_paths)


def _paths(args: argparse.Namespace) -> int:
    places = locations()
    if args.json:
        print_json({place.name.replace(" ", "_"): _as_dict(place) for place in places})
        return 0
    width = max(len(place.name) for place in places)
    for place in places:
        print(f"{place.name.ljust(width)}  {place.where}")
        print(f"{'':{width}}  {_described(place)}")
    return 0


def _described(place: Location) -> str:
    if place.moved_by is None:
        return place.holds
    if place.moved:
        return f"{place.holds}; set by {place.moved_by}"
    return f"{place.holds}; {place.moved_by} moves it"


def _as_dict(place: Location) -> dict[str, object]:
    return {"where": place.where, "holds": place.holds, "environment": place.moved_by,
            "from_environment": place.moved}
