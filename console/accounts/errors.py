"""Refusals of the access rules: who may log in and who may do what."""

from __future__ import annotations

from datetime import datetime


class AccessError(Exception):
    """An expected refusal; the message is one line for the user."""


class AuthenticationFailed(AccessError):
    """Unknown user, wrong password or disabled account (never says which)."""


class AccountLocked(AuthenticationFailed):
    """Too many failed sign-ins in a row: refused, even with the right password, until
    ``until`` (UTC) or an administrator unlocks the account."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class PermissionDenied(AccessError):
    """The user's role does not allow the action, or the account is disabled."""
