"""Users of the console: adding, disabling (never deleting), passwords, logging in and
the lockout after failed sign-ins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.accounts import (
    AccessError,
    AccountLocked,
    Action,
    AuthenticationFailed,
    PermissionDenied,
    Role,
    User,
)
from console.accounts.passwords import check_password_quality, verify_password
from console.audit.chain import format_time
from console.audit.events import AuditEvent
from console.storage import transactions
from console.storage.errors import ConflictError, InvalidRecord, NotFound
from console.storage.models import UserRow
from console.storage.service import RecordService, user_from_row
from console.storage.transactions import Tx
from console.storage.types import utc_now

USERNAME = re.compile(r"[a-z][a-z0-9._-]{0,63}")
# Verified against for unknown users, so a failed login takes as long either way.
_UNKNOWN_USER_PASSWORD = "unknown user: compare against something"
_REFUSED = "unknown user, wrong password or disabled account"
FULL_NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class UserAccount:
    """A user as an administrator sees them: the account, and its lock after failed
    sign-ins (``locked_until`` UTC, None when not locked)."""

    user: User
    locked_until: datetime | None


def _check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise InvalidRecord(f"username {username!r} must be 1-64 characters: a lower-case "
                            "letter, then lower-case letters, digits, '.', '_' or '-'")


def _check_password(password: str) -> None:
    try:
        check_password_quality(password)
    except ValueError as exc:
        raise InvalidRecord(str(exc)) from None


def _check_full_name(full_name: str | None) -> str | None:
    """The full name as kept: None when none was given; refused when too long."""
    if full_name is None or not full_name.strip():
        return None
    if len(full_name.strip()) > FULL_NAME_LIMIT:
        raise InvalidRecord(f"full name is {len(full_name.strip())} characters, at most "
                            f"{FULL_NAME_LIMIT}")
    return full_name.strip()


def check_new_account(username: str, password: str, full_name: str | None = None) -> None:
    """Refuse a user name, password or full name the record would refuse, before anything
    is created (InvalidRecord names what is wrong)."""
    _check_username(username)
    _check_password(password)
    _check_full_name(full_name)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidRecord(f"role {role!r} is not one of "
                            f"{', '.join(r.value for r in Role)}") from None


def _lock_end(locked_until: datetime | None) -> datetime | None:
    """When the account's current lock ends; None when it is not locked (or no longer)."""
    return locked_until if locked_until is not None and locked_until > utc_now() else None


class UsersMixin(RecordService):
    def has_users(self) -> bool:
        """False on a new record: then the first user, an admin, is added without a login."""
        if not self.exists():
            return False
        with transactions.read(self.engine) as session:
            return session.execute(select(func.count()).select_from(UserRow)).scalar_one() > 0

    def add_user(self, actor: User | None, username: str, role: Role | str,
                 password: str, *, full_name: str | None = None) -> User:
        """Add a user; ``actor`` None is allowed only for the first user, who must be an admin.

        Where there is no record yet, adding its first admin creates it.
        """
        _check_username(username)
        _check_password(password)
        full_name = _check_full_name(full_name)
        role = _role(role)
        if actor is None and role is not Role.ADMIN:
            raise InvalidRecord("the first user must be an admin")
        password_hash = self._hasher.hash(password)
        if actor is None:
            self._create()
        with transactions.write(self.engine) as tx:
            if actor is None:
                if tx.session.execute(select(func.count()).select_from(UserRow)).scalar_one():
                    raise PermissionDenied("only the first user is added without a login")
            else:
                self._acting(tx.session, actor, Action.MANAGE_USERS)
            if tx.session.execute(select(UserRow.id).where(UserRow.username == username)).first():
                raise ConflictError(f"user {username} exists already")
            row = UserRow(username=username, full_name=full_name, role=role.value,
                          password_hash=password_hash, disabled=False, created_at=utc_now())
            tx.session.add(row)
            tx.session.flush()
            details = {"username": username, "role": role.value, "bootstrap": actor is None}
            if full_name is not None:
                details["full_name"] = full_name
            tx.audit(AuditEvent.USER_ADDED, actor, details)
            return user_from_row(row)

    def list_users(self, actor: User) -> list[User]:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.MANAGE_USERS)
            rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars()
            return [user_from_row(row) for row in rows]

    def user_accounts(self, actor: User) -> list[UserAccount]:
        """Every user with the end of their lock, for managing users (administrators only)."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.MANAGE_USERS)
            rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars()
            return [UserAccount(user_from_row(row), _lock_end(row.locked_until))
                    for row in rows]

    def disable_user(self, actor: User, username: str) -> User:
        """Disable an account; the last enabled admin cannot be disabled."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_USERS)
            row = self._user_row(tx.session, username)
            if row.disabled:
                raise ConflictError(f"user {username} is disabled already")
            self._keep_an_admin(tx.session, row, "disabled")
            row.disabled = True
            tx.session.flush()
            tx.audit(AuditEvent.USER_DISABLED, actor, {"username": username})
            return user_from_row(row)

    def change_role(self, actor: User, username: str, role: Role | str) -> User:
        """Give a user another role (administrators only); the last enabled admin keeps
        theirs, so that someone can always manage users."""
        role = _role(role)
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_USERS)
            row = self._user_row(tx.session, username)
            if row.role == role.value:
                raise ConflictError(f"user {username} has the role {role.value} already")
            if role is not Role.ADMIN:
                self._keep_an_admin(tx.session, row, f"made {role.value}")
            previous, row.role = row.role, role.value
            tx.session.flush()
            tx.audit(AuditEvent.ROLE_CHANGED, actor, {"username": username, "from": previous,
                                                      "to": role.value})
            return user_from_row(row)

    @staticmethod
    def _keep_an_admin(session: Session, row: UserRow, change: str) -> None:
        """Refuse to take the last enabled admin away (disabled, or given another role)."""
        if row.role != Role.ADMIN.value or row.disabled:
            return
        admins = session.execute(select(func.count()).select_from(UserRow).where(
            UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False))).scalar_one()
        if admins <= 1:
            raise ConflictError(f"user {row.username} is the last enabled admin and cannot be "
                                f"{change}: make another admin first")

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

    def unlock_user(self, actor: User, username: str) -> None:
        """End a lock after failed sign-ins before its time (administrators only)."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_USERS)
            row = self._user_row(tx.session, username)
            until = _lock_end(row.locked_until)
            if until is None:
                raise ConflictError(f"user {username} is not locked")
            tx.audit(AuditEvent.ACCOUNT_UNLOCKED, actor, {
                "username": username, "was_locked_until": format_time(until)})
            row.locked_until = None
            row.failed_sign_ins = 0

    def authenticate(self, username: str, password: str) -> User:
        """Log in; every success, failure and lock is audited.

        Raises AuthenticationFailed; AccountLocked, even for the right password, while the
        account is locked after the safety profile's number of failed sign-ins in a row.
        """
        stored = self._password_to_check(username)
        ok = stored is not None and verify_password(self._hasher, stored, password)
        rehash = self._hasher.hash(password) if ok and self._hasher.check_needs_rehash(
            stored or "") else None
        with transactions.write(self.engine) as tx:
            outcome = self._sign_in(tx, username, ok, rehash)
        if isinstance(outcome, AccessError):
            raise outcome
        return outcome

    def _password_to_check(self, username: str) -> str | None:
        """The stored hash; None for an unknown or locked user (then no password is tried)."""
        with transactions.read(self.engine) as session:
            found = session.execute(select(UserRow.password_hash, UserRow.locked_until).where(
                UserRow.username == username)).first()
        if found is None:
            self._hasher.hash(_UNKNOWN_USER_PASSWORD)
            return None
        stored, locked_until = found
        return None if _lock_end(locked_until) else stored

    def _sign_in(self, tx: Tx, username: str, ok: bool, rehash: str | None) -> User | AccessError:
        """Audit one attempt against the account as it is now; the refusal is returned so
        that it is raised after the audit entry is committed."""
        row = tx.session.execute(select(UserRow).where(UserRow.username == username)).scalar()
        if row is None:
            return self._refuse(tx, username, "unknown user")
        until = _lock_end(row.locked_until)
        if until is not None:
            self._refuse(tx, username, "locked")
            return self._locked_error(username, until)
        if not ok:
            self._refuse(tx, username, "wrong password")
            return self._count_failure(tx, row)
        if row.disabled:
            return self._refuse(tx, username, "disabled")
        if row.failed_sign_ins or row.locked_until is not None:
            row.failed_sign_ins, row.locked_until = 0, None
        if rehash is not None:
            row.password_hash = rehash
        user = user_from_row(row)
        tx.audit(AuditEvent.LOGIN, user, {"username": username})
        return user

    @staticmethod
    def _refuse(tx: Tx, username: str, reason: str) -> AuthenticationFailed:
        tx.audit(AuditEvent.LOGIN_FAILED, None, {"username": username, "reason": reason})
        return AuthenticationFailed(_REFUSED)

    def _count_failure(self, tx: Tx, row: UserRow) -> AccessError:
        """One more failure in a row; at the profile's limit the account is locked."""
        profile = self.safety_profile()
        row.failed_sign_ins += 1
        if row.failed_sign_ins < profile.sign_in_failed_attempts_lockout:
            return AuthenticationFailed(_REFUSED)
        until = utc_now() + timedelta(minutes=profile.sign_in_lockout_minutes)
        tx.audit(AuditEvent.ACCOUNT_LOCKED, None, {
            "username": row.username, "failed_sign_ins": row.failed_sign_ins,
            "until": format_time(until)})
        row.failed_sign_ins, row.locked_until = 0, until
        return self._locked_error(row.username, until)

    def _locked_error(self, username: str, until: datetime) -> AccountLocked:
        attempts = self.safety_profile().sign_in_failed_attempts_lockout
        return AccountLocked(
            f"account {username} is locked until {until:%Y-%m-%d %H:%M:%S} UTC after "
            f"{attempts} failed sign-ins in a row: sign in after that time, or ask an "
            f"administrator to unlock it (mfconsole users unlock {username})", until)

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
