"""Users of the console: adding, disabling (never deleting), passwords and logging in."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts import Action, AuthenticationFailed, PermissionDenied, Role, User
from ..accounts.passwords import check_password_quality, verify_password
from ..audit.events import AuditEvent
from . import transactions
from .errors import ConflictError, InvalidRecord, NotFound
from .models import UserRow
from .service import RecordService, user_from_row
from .types import utc_now

USERNAME = re.compile(r"[a-z][a-z0-9._-]{0,63}")
# Verified against for unknown users, so a failed login takes as long either way.
_UNKNOWN_USER_PASSWORD = "unknown user: compare against something"


def _check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise InvalidRecord(f"username {username!r} must be 1-64 characters: a lower-case "
                            "letter, then lower-case letters, digits, '.', '_' or '-'")


def _check_password(password: str) -> None:
    try:
        check_password_quality(password)
    except ValueError as exc:
        raise InvalidRecord(str(exc)) from None


class UsersMixin(RecordService):
    def has_users(self) -> bool:
        """False on a new record: then the first user, an admin, is added without a login."""
        with transactions.read(self.engine) as session:
            return session.execute(select(func.count()).select_from(UserRow)).scalar_one() > 0

    def add_user(self, actor: User | None, username: str, role: Role | str,
                 password: str) -> User:
        """Add a user; ``actor`` None is allowed only for the first user, who must be an admin."""
        _check_username(username)
        _check_password(password)
        try:
            role = Role(role)
        except ValueError:
            raise InvalidRecord(f"role {role!r} is not one of "
                                f"{', '.join(r.value for r in Role)}") from None
        password_hash = self._hasher.hash(password)
        with transactions.write(self.engine) as tx:
            if actor is None:
                if tx.session.execute(select(func.count()).select_from(UserRow)).scalar_one():
                    raise PermissionDenied("only the first user is added without a login")
                if role is not Role.ADMIN:
                    raise InvalidRecord("the first user must be an admin")
            else:
                self._acting(tx.session, actor, Action.MANAGE_USERS)
            if tx.session.execute(select(UserRow.id).where(UserRow.username == username)).first():
                raise ConflictError(f"user {username} exists already")
            row = UserRow(username=username, role=role.value, password_hash=password_hash,
                          disabled=False, created_at=utc_now())
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.USER_ADDED, actor, {"username": username, "role": role.value,
                                                    "bootstrap": actor is None})
            return user_from_row(row)

    def list_users(self, actor: User) -> list[User]:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.MANAGE_USERS)
            rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars()
            return [user_from_row(row) for row in rows]

    def disable_user(self, actor: User, username: str) -> User:
        """Disable an account; the last enabled admin cannot be disabled."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_USERS)
            row = self._user_row(tx.session, username)
            if row.disabled:
                raise ConflictError(f"user {username} is disabled already")
            if row.role == Role.ADMIN.value:
                admins = tx.session.execute(select(func.count()).select_from(UserRow).where(
                    UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False))).scalar_one()
                if admins <= 1:
                    raise ConflictError(f"user {username} is the last enabled admin")
            row.disabled = True
            tx.session.flush()
            tx.audit(AuditEvent.USER_DISABLED, actor, {"username": username})
            return user_from_row(row)

    def change_password(self, actor: User, username: str, new_password: str) -> None:
        """Users change their own password; an admin may set anyone's."""
        _check_password(new_password)
        password_hash = self._hasher.hash(new_password)
        with transactions.write(self.engine) as tx:
            if actor.username != username:
                self._acting(tx.session, actor, Action.MANAGE_USERS)
            else:
                self._acting(tx.session, actor, Action.VIEW_RECORD)
            row = self._user_row(tx.session, username)
            row.password_hash = password_hash
            tx.session.flush()
            tx.audit(AuditEvent.PASSWORD_CHANGED, actor, {"username": username})

    def authenticate(self, username: str, password: str) -> User:
        """Log in; every success and failure is audited. Raises AuthenticationFailed."""
        with transactions.read(self.engine) as session:
            found = session.execute(select(UserRow.password_hash, UserRow.disabled).where(
                UserRow.username == username)).first()
        stored, disabled = found if found is not None else (None, False)
        if stored is None:
            self._hasher.hash(_UNKNOWN_USER_PASSWORD)
            ok, reason = False, "unknown user"
        elif not verify_password(self._hasher, stored, password):
            ok, reason = False, "wrong password"
        elif disabled:
            ok, reason = False, "disabled"
        else:
            ok, reason = True, ""
        rehash = self._hasher.hash(password) if ok and self._hasher.check_needs_rehash(
            stored or "") else None
        with transactions.write(self.engine) as tx:
            current = self._user_row(tx.session, username) if ok else None
            if current is not None and current.disabled:  # disabled since the check above
                ok, reason = False, "disabled"
            if current is None or not ok:
                tx.audit(AuditEvent.LOGIN_FAILED, None, {"username": username, "reason": reason})
            else:
                if rehash is not None:
                    current.password_hash = rehash
                user = user_from_row(current)
                tx.audit(AuditEvent.LOGIN, user, {"username": username})
        if not ok:
            raise AuthenticationFailed("unknown user, wrong password or disabled account")
        return user

    def require(self, user: User, action: Action) -> None:
        """Raise PermissionDenied unless ``user``, as the record knows them now, may act."""
        with transactions.read(self.engine) as session:
            self._acting(session, user, action)

    @staticmethod
    def _user_row(session: Session, username: str) -> UserRow:
        row = session.execute(select(UserRow).where(UserRow.username == username)).scalar()
        if row is None:
            raise NotFound(f"no user named {username!r}")
        return row
