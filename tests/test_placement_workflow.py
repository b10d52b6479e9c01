"""The placement test against emulator processes: each scenario judged right, for the right
reason; STOP at any step leaves the device idle and the result incomplete; the record and
the PDF hold the whole result.

Time is a manual clock the tests advance: the automatic ramp never waits in real time.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from console.placement import (
    Failure,
    Interruption,
    OperatorObserver,
    Outcome,
    Phase,
    PlacementRefused,
    PlacementWorkflow,
    Purpose,
    ResultStatus,
    SimulatedObserver,
    TrialEnd,
    load_placement_profile,
    run_automatic,
)
from console.placement.progress import Progress
from console.placement.record_entry import store_result
from console.report import placement_report_pdf
from console.report.marking import DEMO_MARK
from console.storage import ClinicalRecord, InstallationKey, InvalidRecord
from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore
from device_link.messages import Identity
from device_link.protocol import ImpedanceMode
from tests.emulator_harness import EmulatorProcess
from tests.record_fixtures import FAST_HASHER


class ManualClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> bool:
        self.now += seconds
        return True


def _connect(emulator: EmulatorProcess, key_file) -> DeviceClient:
    client = DeviceClient(emulator.port, KeyFileStore(key_file))
    client.open()
    return client


def _workflow(emulator: EmulatorProcess, clock: ManualClock, **options) -> PlacementWorkflow:
    return PlacementWorkflow(load_placement_profile(), SimulatedObserver(emulator.control),
                             operator="theatre.nurse", patient="P001", clock=clock, **options)


def _stimulation_starts(emulator: EmulatorProcess) -> list[tuple[int, int, int]]:
    """(lead, anode, cathode) of every TEST_STIM_START the device received."""
    starts, since = [], 0
    while True:
        page = emulator.control.trace(since=since)
        starts += [tuple(bytes.fromhex(e["payload"])[:3]) for e in page["entries"]
                   if e["dir"] == "rx" and e["opcode"] == "TEST_STIM_START"]
        if not page["entries"]:
            return starts
        since = page["next"]


def _run_scenario(scenario: str, key_file):
    with EmulatorProcess("--scenario", scenario, key_file=key_file) as emulator:
        client = _connect(emulator, key_file)
        try:
            clock = ManualClock()
            workflow = _workflow(emulator, clock)
            result = run_automatic(workflow, client, clock.advance)
            assert result.phase == Phase.VERDICT
            result = workflow.sign_off(fluoroscopy_confirmed=True, notes="L2 on fluoroscopy")
            assert emulator.control.state()["state"] == "IDLE"
            return result, _stimulation_starts(emulator)
        finally:
            client.close()


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "device.key"
    path.write_text("5a" * 32)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def good(key_file):
    return _run_scenario("good", key_file)


def test_good_placement_passes_with_thresholds_and_margins(good):
    result, starts = good
    assert result.passed and result.overall == Outcome.PASS
    assert result.status == ResultStatus.COMPLETE and result.simulated
    for verdict in result.verdicts:
        assert verdict.outcome == Outcome.PASS and verdict.failure is None
        assert verdict.threshold_ma is not None and verdict.threshold_ma <= Decimal("5.0")
    # The emulator's best pairs: E1− E2+ at 2.76 mA (left), 3.94 mA on E1− E2+ (right); the
    # ramp of 0.5 mA steps sees them at the next step.
    assert result.verdicts[0].threshold_ma == Decimal("3.0")
    assert result.verdicts[1].threshold_ma == Decimal("4.0")
    margins = [t for t in result.trials if t.purpose == Purpose.MARGIN]
    assert [(t.lead, t.end, t.amplitude_ma) for t in margins] == [
        (0, TrialEnd.MAXIMUM, Decimal("4.5")), (1, TrialEnd.MAXIMUM, Decimal("6.0"))]
    assert starts == [(0, 2, 1), (0, 2, 1), (1, 2, 1), (1, 2, 1)]


def test_every_step_has_its_time_and_amplitude(good):
    result, _ = good
    events = [step.event for step in result.steps]
    assert events[:3] == ["device identified", "device clock set", "test begun"]
    raised = [s for s in result.steps if s.event == "amplitude raised"]
    assert raised and all(s.amplitude_ma is not None and s.lead is not None for s in raised)
    elapsed = [s.elapsed_s for s in result.steps]
    assert elapsed == sorted(elapsed)
    first = result.trials[0]
    ramp = [s.amplitude_ma for s in result.steps
            if s.lead == 0 and s.event in ("stimulation started (threshold)", "amplitude raised")
            ][:6]
    assert ramp == [Decimal(x) for x in ("0.5", "1.0", "1.5", "2.0", "2.5", "3.0")]
    assert first.contraction_ma == Decimal("3.0")


def test_migrated_lead_fails_on_threshold(key_file):
    result, _ = _run_scenario("migrated-lead", key_file)
    left, right = result.verdicts
    assert left.outcome == Outcome.PASS
    assert right.outcome == Outcome.FAIL and right.failure == Failure.THRESHOLD
    assert "no multifidus contraction up to 10.0 mA" in " ".join(right.reasons)
    assert any("Reposition" in s for s in right.suggestions)
    right_trials = result.trials_of(1)
    assert len(right_trials) == len(result.profile.pairs)
    assert all(t.end == TrialEnd.MAXIMUM and t.amplitude_ma == Decimal("10.0")
               for t in right_trials)
    assert result.overall == Outcome.FAIL and not result.passed


def test_fractured_lead_fails_on_an_open_contact_before_any_stimulation(key_file):
    result, starts = _run_scenario("fractured-lead", key_file)
    right = result.verdicts[1]
    assert right.outcome == Outcome.FAIL and right.failure == Failure.IMPEDANCE
    assert right.reasons[0].startswith("E2 open")
    assert "connection" in right.suggestions[0]
    assert result.trials_of(1) == ()
    assert all(lead != 1 for lead, _, _ in starts)
    assert result.verdicts[0].outcome == Outcome.PASS and result.overall == Outcome.FAIL


def test_shorted_pair_fails_and_is_never_stimulated(key_file):
    with EmulatorProcess("--scenario", "shorted-pair", key_file=key_file) as emulator:
        client = _connect(emulator, key_file)
        try:
            clock = ManualClock()
            workflow = _workflow(emulator, clock)
            workflow.identify(client)
            workflow.measure_impedance(client)
            # The shorted pair, a pair with a shorted contact, a sound pair of that lead.
            for anode, cathode in ((1, 2), (2, 1), (0, 1), (0, 3)):
                with pytest.raises(PlacementRefused, match="shorted"):
                    workflow.start_trial(client, 0, anode, cathode)
            result = run_automatic(workflow, client, clock.advance)
            starts = _stimulation_starts(emulator)
        finally:
            client.close()
    left = result.verdicts[0]
    assert left.outcome == Outcome.FAIL and left.failure == Failure.IMPEDANCE
    assert "E1 and E2 shorted (E1–E2 reads 25 Ω" in left.reasons[0]
    assert not any(lead == 0 and {a, c} & {1, 2} for lead, a, c in starts)
    refused = [s for s in result.steps if s.event == "pair not stimulated"]
    assert len(refused) == 4 and all(s.lead == 0 for s in refused)
    assert not any(lead == 0 for lead, _, _ in starts)


def test_unwanted_response_fails_on_margin(key_file):
    result, _ = _run_scenario("unwanted-response", key_file)
    left = result.verdicts[0]
    assert left.outcome == Outcome.FAIL and left.failure == Failure.MARGIN
    assert "leg response at 4.0 mA, below 4.5 mA" in " ".join(left.reasons)
    first_margin = next(t for t in result.trials_of(0) if t.purpose == Purpose.MARGIN)
    assert first_margin.end == TrialEnd.UNWANTED and first_margin.pair == (2, 1)
    assert result.verdicts[1].outcome == Outcome.PASS and result.overall == Outcome.FAIL


def test_pdf_report_holds_thresholds_and_verdicts(good, key_file):
    result, _ = good
    text_of = "\n".join(page.extract_text() for page in PdfReader(
        io.BytesIO(placement_report_pdf(result))).pages)
    assert "PASS — both leads meet the placement criteria" in text_of
    assert "SIMULATED OBSERVATIONS" in text_of
    assert "multifidus contraction at 3.0 mA" in text_of
    assert "multifidus contraction at 4.0 mA" in text_of
    assert "Left lead (0): PASS" in text_of and "Right lead (1): PASS" in text_of
    assert "EMU-000001" in text_of and "theatre.nurse" in text_of


def test_a_report_of_the_emulator_or_the_demo_is_marked_on_every_page(good):
    result, _ = good
    def pages(result, **options) -> list[str]:
        return [page.extract_text() for page in PdfReader(
            io.BytesIO(placement_report_pdf(result, **options))).pages]

    assert all(DEMO_MARK in text for text in pages(result))  # model EMU-IPG
    patient_device = dataclasses.replace(result, device={**result.device, "model": "MF-IPG"})
    assert not any(DEMO_MARK in text for text in pages(patient_device))
    assert all(DEMO_MARK in text for text in pages(patient_device, demo=True))


# -- STOP at any step --------------------------------------------------------------------


@pytest.fixture(scope="module")
def stop_emulator(key_file):
    with EmulatorProcess("--scenario", "good", key_file=key_file) as emulator:
        yield emulator


def _assert_incomplete(result, emulator, kept_leads: tuple[int, ...] = ()) -> None:
    """Incomplete and idle; only the leads the team had finished keep their verdict."""
    assert emulator.control.state()["state"] == "IDLE"
    assert result.phase == Phase.STOPPED and result.status == ResultStatus.INCOMPLETE
    assert result.overall == Outcome.INCOMPLETE and not result.passed
    assert all(v.outcome != Outcome.PASS for v in result.verdicts if v.lead not in kept_leads)
    assert result.finished_leads == kept_leads
    assert result.stop_reason == "STOP pressed"


def _until(workflow, client, clock, condition) -> None:
    while not condition(workflow.snapshot()):
        clock.advance(workflow.seconds_to_next_step() or 0.0)
        workflow.tick(client)


@pytest.mark.parametrize("where", ["before identification", "after identification",
                                   "threshold search", "margin check", "verdict"])
def test_stop_at_any_step_leaves_the_device_idle_and_the_test_incomplete(
        where, stop_emulator, key_file):
    client = _connect(stop_emulator, key_file)
    try:
        clock = ManualClock()
        workflow = _workflow(stop_emulator, clock)
        if where != "before identification":
            workflow.identify(client)
        if where in ("threshold search", "margin check", "verdict"):
            workflow.measure_impedance(client)
            workflow.start_trial(client, 0, 2, 1)
            _until(workflow, client, clock, lambda r: r.trials[-1].amplitude_ma >= 2)
        if where in ("margin check", "verdict"):
            _until(workflow, client, clock, lambda r: r.active_trial is None)
            workflow.start_trial(client, 0, 2, 1, Purpose.MARGIN)
            clock.advance(2)
            workflow.tick(client)
        if where == "verdict":
            _until(workflow, client, clock, lambda r: r.active_trial is None)
            workflow.finish()
        if where in ("threshold search", "margin check"):
            assert stop_emulator.control.state()["state"] == "TEST_STIM"
        result = workflow.stop(client, "STOP pressed")
        # Testing finished, both leads are finished: their verdicts stand, the test does not.
        _assert_incomplete(result, stop_emulator,
                           kept_leads=(0, 1) if where == "verdict" else ())
        if where in ("threshold search", "margin check"):
            assert result.trials[-1].end == TrialEnd.STOPPED
        with pytest.raises(PlacementRefused):
            workflow.sign_off(fluoroscopy_confirmed=True)
        assert workflow.tick(client).phase == Phase.STOPPED
    finally:
        client.close()


def test_stop_during_impedance_measurement_aborts_it(stop_emulator, key_file):
    client = _connect(stop_emulator, key_file)
    try:
        clock = ManualClock()
        workflow = _workflow(stop_emulator, clock)
        workflow.identify(client)
        since = stop_emulator.control.trace()["next"]
        measuring = threading.Thread(target=workflow.measure_impedance, args=(client,))
        measuring.start()
        stop_emulator.control.await_trace(
            lambda e: e["dir"] == "rx" and e["opcode"] == "MEASURE_IMPEDANCE", since=since)
        result = workflow.stop(client, "STOP pressed")
        measuring.join(timeout=10)
        assert not measuring.is_alive()
        result = workflow.snapshot()
        _assert_incomplete(result, stop_emulator)
        assert result.impedance_runs == ()
    finally:
        client.close()


def test_note_stop_from_another_thread_is_settled_by_the_next_operation(stop_emulator,
                                                                        key_file):
    client = _connect(stop_emulator, key_file)
    try:
        clock = ManualClock()
        workflow = _workflow(stop_emulator, clock)
        workflow.identify(client)
        workflow.measure_impedance(client)
        workflow.start_trial(client, 1, 2, 1)
        client.stop()  # the window's STOP thread sends it; the workflow only hears of it
        workflow.note_stop("STOP pressed")
        assert workflow.snapshot().phase == Phase.STIMULATION  # nothing waited for the lock
        _assert_incomplete(workflow.settle(client), stop_emulator)
    finally:
        client.close()


# -- STOP that interrupts: the finished lead stays, the test resumes -----------------------


def _left_passed_then_right_stopped(emulator, client, clock) -> PlacementWorkflow:
    """Left lead passed and finished; STOP pressed during the right lead's threshold search."""
    workflow = _workflow(emulator, clock, may_resume=True)
    workflow.identify(client)
    workflow.measure_impedance(client)
    for purpose in (Purpose.THRESHOLD, Purpose.MARGIN):
        workflow.start_trial(client, 0, 2, 1, purpose)
        _until(workflow, client, clock, lambda r: r.active_trial is None)
    workflow.finish_lead(0)
    workflow.start_trial(client, 1, 2, 1)
    _until(workflow, client, clock, lambda r: r.trials[-1].amplitude_ma >= 2)
    assert emulator.control.state()["state"] == "TEST_STIM"
    return workflow


def test_a_stop_on_the_right_lead_keeps_the_left_pass_and_resumes_the_right_lead(
        stop_emulator, key_file, record):
    client = _connect(stop_emulator, key_file)
    try:
        clock = ManualClock()
        workflow = _left_passed_then_right_stopped(stop_emulator, client, clock)
        stopped = workflow.stop(client, "STOP pressed")
        _assert_incomplete(stopped, stop_emulator, kept_leads=(0,))
        assert stopped.verdicts[0].outcome == Outcome.PASS
        assert stopped.verdicts[1].outcome == Outcome.INCOMPLETE
        assert stopped.interruption == Interruption(Phase.STIMULATION, 1, "STOP pressed")
        assert stopped.trials[-1].end == TrialEnd.STOPPED
        with pytest.raises(PlacementRefused):
            workflow.sign_off(fluoroscopy_confirmed=True)
        assert workflow.start_trial(client, 1, 2, 1).active_trial is None  # nothing sent
        assert stop_emulator.control.state()["state"] == "IDLE"
        with pytest.raises(InvalidRecord, match="interrupted"):
            store_result(record[0], record[1], stopped, patient="P001")

        resumed = workflow.resume(client)
        assert resumed.phase == Phase.STIMULATION and resumed.status == ResultStatus.IN_PROGRESS
        assert resumed.interruption is None and resumed.stop_reason is None
        assert resumed.verdicts[0].outcome == Outcome.PASS
        assert resumed.verdicts[1].outcome == Outcome.PENDING
        with pytest.raises(PlacementRefused, match="finished the left lead"):
            workflow.start_trial(client, 0, 2, 1)
        for purpose in (Purpose.THRESHOLD, Purpose.MARGIN):
            workflow.start_trial(client, 1, 2, 1, purpose)
            _until(workflow, client, clock, lambda r: r.active_trial is None)
        workflow.finish()
        result = workflow.sign_off(fluoroscopy_confirmed=True)
    finally:
        client.close()
    assert result.passed and [v.outcome for v in result.verdicts] == [Outcome.PASS] * 2
    stopped_trials = [t for t in result.trials if t.end == TrialEnd.STOPPED]
    assert [(t.lead, t.pair) for t in stopped_trials] == [(1, (2, 1))]
    events = [s.event for s in result.steps]
    interrupted = events.index("test interrupted")
    assert events[interrupted - 1] == "trial ended: STOP"
    assert events[interrupted + 1] == "test resumed"
    assert "test ended incomplete" not in events
    stored = store_result(record[0], record[1], result, patient="P001")
    assert [t.outcome for t in stored] == ["pass", "pass"]
    text_of = PdfReader(io.BytesIO(placement_report_pdf(result))).pages[0].extract_text()
    assert "1 × STOP, resumed 1 ×" in text_of


def test_an_interrupted_test_the_team_ends_is_stored_incomplete_with_the_finished_lead(
        stop_emulator, key_file, record):
    client = _connect(stop_emulator, key_file)
    try:
        workflow = _left_passed_then_right_stopped(stop_emulator, client, ManualClock())
        workflow.stop(client, "STOP pressed")
        result = workflow.end()
        with pytest.raises(PlacementRefused, match="only a test interrupted by STOP"):
            workflow.resume(client)
    finally:
        client.close()
    _assert_incomplete(result, stop_emulator, kept_leads=(0,))
    assert result.interruption is None and result.steps[-1].event == "test ended incomplete"
    stored = store_result(record[0], record[1], result, patient="P001")
    assert [t.outcome for t in stored] == ["incomplete (pass)", "incomplete"]
    assert stored[0].data["overall"] == "incomplete"
    assert stored[0].data["finished_leads"] == [0]


def test_a_test_resumes_only_on_the_device_it_began_on(stop_emulator, key_file):
    client = _connect(stop_emulator, key_file)
    try:
        workflow = _workflow(stop_emulator, ManualClock(), may_resume=True)
        workflow.identify(client)
        workflow.measure_impedance(client)
        workflow.stop(client, "STOP pressed")
    finally:
        client.close()
    other = SimpleNamespace(identity=Identity(1, "EMU-IPG", "EMU-000002", "1.0", bytes(16)))
    with pytest.raises(PlacementRefused, match="device it began on"):
        workflow.resume(other)
    assert workflow.snapshot().resumable


def test_what_a_stop_leaves_resumable():
    def stopped_in(phase: Phase, *, may_resume: bool = True, resumable: bool = True,
                   finished: set[int] | None = None) -> Interruption | None:
        progress = Progress(may_resume, phase, finished or set())
        return progress.stop("STOP pressed", None, resumable=resumable)

    assert stopped_in(Phase.START) is None  # nothing identified: begin again
    assert stopped_in(Phase.IMPEDANCE) == Interruption(Phase.IMPEDANCE, None, "STOP pressed")
    assert stopped_in(Phase.STIMULATION).lead == 0
    assert stopped_in(Phase.STIMULATION, finished={0}).lead == 1
    assert stopped_in(Phase.VERDICT).phase == Phase.VERDICT
    assert stopped_in(Phase.STIMULATION, may_resume=False) is None  # nobody at the keys
    assert stopped_in(Phase.STIMULATION, resumable=False) is None  # link lost, unconfirmed
    signed = Progress(True, Phase.SIGNED)
    with pytest.raises(PlacementRefused):
        signed.resume()
    with pytest.raises(PlacementRefused):
        signed.end()


def test_without_may_resume_a_stop_ends_the_test(stop_emulator, key_file):
    client = _connect(stop_emulator, key_file)
    try:
        workflow = _workflow(stop_emulator, ManualClock())
        workflow.identify(client)
        workflow.measure_impedance(client)
        result = workflow.stop(client, "STOP pressed")
        with pytest.raises(PlacementRefused, match="only a test interrupted by STOP"):
            workflow.resume(client)
    finally:
        client.close()
    assert not result.resumable and result.steps[-1].event == "test ended incomplete"


# -- the clinical record -------------------------------------------------------------------


@pytest.fixture()
def record(tmp_path):
    rec = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite'}",
                              password_hasher=FAST_HASHER,
                              installation_key=InstallationKey(bytes(32)))
    admin = rec.add_user(None, "admin", "admin", "admin password 1")
    theatre = rec.add_user(admin, "theatre.nurse", "theatre", "theatre password 1")
    rec.add_patient(theatre, "P001")
    rec.register_device(theatre, "EMU-000001", "EMU-IPG", "1.0.0", patient_clinic_id="P001")
    yield rec, theatre
    rec.close()


def _rows(record, sql: str) -> list[tuple]:
    with record.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_signed_result_is_stored_whole_in_one_transaction(good, record):
    rec, theatre = record
    result, _ = good
    stored = store_result(rec, theatre, result, patient="P001")
    assert [(t.lead, t.electrode_a, t.electrode_b, t.outcome) for t in stored] == [
        (0, 2, 1, "pass"), (1, 2, 1, "pass")]
    assert stored[0].threshold_ma == pytest.approx(3.0)
    assert stored[0].data == stored[1].data
    data = stored[0].data
    assert data["simulated"] is True and data["operator"] == "theatre.nurse"
    assert data["status"] == "complete" and data["overall"] == "pass"
    assert len(data["steps"]) == len(result.steps)
    assert data["trials"][0]["contraction_ma"] == "3.0"
    assert _rows(rec, "SELECT count(*) FROM impedance_measurements") == [(20,)]
    events = [row[0] for row in _rows(rec, "SELECT event FROM audit_entries ORDER BY seq")]
    assert events[-3:] == ["impedance_recorded", "placement_recorded", "placement_recorded"]
    timeline = rec.timeline(theatre, "P001")
    assert [p.outcome for p in timeline.placement_tests] == ["pass", "pass"]


def test_a_stopped_test_is_stored_as_incomplete_never_as_passed(stop_emulator, key_file,
                                                                record):
    rec, theatre = record
    client = _connect(stop_emulator, key_file)
    try:
        clock = ManualClock()
        workflow = _workflow(stop_emulator, clock)
        workflow.identify(client)
        workflow.measure_impedance(client)
        workflow.start_trial(client, 0, 2, 1)
        _until(workflow, client, clock, lambda r: r.active_trial is None)
        workflow.start_trial(client, 0, 2, 1, Purpose.MARGIN)
        _until(workflow, client, clock, lambda r: r.active_trial is None)
        assert workflow.snapshot().verdicts[0].outcome == Outcome.PASS  # not final yet
        result = workflow.stop(client, "STOP pressed")
    finally:
        client.close()
    stored = store_result(rec, theatre, result, patient="P001")
    assert [t.outcome for t in stored] == ["incomplete", "incomplete"]
    assert stored[0].data["status"] == "incomplete"
    assert stored[0].data["overall"] == "incomplete"


def test_a_test_in_progress_is_not_stored(record):
    rec, theatre = record
    workflow = PlacementWorkflow(load_placement_profile(), OperatorObserver(),
                                 operator="theatre.nurse")
    with pytest.raises(InvalidRecord, match="signed off or stopped"):
        store_result(rec, theatre, workflow.snapshot(), patient="P001")


def test_impedance_runs_are_classified_with_the_safety_profile(stop_emulator, key_file):
    client = _connect(stop_emulator, key_file)
    try:
        workflow = _workflow(stop_emulator, ManualClock())
        workflow.identify(client)
        result = workflow.measure_impedance(client)
        expected = client.measure_impedance(0b11, ImpedanceMode.BIPOLAR).records
    finally:
        client.close()
    pairs = {(r.lead, r.electrode_a, r.electrode_b): r.ohms for r in expected}
    for integrity in result.integrity:
        assert integrity.ok
        for pair in integrity.pairs:
            assert pair.ohms == pairs[(integrity.lead, pair.electrode_a, pair.electrode_b)]
            assert pair.state.value == "normal"
