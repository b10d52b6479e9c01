"""The ``mfconsole`` program: the window, or a command of the command line.

``mfconsole`` and ``mfconsole --demo`` open the window; ``mfconsole COMMAND …`` runs
the command line, which never loads Qt. ``mfconsole --help`` is the command line's help,
which describes the window's options too (``console.cli.main``): it works without Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

WINDOW_OPTIONS = ("--demo", "--demo-role", "--db")
VALUE_OPTIONS = ("--demo-role", "--db")  # options whose value is the next word


def _wants_window(argv: Sequence[str]) -> bool:
    words = [a for a in argv if a.startswith("-")]
    commands = [a for i, a in enumerate(argv)
                if not a.startswith("-") and not (i and argv[i - 1] in VALUE_OPTIONS)]
    return not commands and all(w.split("=")[0] in WINDOW_OPTIONS for w in words)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if _wants_window(args):
        from ui.shell.app import run

        return run(args)
    from console.cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
