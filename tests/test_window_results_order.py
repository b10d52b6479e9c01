"""Work handed to another thread answers on the GUI thread later, never inside the call.

A future that is already done when its callback is added calls back at once, on the
caller's thread; on a busy machine that happens, and an answer delivered inside the call
that asked for it overtakes everything the caller does next (the device-match warning was
lost that way: the record answered before the window had taken in the device).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from ui.device.controller import DeviceController
from ui.shell.app import application
from ui.shell.record_tasks import RecordTasks


class _DoneAtOnce(Executor):
    """The race, made certain: the work is finished before ``submit`` returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_record_answer_never_overtakes_the_call_that_asked_for_it(qtbot):
    application()
    tasks = RecordTasks()
    tasks._pool = _DoneAtOnce()
    order: list[object] = []

    tasks.run(lambda: "answer", order.append)
    order.append("caller went on")

    qtbot.waitUntil(lambda: len(order) == 2, timeout=5000)
    assert order == ["caller went on", "answer"]


def test_a_device_answer_never_overtakes_the_call_that_asked_for_it(qtbot):
    application()
    controller = DeviceController()
    controller._worker = _DoneAtOnce()
    order: list[object] = []

    controller._submit("work", lambda _client: "answer", order.append, order.append,
                       needs_client=False)
    order.append("caller went on")

    qtbot.waitUntil(lambda: len(order) == 2, timeout=5000)
    assert order == ["caller went on", "answer"]
    controller.shutdown()
