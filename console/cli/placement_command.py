"""``mfconsole placement``: the whole intraoperative placement test against an emulator.

The command runs the guided test without a person at the keys, so its observations come
from the emulator's simulated patient (``--observer simulated --control ADDR``) and are
labelled simulated everywhere; in theatre the window's wizard is used, with the team as
observer. Exit status 0 when both leads pass, 1 when the test fails or cannot be run.
Ctrl-C, SIGTERM, SIGQUIT, SIGHUP or the reader of the output going away sends STOP at
once (from its own thread): the test ends incomplete, is stored as incomplete when
recording, and the command exits 130, 143, 131, 129 or 141. Any other way out while the
test runs (a device error, an unexpected exception) sends STOP first too.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
from decimal import Decimal

from console.accounts import AccessError, Action
from console.cli.device_access import (
    add_port_options,
    add_record_options,
    key_store_for,
    open_device,
    recording,
)
from console.cli.errors import CliError
from console.cli.output import print_json
from console.cli.program_command import profile_or_fail
from console.cli.stop_requests import OUTPUT_CLOSED, StopRequest, StopRequests, silence_stdout
from console.device.record_keeper import RecordKeeper
from console.placement import (
    Outcome,
    Phase,
    PlacementRefused,
    PlacementResult,
    PlacementWorkflow,
    SimulatedObserver,
    lead_title,
    load_placement_profile,
    run_automatic,
)
from console.placement.record_entry import store_result
from console.report import write_placement_report
from console.safety import ProfileError
from console.stimulation.stopping import record_stop
from console.storage import RecordError
from device_link.client import DeviceClient
from device_link.emulator.control import ControlClient, ControlError
from device_link.errors import DeviceLinkError, LinkLost, PortError

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
LONGEST_EVERY_S = 3600.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "placement", help="intraoperative placement test of both leads (emulator)",
        description="Identify the device, set its clock, measure impedance, find each lead's "
                    "multifidus threshold and margin, and print the verdict. Exit 0 when both "
                    "leads pass, 1 when not.")
    add_port_options(parser)
    add_record_options(parser)
    parser.add_argument("--observer", choices=("simulated",), required=True,
                        help="who observes the response: 'simulated' reads the emulator's "
                             "patient model (engineering and tests only; in theatre use the "
                             "window)")
    parser.add_argument("--control", required=True, metavar="HOST:PORT",
                        help="the emulator's control channel (its CONTROL line)")
    parser.add_argument("--patient", metavar="CLINIC_ID",
                        help="patient (default: the device's patient in the record)")
    parser.add_argument("--operator", metavar="NAME",
                        help="operator named in the result without a database (default: the "
                             "login name); with one, the logged-in user")
    parser.add_argument("--profile", metavar="TOML",
                        help="placement profile (default: the one shipped)")
    parser.add_argument("--safety-profile", metavar="TOML",
                        help="clinic safety profile (default: the one shipped)")
    parser.add_argument("--every", type=_seconds, metavar="S",
                        help="seconds between automatic steps (default: the profile's); "
                             "never closer than the safety profile's shortest interval "
                             "between increases")
    parser.add_argument("--fluoroscopy-confirmed", action="store_true",
                        help="record that fluoroscopy confirms the leads' position")
    parser.add_argument("--notes", default="", help="notes kept with the result")
    parser.add_argument("--report", metavar="FILE.pdf", help="write the one-page PDF report")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.set_defaults(handler=run_placement)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= LONGEST_EVERY_S:  # nan and inf too
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 s and at most "
                                         f"{LONGEST_EVERY_S:g} s")
    return value


def run_placement(args: argparse.Namespace) -> int:
    try:
        profile = load_placement_profile(args.profile)
    except ProfileError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    safety = profile_or_fail(args.safety_profile)
    try:
        control = ControlClient(args.control)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot reach the emulator's control channel at {args.control}: "
                       f"{exc}") from None
    with control, recording(args, Action.RECORD_PLACEMENT) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file)) as client:
        assert client.identity is not None
        serial, patient = _subject(args, keeper, client)
        if args.every is not None:
            profile = dataclasses.replace(profile, step_interval_s=Decimal(str(args.every)))
        workflow = PlacementWorkflow(
            profile, SimulatedObserver(control), operator=_operator(args, keeper),
            patient=patient, safety_profile=safety,
            before_stimulation=(lambda s: keeper.record_test_start(serial, s))
            if keeper else None)
        try:
            result, request, link_error = _run(workflow, client)
        except BaseException as exc:  # STOP has gone out (see _run): keep what was done
            _store(keeper, workflow.snapshot(), patient, args.visit, serial,
                   f"by an unexpected error ({type(exc).__name__}: {exc})")
            raise
        if result.phase == Phase.VERDICT:
            result = workflow.sign_off(fluoroscopy_confirmed=args.fluoroscopy_confirmed,
                                       notes=args.notes)
        recorded = _store(keeper, result, patient, args.visit, serial,
                          request.why if request else None)
    report = write_placement_report(result, args.report) if args.report else None
    try:
        _print(args, result, recorded, report)
    except OSError:  # the reader went away; the result is stored and the report written
        silence_stdout()
        return OUTPUT_CLOSED.exit_status
    if link_error is not None:
        raise CliError(f"placement test incomplete: {link_error}")
    if request is not None:
        return request.exit_status
    return EXIT_PASS if result.passed else EXIT_FAIL


def _subject(args: argparse.Namespace, keeper: RecordKeeper | None,
             client: DeviceClient) -> tuple[str, str | None]:
    """The device's serial and the patient the result belongs to."""
    assert client.identity is not None
    if keeper is None:
        return client.identity.serial, args.patient
    try:
        keeper.require(Action.TEST_STIMULATION)
        device = keeper.known_device(client.identity)
    except (RecordError, AccessError) as exc:
        raise CliError(str(exc)) from None
    patient = args.patient or device.patient_clinic_id
    if patient is None:
        raise CliError(f"device {device.serial} is not linked to a patient in the record: "
                       f"give --patient CLINIC_ID", EXIT_USAGE)
    return device.serial, patient


def _operator(args: argparse.Namespace, keeper: RecordKeeper | None) -> str:
    if keeper is not None:
        return keeper.actor.username
    return args.operator or os.environ.get("USER") or getpass.getuser()


def _run(workflow: PlacementWorkflow, client: DeviceClient
         ) -> tuple[PlacementResult, StopRequest | None, DeviceLinkError | None]:
    """The automatic test; the result, what asked for STOP, a link failure.

    Every way out while it runs sends STOP first: a signal or a closed output from the
    stop thread at once, an error or an exception here before it goes further.
    """
    link_error: DeviceLinkError | None = None
    with StopRequests(lambda asked: workflow.stop(client, f"STOP {asked.why}")) as stops:
        try:
            run_automatic(workflow, client, stops.wait)
        except PlacementRefused as exc:
            workflow.stop(client, f"the test could not go on: {exc}")
        except (LinkLost, PortError) as exc:
            link_error = exc
            workflow.link_lost(f"link failure: {exc}")
        except DeviceLinkError as exc:  # the link still works: STOP goes out
            link_error = exc
            workflow.stop(client, f"the device refused: {exc}")
        except (ControlError, OSError) as exc:
            workflow.stop(client, f"the emulator's observation failed: {exc}")
        except BaseException as exc:
            workflow.stop(client, f"unexpected error ({type(exc).__name__}: {exc})")
            raise
    return workflow.snapshot(), stops.request, link_error


def _store(keeper: RecordKeeper | None, result: PlacementResult, patient: str | None,
           visit: int | None, serial: str, stopped: str | None) -> list[int]:
    """Store the result when recording, after the stop (``stopped``: why, if asked for);
    a record that cannot be reached is reported."""
    if keeper is None or patient is None:
        return []
    problem = None if stopped is None else record_stop(
        keeper, serial, f"placement test stopped {stopped}")
    if problem is None:
        try:
            stored = store_result(keeper.record, keeper.actor, result, patient=patient,
                                  visit_id=visit)
        except (RecordError, AccessError) as exc:
            problem = str(exc)
    if problem is not None:
        print(f"mfconsole: the placement test was NOT recorded: {problem}", file=sys.stderr)
        return []
    return [row.id for row in stored]


def _print(args: argparse.Namespace, result: PlacementResult, recorded: list[int],
           report: object) -> None:
    if args.json:
        print_json({"overall": result.overall.value, "passed": result.passed,
                    "recorded": recorded, "report": str(report) if report else None,
                    "result": result.to_dict()})
        return
    if result.simulated:
        print("SIMULATED observations (device emulator): not a patient")
    for verdict in result.verdicts:
        heading = verdict.outcome.value.upper()
        if verdict.outcome == Outcome.FAIL and verdict.failure is not None:
            heading += f" on {verdict.failure.value}"
        print(f"{lead_title(verdict.lead)}: {heading}")
        for reason in verdict.reasons:
            print(f"  {reason}")
        for suggestion in verdict.suggestions:
            print(f"  what to do: {suggestion}")
    if result.stop_reason:
        print(f"test ended incomplete: {result.stop_reason}")
    print(f"overall: {result.overall.value.upper()}"
          + ("" if result.passed or result.overall != Outcome.PASS else " (not signed)"))
    if recorded:
        print(f"recorded as placement tests {', '.join(map(str, recorded))}")
    if report:
        print(f"report: {report}")
