"""The placement test's flow: the guided intraoperative test, made for theatre.

The team observes; the window drives ``console.placement.PlacementWorkflow`` (the same
object the command line drives) with an ``OperatorObserver``. Every device operation
runs through ``DeviceController.run`` on its worker thread; the record and the PDF are
written by ``RecordTasks``; the GUI thread only shows snapshots and takes keys. The one
record write on the device worker is the audit of each start: it must be in the record
before the stimulation it is about goes out. Any STOP makes the test incomplete, never
passed: after identification it is interrupted, and the team resumes it where it was (R)
or ends it (N), when it is stored as incomplete; the leads the team had finished keep
their verdicts either way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.placement import (
    Phase,
    PlacementRefused,
    PlacementResult,
    PlacementWorkflow,
    Purpose,
    Stepping,
    Trial,
    Unwanted,
    load_placement_profile,
)
from console.placement.observation import OperatorObserver
from device_link.client import DeviceClient
from device_link.messages import StimStopped
from device_link.protocol import DeviceState, StopReason
from ui.placement.common import (
    LiveStrip,
    StepsBar,
    identity_label,
    theatre_button,
    wizard_style,
)
from ui.placement.keeping import Keeping
from ui.placement.keys import UNWANTED_KEYS, bind_keys, keys_label
from ui.placement.pages import (
    DonePage,
    ImpedancePage,
    LeadPage,
    LeadView,
    StartPage,
    VerdictPage,
)
from ui.placement.screen_text import (
    cannot_begin,
    chosen_pair,
    identity_line,
    lead_view,
    needs_margin,
    resume_page,
    start_facts,
)
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks, keeper_for

OPERATION = "placement"  # prefix of every device operation this tab runs
PAGES = ("start", "impedance", "lead0", "lead1", "verdict", "done")
class _Refused:
    """An operation the workflow refused: nothing was sent; the reason is shown."""

    def __init__(self, message: str) -> None:
        self.message = message


class PlacementWizard(QWidget):
    """The test, one screen per step: keys and buttons in, the workflow's snapshots out."""

    _stop_heard = Signal()  # emitted from the STOP thread; handled on the GUI thread
    theatre_requested = Signal()

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placementWizard")
        self.setStyleSheet(wizard_style())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._context = context
        self._tasks = RecordTasks(self)
        self.profile = load_placement_profile()
        self.workflow: PlacementWorkflow | None = None
        self.observer = OperatorObserver()
        self.page = "start"
        self._busy = ""  # the latest device operation under way, for the screen
        self._in_flight = 0
        self._pairs: dict[int, tuple[int, int] | None] = {0: None, 1: None}
        self._naming = False
        self._resume_to = ""  # the page a resume under way returns to
        self.keeping = Keeping(context, self._tasks, self.refresh)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._auto_tick)

        self.steps = StepsBar()
        self.live = LiveStrip(context.controller.stop)
        self.message = QLabel()
        self.message.setObjectName("wizardMessage")
        self.message.setWordWrap(True)
        self.start_page = StartPage(self.begin)
        self.impedance_page = ImpedancePage(self.next, self.measure_again)
        actions: dict[str, Callable[..., None]] = {
            "start": self.start_pair, "contraction": self.contraction_seen,
            "unwanted": self.unwanted_seen, "step": self.step_up, "pair": self.other_pair,
            "measure": self.measure_again, "next": self.next, "name": self.name_unwanted}
        self.lead_pages = (LeadPage(0, actions), LeadPage(1, actions))
        self.verdict_page = VerdictPage(self.next)
        self.done_page = DonePage(self.next, self.resume)
        self.stack = QStackedWidget()
        for page in (self.start_page, self.impedance_page, *self.lead_pages, self.verdict_page,
                     self.done_page):
            self.stack.addWidget(page)
        self.theatre_button = theatre_button(self.theatre_requested.emit)
        self.identity = identity_label()
        top = QHBoxLayout()
        top.addWidget(self.steps, 1)
        top.addWidget(self.theatre_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.identity)
        layout.addWidget(self.live)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.message)
        layout.addWidget(keys_label())
        self._keys()

        controller = context.controller
        controller.stop_sent.connect(self._on_stop_sent, Qt.ConnectionType.DirectConnection)
        self._stop_heard.connect(self._after_stop)
        controller.stop_failed.connect(lambda _message: self._after_stop())
        controller.disconnected.connect(self._on_disconnected)
        controller.notice.connect(self._on_notice)
        context.model.device_changed.connect(self.refresh)
        self.refresh()

    # -- keys ------------------------------------------------------------------------------

    def _keys(self) -> None:
        bind_keys(self, [
            (Qt.Key.Key_N, self.next), (Qt.Key.Key_S, self.start_pair),
            (Qt.Key.Key_C, self.contraction_seen), (Qt.Key.Key_U, self.unwanted_seen),
            (Qt.Key.Key_Up, self.step_up), (Qt.Key.Key_P, self.other_pair),
            (Qt.Key.Key_I, self.measure_again), (Qt.Key.Key_F, self.toggle_fluoroscopy),
            (Qt.Key.Key_R, self.resume),
            (Qt.Key.Key_T, self.theatre_requested.emit),
            (Qt.Key.Key_A, lambda: self._choose_stepping(Stepping.AUTOMATIC)),
            (Qt.Key.Key_M, lambda: self._choose_stepping(Stepping.MANUAL)),
            *((key, lambda k=kind: self.name_unwanted(k)) for key, kind in UNWANTED_KEYS)])

    def _choose_stepping(self, stepping: Stepping) -> None:
        if self.page == "start":
            self.start_page.choose(stepping)

    def toggle_fluoroscopy(self) -> None:
        if self.page == "verdict":
            self.verdict_page.fluoroscopy.toggle()

    # -- the steps -------------------------------------------------------------------------

    def begin(self) -> None:
        if self.page != "start" or not self.start_page.begin.isEnabled() or self._busy:
            return
        context = self._context
        keeper = keeper_for(context)
        serial = context.model.device.identity.serial if context.model.device else ""
        audit = (lambda stimulus: keeper.record_test_start(serial, stimulus)) \
            if keeper is not None else None
        self.observer = OperatorObserver()
        self.workflow = PlacementWorkflow(
            self.profile, self.observer, operator=context.user.username if context.user
            else "unknown", patient=context.patient.clinic_id if context.patient else None,
            safety_profile=context.model.session.profile, stepping=self.start_page.stepping,
            before_stimulation=audit, may_resume=True)
        self._pairs = {0: None, 1: None}
        self.keeping.clear()
        self.page = "impedance"
        workflow = self.workflow

        def identify_and_measure(client: DeviceClient) -> PlacementResult:
            if workflow.identify(client).phase == Phase.STOPPED:
                return workflow.snapshot()
            return workflow.measure_impedance(client)

        self._run("identify and measure impedance", identify_and_measure)

    def measure_again(self) -> None:
        workflow = self.workflow
        if workflow is None or self._busy or self.page not in ("impedance", "lead0", "lead1") \
                or workflow.snapshot().active_trial is not None:
            return
        self._run("measure impedance", workflow.measure_impedance)

    def next(self) -> None:
        """N: the primary way forward on each screen."""
        if self._busy or self._naming:
            return
        workflow = self.workflow
        if self.page == "start":
            self.begin()
        elif workflow is None:
            return
        elif self.page == "done" and workflow.snapshot().resumable:
            self._call(workflow.end)  # not resumed: kept as incomplete
        elif self.page == "done":
            self._reset()
        elif workflow.snapshot().active_trial is not None:
            return
        elif self.page == "impedance":
            if all(i.measured for i in workflow.snapshot().integrity):
                self._go("lead0")
        elif self.page == "lead0":
            if self._call(lambda: workflow.finish_lead(0)):
                self._go("lead1")
        elif self.page == "lead1":
            self._call(workflow.finish)
            self._go("verdict")
        elif self.page == "verdict":
            self._sign_off()

    def resume(self) -> None:
        """R, after a STOP: the test goes on where it was (nothing stimulates yet)."""
        workflow = self.workflow
        where = workflow.snapshot().interruption if workflow is not None else None
        if workflow is None or where is None or self._busy or self.page != "done" \
                or not self._context.controller.is_connected:
            return
        self._resume_to = resume_page(where)
        self._run("resume", workflow.resume)

    def start_pair(self) -> None:
        workflow, lead = self.workflow, self._lead()
        if workflow is None or lead is None or self._busy or self._naming:
            return
        result = workflow.snapshot()
        pair = self._pairs[lead]
        if pair is None or result.active_trial is not None:
            return
        purpose = Purpose.MARGIN if needs_margin(result, lead, pair) else \
            Purpose.THRESHOLD
        self.message.setText("")
        self._run(f"start {purpose.value}",
                  lambda client: workflow.start_trial(client, lead, *pair, purpose))

    def contraction_seen(self) -> None:
        trial = self._trial_here()
        if trial is not None and trial.purpose == Purpose.THRESHOLD:
            self.observer.contraction_seen()
            self._look()

    def unwanted_seen(self) -> None:
        if self._trial_here() is not None:
            self.observer.unwanted_seen(Unwanted.UNSPECIFIED)
            self._naming = True
            self._look()

    def name_unwanted(self, kind: Unwanted) -> None:
        workflow = self.workflow
        if workflow is None or not self._naming:
            return
        self._naming = False
        # Queued behind the look that records the response, on the same device thread.
        self._run("name the response", lambda _client: workflow.name_unwanted(kind))

    def step_up(self) -> None:
        workflow = self.workflow
        if workflow is None or self._trial_here() is None \
                or workflow.stepping != Stepping.MANUAL:
            return
        if self._busy:
            self._say("The previous step is still being sent.")
            return
        self._run("step", workflow.step_up)

    def other_pair(self) -> None:
        workflow, lead = self.workflow, self._lead()
        if workflow is None or lead is None or self._busy \
                or workflow.snapshot().active_trial is not None:
            return
        candidates = workflow.candidate_pairs(lead)
        if not candidates:
            return
        current = self._pairs[lead]
        index = candidates.index(current) + 1 if current in candidates else 0
        self._pairs[lead] = candidates[index % len(candidates)]
        self.refresh()

    # -- running operations ----------------------------------------------------------------

    def _run(self, name: str, operation: Callable[[DeviceClient], PlacementResult]) -> None:
        """One workflow operation on the device thread; a refusal comes back as a message."""
        def guarded(client: DeviceClient) -> PlacementResult | _Refused:
            try:
                return operation(client)
            except PlacementRefused as exc:
                return _Refused(str(exc))

        self._busy = name
        self._in_flight += 1
        self._timer.stop()
        self.refresh()
        self._context.controller.run(f"{OPERATION}: {name}", guarded, self._done,
                                     on_failed=partial(self._failed, name))

    def _finished_one(self) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if not self._in_flight:
            self._busy = ""

    def _done(self, outcome: PlacementResult | _Refused) -> None:
        self._finished_one()
        if isinstance(outcome, _Refused):
            self._say(outcome.message, error=True)
            self._show(self.workflow.snapshot() if self.workflow else None)
            return
        self._show(outcome)

    def _look(self) -> None:
        """Let the workflow take what the team reported; it stops stimulation at once.

        Device operations run one after another, so this look comes right after any
        step already under way.
        """
        if self.workflow is not None:
            self._run("response", self.workflow.tick)

    def _auto_tick(self) -> None:
        workflow = self.workflow
        if workflow is None or workflow.snapshot().active_trial is None:
            return
        if self._busy:
            self._timer.start(50)
            return
        self._run("step", workflow.tick)

    def _call(self, operation: Callable[[], PlacementResult]) -> bool:
        """A workflow step without device I/O (finish, end); False when refused."""
        try:
            self._show(operation())
        except PlacementRefused as exc:
            self._say(str(exc), error=True)
            return False
        return True

    def _failed(self, name: str, message: str) -> None:
        self._busy = ""  # the latest device operation under way, for the screen
        self._in_flight = 0
        self._say(f"{name} failed: {message}", error=True)
        if self.workflow is not None:
            self._show(self.workflow.snapshot())

    # -- stop, link loss, device events ----------------------------------------------------

    def _active(self) -> bool:
        return self.workflow is not None and self.workflow.snapshot().phase not in (
            Phase.SIGNED, Phase.STOPPED)

    def _on_stop_sent(self, _at: float) -> None:
        """On the STOP thread, the moment STOP goes out: mark the test, never wait."""
        if self._active():
            assert self.workflow is not None
            self.workflow.note_stop("STOP pressed")
            self._stop_heard.emit()

    def _after_stop(self) -> None:
        workflow = self.workflow
        if workflow is None or workflow.snapshot().phase == Phase.SIGNED:
            return
        self._timer.stop()
        self._naming = False
        if self._context.controller.is_connected:
            self._run("stop", workflow.settle)
        else:
            self._tasks.run(lambda: workflow.link_lost("STOP pressed with no link to the "
                                                       "device"), self._show)

    def _on_disconnected(self, reason: str) -> None:
        workflow = self.workflow
        if not self._active() or workflow is None:
            self.refresh()
            return
        self._busy, self._in_flight = "", 0
        self._timer.stop()
        why = f"link lost: {reason}" if reason else "disconnected"
        self._tasks.run(lambda: workflow.link_lost(why), self._show)

    def _on_notice(self, notice: object) -> None:
        workflow = self.workflow
        if (isinstance(notice, StimStopped) and notice.reason != StopReason.STOP_REQUEST
                and workflow is not None and workflow.snapshot().active_trial is not None):
            self._run("device stopped", lambda _client: workflow.device_stopped(notice.reason))

    # -- sign-off, record and report -------------------------------------------------------

    def _sign_off(self) -> None:
        workflow = self.workflow
        if workflow is None or self.keeping.storing:
            return
        fluoroscopy = self.verdict_page.fluoroscopy.isChecked()
        notes = self.verdict_page.notes.text().strip()
        self._tasks.run(lambda: workflow.sign_off(fluoroscopy_confirmed=fluoroscopy,
                                                  notes=notes), self._show,
                        lambda message: self._say(message, error=True))

    # -- showing ---------------------------------------------------------------------------

    @property
    def report_path(self) -> Path | None:
        """The report written for the latest test, once it is kept."""
        return self.keeping.report_path

    def _go(self, page: str) -> None:
        self.page = page
        self.message.setText("")
        self.refresh()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _reset(self) -> None:
        self.workflow = None
        self._naming = False
        self._go("start")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b71c1c; font-weight: bold;" if error else "")

    def _show(self, result: PlacementResult | None) -> None:
        if result is not None and result.phase in (Phase.SIGNED, Phase.STOPPED):
            self.page = "done"
            self.keeping.keep(result)
        elif result is not None and self.page == "done" and self._resume_to:
            self._go(self._resume_to)  # resumed
            self._resume_to = ""
        self.refresh()
        if result is not None and result.active_trial is not None:
            self._context.model.set_state(DeviceState.TEST_STIM)
            delay = self.workflow.seconds_to_next_step() if self.workflow else None
            if delay is not None:
                self._timer.start(int(delay * 1000) + 1)
        elif result is not None and result.trials:
            self._context.model.set_state(DeviceState.IDLE)

    def refresh(self) -> None:
        result = self.workflow.snapshot() if self.workflow is not None else None
        self.identity.setText(identity_line(self._context))
        self.live.show_result(result, self._busy)
        index = PAGES.index(self.page)
        self.steps.set_current(min(index, 4) if self.page != "done" else None)
        self.stack.setCurrentIndex(index)
        if self.page == "start":
            self.start_page.show_facts(start_facts(self._context, self.profile),
                                       str(self.profile.step_interval_s),
                                       cannot_begin(self._context))
        elif result is None:
            return
        elif self.page == "impedance":
            self.impedance_page.show_result(result, bool(self._busy))
        elif self.page in ("lead0", "lead1"):
            lead = int(self.page[-1])
            self.lead_pages[lead].show_result(result, self._lead_view(result, lead))
        elif self.page == "verdict":
            self.verdict_page.show_result(result, bool(self._busy))
        else:
            keeping = self.keeping
            self.done_page.show_result(
                result, keeping.stored_text or ("" if result.resumable else "Storing …"),
                keeping.report_text, keeping.storing or bool(self._busy),
                can_resume=self._context.controller.is_connected)

    def _lead(self) -> int | None:
        return int(self.page[-1]) if self.page in ("lead0", "lead1") else None

    def _trial_here(self) -> Trial | None:
        lead = self._lead()
        if self.workflow is None or lead is None:
            return None
        trial = self.workflow.snapshot().active_trial
        return trial if trial is not None and trial.lead == lead else None

    def _lead_view(self, result: PlacementResult, lead: int) -> LeadView:
        """The lead's screen, on the pair chosen (the suggested one until P is pressed)."""
        assert self.workflow is not None
        self._pairs[lead], choices = chosen_pair(self.workflow, lead, self._pairs[lead])
        return lead_view(result, lead, self._pairs[lead], naming=self._naming,
                         busy=bool(self._busy), can_change_pair=choices > 1)
