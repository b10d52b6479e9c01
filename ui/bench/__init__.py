"""The window's benchmark: Esc to STOP and start-up, measured, never asserted.

It needs Qt, so it lives in ``ui`` and runs as its own program, ``python -m ui.bench``.
``mfconsole bench window`` is an ordinary kind of the console's ``bench`` command that
starts that program and passes its output and exit status through: ``console`` may not
import ``ui`` (ui -> console -> device_link), the command line never loads Qt, and the
benchmark starts a window and emulator processes of its own anyway. So neither the
``mfconsole`` entry point nor the window's start-up knows about benchmarks: the
start-up probe (``ui.bench.startup``) watches the demo window from outside.
"""
