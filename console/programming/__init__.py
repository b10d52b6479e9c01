"""Writing a program to the device: one sequence for the window and the command line."""

from .request import Consent, WriteRequest
from .result import Ending, WriteResult
from .write import write_and_verify

__all__ = [
    "Consent",
    "Ending",
    "WriteRequest",
    "WriteResult",
    "write_and_verify",
]
