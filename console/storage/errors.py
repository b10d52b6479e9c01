"""What can go wrong with the clinical record, as messages a clinician can act on."""

from __future__ import annotations


class RecordError(Exception):
    """Any expected failure of the clinical record; the message is one line for the user."""


class DatabaseUnavailable(RecordError):
    """The database cannot be opened or reached (file unreadable, server down)."""


class NoRecord(RecordError):
    """No clinical record where the console was pointed (no such file, or an empty database).

    Nothing is created there: a record is created only by adding its first administrator.
    """


class DamagedRecord(RecordError):
    """The SQLite file fails SQLite's own consistency check: refused, restore a backup."""


class ForeignDatabase(RecordError):
    """The file or database holds something that is not a clinical record: never touched."""


class SchemaMismatch(RecordError):
    """The database was made by a newer console, or names a migration this console lacks."""


class ConflictError(RecordError):
    """Another console changed the same thing first; reload and decide again."""


class NotFound(RecordError):
    """No patient, device, version or user by that name."""


class InvalidRecord(RecordError):
    """A value the record refuses (the message names the field, the value and the rule)."""
