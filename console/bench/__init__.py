"""Benchmarks run as commands (never as timed tests): medians and ratios to a baseline.

Every benchmark that runs without Qt lives here: the device link (``link`` and the
modules it uses) and the clinical record (``record``, ``record_data``). The window's
benchmark needs Qt, so it lives in ``ui.bench``. One command reaches them all:
``mfconsole bench``, in ``console.cli.bench_command``.
"""
