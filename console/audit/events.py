"""The names of audited events, as written into the chain."""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    ROLE_CHANGED = "role_changed"
    PASSWORD_CHANGED = "password_changed"
    PATIENT_ADDED = "patient_added"
    DEVICE_REGISTERED = "device_registered"
    DEVICE_UPDATED = "device_updated"
    PAIRING_KEY_STORED = "pairing_key_stored"
    VISIT_STARTED = "visit_started"
    VISIT_ENDED = "visit_ended"
    VERSION_CREATED = "version_created"
    SAFETY_FINDING_CONFIRMED = "safety_finding_confirmed"
    PROGRAM_WRITTEN = "program_written"
    PROGRAM_VERIFIED = "program_verified"
    PROGRAM_FAILED = "program_failed"
    PROGRAM_UNCONFIRMED = "program_unconfirmed"
    TEST_STIMULATION = "test_stimulation"
    TITRATION_MARKED = "titration_marked"
    THERAPY_SESSION = "therapy_session"
    STOP = "stop"
    IMPEDANCE_RECORDED = "impedance_recorded"
    PLACEMENT_RECORDED = "placement_recorded"
    DEVICE_LOG_DOWNLOADED = "device_log_downloaded"
    EXPORT = "export"
