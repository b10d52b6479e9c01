"""Users, roles, password hashing and the permission check."""

from .errors import AccessError, AccountLocked, AuthenticationFailed, PermissionDenied
from .roles import PERMISSIONS, Action, Role, User, allowed, require

__all__ = ["PERMISSIONS", "AccessError", "AccountLocked", "Action", "AuthenticationFailed",
           "PermissionDenied", "Role", "User", "allowed", "require"]
