"""Users, roles, password hashing and the permission check."""

from .errors import AccessError, AuthenticationFailed, PermissionDenied
from .roles import PERMISSIONS, Action, Role, User, allowed, require

__all__ = ["PERMISSIONS", "AccessError", "Action", "AuthenticationFailed", "PermissionDenied",
           "Role", "User", "allowed", "require"]
