"""The one exception a command raises for an expected failure: one line on stderr, no traceback."""

from __future__ import annotations


class CliError(Exception):
    """An expected failure; ``exit_code`` is the process status (never 0)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
