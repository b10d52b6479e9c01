"""Roles and what each may do: the one place the console's access rules are written.

The window and the command line ask ``require(user, action)`` before acting; they
never decide permissions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.accounts.errors import PermissionDenied


class Role(StrEnum):
    CLINICIAN = "clinician"
    THEATRE = "theatre"
    ENGINEER = "engineer"
    ADMIN = "admin"


class Action(StrEnum):
    """Things a user may be allowed to do; the value is how a refusal names it."""

    VIEW_RECORD = "view the clinical record"
    MANAGE_PATIENTS = "add patients, devices and visits"
    PROGRAM_DEVICE = "create, write or restore a program"
    CONFIRM_SAFETY_FINDING = "confirm a safety finding"
    TEST_STIMULATION = "deliver test stimulation"
    MEASURE_IMPEDANCE = "measure impedance"
    RECORD_PLACEMENT = "record placement tests"
    DOWNLOAD_DEVICE_LOG = "download the device log"
    MANAGE_PAIRING_KEYS = "store device pairing keys"
    RECORD_OUTCOMES = "record outcomes and adverse events"
    AUDIT_CLINIC = "see the clinic's audit"
    EXPORT = "export the clinical record"
    VERIFY_AUDIT = "verify the audit trail"
    MANAGE_USERS = "manage users"


_EVERY_ROLE = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_RECORD: _EVERY_ROLE,
    Action.MANAGE_PATIENTS: frozenset({Role.CLINICIAN, Role.THEATRE, Role.ADMIN}),
    Action.PROGRAM_DEVICE: frozenset({Role.CLINICIAN}),
    Action.CONFIRM_SAFETY_FINDING: frozenset({Role.CLINICIAN}),
    Action.TEST_STIMULATION: frozenset({Role.CLINICIAN, Role.THEATRE}),
    Action.MEASURE_IMPEDANCE: frozenset({Role.CLINICIAN, Role.THEATRE, Role.ENGINEER}),
    Action.RECORD_PLACEMENT: frozenset({Role.CLINICIAN, Role.THEATRE}),
    Action.DOWNLOAD_DEVICE_LOG: frozenset({Role.CLINICIAN, Role.ENGINEER}),
    Action.MANAGE_PAIRING_KEYS: frozenset({Role.ENGINEER, Role.ADMIN}),
    # Theatre staff record what happens in theatre; an admin enters the registry's data.
    Action.RECORD_OUTCOMES: frozenset({Role.CLINICIAN, Role.THEATRE, Role.ADMIN}),
    Action.AUDIT_CLINIC: frozenset({Role.CLINICIAN, Role.ADMIN}),
    Action.EXPORT: frozenset({Role.CLINICIAN, Role.ADMIN}),
    Action.VERIFY_AUDIT: frozenset({Role.ENGINEER, Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
}


@dataclass(frozen=True, slots=True)
class User:
    """A console user as the rest of the console sees it (never the password hash)."""

    id: int
    username: str
    role: Role
    disabled: bool = False
    full_name: str | None = None  # who the user name belongs to, where it was given


def allowed(user: User, action: Action) -> bool:
    return not user.disabled and user.role in PERMISSIONS[action]


def require(user: User, action: Action) -> None:
    """Raise PermissionDenied unless ``user`` may do ``action``."""
    if user.disabled:
        raise PermissionDenied(f"user {user.username} is disabled")
    if user.role not in PERMISSIONS[action]:
        raise PermissionDenied(f"user {user.username} (role {user.role.value}) may not "
                               f"{action.value}")
