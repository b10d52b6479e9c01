"""``mfconsole users add|list|disable|passwd|unlock``: the people who may use the console."""

from __future__ import annotations

import argparse

from console.accounts import Role
from console.cli.records_commands import (
    ENV_NEW_PASSWORD,
    acting,
    expected_failures,
    login,
    opened,
    print_json,
    print_table,
    read_secret,
    record_options,
)
from console.storage.setup import set_up_record


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="console users and their roles")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", parents=[record_options(json_output=True)],
        help="add a user (the first user of a new record is an admin, added without login)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--full-name", help="whom the user name belongs to (optional)")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="every user, enabled or not")
    listing.set_defaults(handler=_list)
    disable = actions.add_parser("disable", parents=[record_options()],
                                 help="disable a user (users are never deleted)")
    disable.add_argument("username")
    disable.set_defaults(handler=_disable)
    passwd = actions.add_parser("passwd", parents=[record_options()],
                                help=f"set a password (new one from ${ENV_NEW_PASSWORD} "
                                     "or a prompt)")
    passwd.add_argument("username")
    passwd.set_defaults(handler=_passwd)
    unlock = actions.add_parser("unlock", parents=[record_options()],
                                help="unlock an account locked after failed sign-ins")
    unlock.add_argument("username")
    unlock.set_defaults(handler=_unlock)


def _new_password(username: str) -> str:
    return read_secret(ENV_NEW_PASSWORD, f"New password for {username}: ", confirm=True)


def _add(args: argparse.Namespace) -> int:
    # Only the first admin, added without --user, may create a record: anything else
    # needs one that exists (a mistyped --db is refused, not a new record).
    bootstrap = args.role == Role.ADMIN.value and not args.user
    with opened(args, create=bootstrap) as record, expected_failures():
        created = not record.exists()
        actor = login(record, args) if record.has_users() else None
        if actor is None and args.role == Role.ADMIN.value:
            user = set_up_record(record, args.username, _new_password(args.username),
                                 full_name=args.full_name).admin
        else:
            user = record.add_user(actor, args.username, args.role,
                                   _new_password(args.username), full_name=args.full_name)
    if args.json:
        print_json({"username": user.username, "role": user.role.value,
                    "created_record": created})
        return 0
    if created:
        print(f"created a new clinical record: {record.where}")
    print(f"added {user.username} ({user.role.value})"
          + (" as the record's first admin" if actor is None else ""))
    return 0


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        users = record.list_users(actor)
    if args.json:
        print_json([{"username": u.username, "role": u.role.value, "disabled": u.disabled}
                    for u in users])
    else:
        print_table(("user", "role", "state"),
                    [(u.username, u.role.value, "disabled" if u.disabled else "enabled")
                     for u in users])
    return 0


def _disable(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        record.disable_user(actor, args.username)
    print(f"disabled {args.username}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        record.change_password(actor, args.username, _new_password(args.username))
    print(f"password of {args.username} changed")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        record.unlock_user(actor, args.username)
    print(f"unlocked {args.username}")
    return 0
