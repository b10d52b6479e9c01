"""``mfconsole desktop install|uninstall [--prefix DIR]``: the Linux menu entry and icon.

A console installed with pip or pipx has no menu entry of its own: this writes the
shipped freedesktop entry and icons where the desktop looks for a user's applications
(``~/.local/share`` unless ``XDG_DATA_HOME`` says otherwise), or under ``--prefix``
(``/usr/local/share`` for every user of the machine). Uninstall removes exactly those
files, nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from pathlib import Path

from console.cli.errors import CliError
from console.paths import (
    DESKTOP_ENTRY,
    ICON_PNG,
    ICON_SVG,
    desktop_data_folder,
    desktop_integration_supported,
    shipped,
)

INSTALLED: tuple[tuple[str, str], ...] = (
    (DESKTOP_ENTRY, "applications/mfconsole.desktop"),
    (ICON_SVG, "icons/hicolor/scalable/apps/mfconsole.svg"),
    (ICON_PNG, "icons/hicolor/256x256/apps/mfconsole.png"),
)
"""Each shipped resource and where it goes under the prefix (the freedesktop layout)."""

LAUNCHER = "mfconsole"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("desktop", help="add or remove the Linux menu entry and icon")
    actions = parser.add_subparsers(dest="desktop_action", metavar="ACTION", required=True)
    for name, handler, text in (
            ("install", _install, "write the menu entry and icon"),
            ("uninstall", _uninstall, "remove the menu entry and icon written by install")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--prefix", type=Path, metavar="DIR",
                            help="share folder to use (default: $XDG_DATA_HOME or "
                                 "~/.local/share; /usr/local/share for every user)")
        action.set_defaults(handler=handler)


def destinations(prefix: Path) -> list[tuple[Path, Path]]:
    """(shipped file, installed file) for each file ``install`` writes under ``prefix``."""
    return [(shipped(source), prefix / target) for source, target in INSTALLED]


def _prefix(args: argparse.Namespace) -> Path:
    if args.prefix is not None:
        return args.prefix.expanduser().resolve()
    if not desktop_integration_supported():
        raise CliError("menu entries of this kind are for Linux desktops; to write the files "
                       "anyway, name a folder with --prefix")
    return desktop_data_folder()


def _install(args: argparse.Namespace) -> int:
    prefix = _prefix(args)
    for source, target in destinations(prefix):
        _copy(source, target)
        print(f"installed {target}")
    if shutil.which(LAUNCHER) is None:
        print(f"mfconsole: note: '{LAUNCHER}' is not on PATH, so the menu entry cannot start "
              "it; with pipx run 'pipx ensurepath' and sign in again", file=sys.stderr)
    return 0


def _uninstall(args: argparse.Namespace) -> int:
    prefix = _prefix(args)
    removed = 0
    for _, target in destinations(prefix):
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise CliError(f"cannot remove {target}: {exc.strerror or exc}") from None
        removed += 1
        print(f"removed {target}")
    if not removed:
        print(f"no menu entry or icon of the console under {prefix}")
    return 0


def _copy(source: Path, target: Path) -> None:
    """Written aside, then renamed: a desktop never reads a half-written entry."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, partial)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
