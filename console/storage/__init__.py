"""The clinical record: patients, devices, visits, program versions, measurements, audit.

Open it with ``ClinicalRecord.open_existing(database_url(args.db))``; a record is
created only by adding its first administrator (see ``ClinicalRecord.open``).
"""

from console.storage.config import database_url
from console.storage.entities import (
    Confirmation,
    Device,
    DeviceLogRecord,
    ImpedanceMeasurement,
    Patient,
    PlacementLeadSummary,
    PlacementTest,
    ProgramVersion,
    StatusChange,
    Timeline,
    VersionStatus,
    Visit,
    VisitKind,
)
from console.storage.errors import (
    ConflictError,
    DamagedRecord,
    DatabaseUnavailable,
    ForeignDatabase,
    InvalidRecord,
    NoRecord,
    NotFound,
    RecordError,
    SchemaMismatch,
)
from console.storage.history import FieldChange, diff_programs
from console.storage.installation_key import InstallationKey, InstallationKeyError
from console.storage.pairing_keys import DatabaseKeyStore
from console.storage.record import ClinicalRecord

__all__ = [
    "ClinicalRecord", "Confirmation", "ConflictError", "DamagedRecord", "DatabaseKeyStore",
    "DatabaseUnavailable", "Device", "DeviceLogRecord", "FieldChange", "ForeignDatabase",
    "ImpedanceMeasurement", "InstallationKey", "InstallationKeyError", "InvalidRecord",
    "NoRecord", "NotFound", "Patient",
    "PlacementLeadSummary", "PlacementTest", "ProgramVersion", "RecordError", "SchemaMismatch",
    "StatusChange", "Timeline", "VersionStatus", "Visit", "VisitKind", "database_url",
    "diff_programs",
]
