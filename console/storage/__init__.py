"""The clinical record: patients, devices, visits, program versions, measurements, audit.

Open it with ``ClinicalRecord.open_existing(database_url(args.db))``; a record is
created only by adding its first administrator (see ``ClinicalRecord.open``).
"""

from .config import database_url
from .entities import (
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
from .errors import (
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
from .history import FieldChange, diff_programs
from .installation_key import InstallationKey, InstallationKeyError
from .keystore import DatabaseKeyStore
from .record import ClinicalRecord

__all__ = [
    "ClinicalRecord", "Confirmation", "ConflictError", "DamagedRecord", "DatabaseKeyStore",
    "DatabaseUnavailable", "Device", "DeviceLogRecord", "FieldChange", "ForeignDatabase",
    "ImpedanceMeasurement", "InstallationKey", "InstallationKeyError", "InvalidRecord",
    "NoRecord", "NotFound", "Patient",
    "PlacementLeadSummary", "PlacementTest", "ProgramVersion", "RecordError", "SchemaMismatch",
    "StatusChange", "Timeline", "VersionStatus", "Visit", "VisitKind", "database_url",
    "diff_programs",
]
