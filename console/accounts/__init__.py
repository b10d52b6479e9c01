"""Users, roles, password hashing and the permission check."""

from console.accounts.errors import (
           AccessError,
           AccountLocked,
           AuthenticationFailed,
           PermissionDenied,
)
from console.accounts.roles import PERMISSIONS, Action, Role, User, allowed, require

__all__ = ["PERMISSIONS", "AccessError", "AccountLocked", "Action", "AuthenticationFailed",
           "PermissionDenied", "Role", "User", "allowed", "require"]
