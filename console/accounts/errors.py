"""Refusals of the access rules: who may log in and who may do what."""

from __future__ import annotations


class AccessError(Exception):
    """An expected refusal; the message is one line for the user."""


class AuthenticationFailed(AccessError):
    """Unknown user, wrong password or disabled account (never says which)."""


class PermissionDenied(AccessError):
    """The user's role does not allow the action, or the account is disabled."""
