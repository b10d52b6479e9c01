"""The Linux menu entry and icon: what the shipped entry says, where ``mfconsole desktop
install`` puts it (and ``uninstall`` takes it away), and the window wearing the same icon."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from console.paths import DESKTOP_ENTRY, ICON_PNG, ICON_SVG, shipped
from ui.shell.app import application

SOURCE = Path(__file__).resolve().parents[1]
INSTALLED = ("applications/mfconsole.desktop", "icons/hicolor/scalable/apps/mfconsole.svg",
             "icons/hicolor/256x256/apps/mfconsole.png")
SHIPPED = (DESKTOP_ENTRY, ICON_SVG, ICON_PNG)


def _entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(shipped(DESKTOP_ENTRY).read_text("utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def _desktop(home: Path, *argv: str, path: str | None = None,
             **env: str) -> subprocess.CompletedProcess[str]:
    """``mfconsole desktop ARGV`` as its own process, for a user whose home is ``home``."""
    environment = {"PATH": os.environ.get("PATH", "") if path is None else path,
                   "PYTHONPATH": str(SOURCE), "HOME": str(home), **env}
    return subprocess.run([sys.executable, "-m", "ui.shell.entry", "desktop", *argv],
                          cwd=home, env=environment, capture_output=True, text=True,
                          timeout=60)


def test_the_entry_follows_the_freedesktop_specification():
    entry = _entry()
    assert entry["Type"] == "Application"
    assert entry["Version"] == "1.4"
    assert entry["Name"] == "Multifidus Console"
    assert entry["GenericName"] == "Neurostimulator Programmer"
    assert entry["Comment"].startswith("Program and test the implanted multifidus")
    assert entry["Icon"] == "mfconsole"
    assert entry["Terminal"] == "false"
    # Science is the main category; MedicalSoftware, the registered additional one, needs it.
    assert entry["Categories"] == "Science;MedicalSoftware;"
    keywords = entry["Keywords"].split(";")
    assert keywords[-1] == "" and {"neurostimulator", "multifidus", "impedance"} <= set(keywords)


def test_the_entry_starts_the_installed_program():
    scripts = tomllib.loads((SOURCE / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert _entry()["Exec"] == "mfconsole"
    assert scripts["mfconsole"] == "ui.shell.entry:main"


def test_install_writes_the_entry_and_icons_where_the_desktop_looks(tmp_path):
    prefix = tmp_path / "share"
    done = _desktop(tmp_path, "install", "--prefix", str(prefix))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"installed {prefix / name}" for name in INSTALLED]
    for name, resource in zip(INSTALLED, SHIPPED, strict=True):
        written = prefix / name
        assert written.read_bytes() == shipped(resource).read_bytes()
        assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert not list(prefix.rglob(".*.partial"))


def test_uninstall_removes_exactly_what_install_wrote(tmp_path):
    prefix = tmp_path / "share"
    assert _desktop(tmp_path, "install", "--prefix", str(prefix)).returncode == 0
    neighbour = prefix / "applications" / "other.desktop"
    neighbour.write_text("[Desktop Entry]\n")
    done = _desktop(tmp_path, "uninstall", "--prefix", str(prefix))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"removed {prefix / name}" for name in INSTALLED]
    assert not any((prefix / name).exists() for name in INSTALLED)
    assert neighbour.exists()
    again = _desktop(tmp_path, "uninstall", "--prefix", str(prefix))
    assert (again.returncode, again.stdout) == (0, f"no menu entry or icon of the console "
                                                   f"under {prefix}\n")


def test_the_default_is_the_users_own_share_folder(tmp_path):
    done = _desktop(tmp_path, "install")
    assert done.returncode == 0, done.stderr
    assert all((tmp_path / ".local" / "share" / name).is_file() for name in INSTALLED)
    moved = _desktop(tmp_path, "install", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert moved.returncode == 0, moved.stderr
    assert all((tmp_path / "xdg" / name).is_file() for name in INSTALLED)


def test_install_says_when_the_menu_entry_could_not_start_the_console(tmp_path):
    unreachable = _desktop(tmp_path, "install", "--prefix", str(tmp_path / "a"),
                           path=str(tmp_path / "empty"))
    assert unreachable.returncode == 0
    assert unreachable.stderr == ("mfconsole: note: 'mfconsole' is not on PATH, so the menu "
                                  "entry cannot start it; with pipx run 'pipx ensurepath' and "
                                  "sign in again\n")
    launchers = tmp_path / "bin"
    launchers.mkdir()
    (launchers / "mfconsole").write_text("#!/bin/sh\n")
    (launchers / "mfconsole").chmod(0o755)
    reachable = _desktop(tmp_path, "install", "--prefix", str(tmp_path / "b"),
                         path=str(launchers))
    assert (reachable.returncode, reachable.stderr) == (0, "")


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path):
    blocker = tmp_path / "share"
    blocker.write_text("a file where the folder should be")
    done = _desktop(tmp_path, "install", "--prefix", str(blocker))
    assert done.returncode == 1
    assert done.stderr.startswith(f"mfconsole: cannot write {blocker / INSTALLED[0]}: ")
    assert len(done.stderr.splitlines()) == 1


def _rendered(size: int) -> QImage:
    renderer = QSvgRenderer(str(shipped(ICON_SVG)))
    assert renderer.isValid()
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def test_the_png_icon_is_the_svg_at_256_pixels(qapp):
    png = QImage(str(shipped(ICON_PNG))).convertToFormat(QImage.Format.Format_ARGB32)
    assert png.size() == QSize(256, 256)
    assert _differing(png, _rendered(256)) <= 1 / 100
    assert png.pixelColor(4, 4).alpha() == 0  # the rounded corner is transparent
    assert png.pixelColor(128, 128).alpha() == 255


def _differing(a: QImage, b: QImage) -> float:
    """The share of pixels, sampled every 4th, where any channel differs by more than 24."""
    samples = [(x, y) for y in range(0, 256, 4) for x in range(0, 256, 4)]
    return sum(1 for x, y in samples if _distance(a.pixel(x, y), b.pixel(x, y)) > 24) \
        / len(samples)


def _distance(a: int, b: int) -> int:
    return max(abs(((a >> shift) & 0xFF) - ((b >> shift) & 0xFF)) for shift in (0, 8, 16, 24))


@pytest.mark.usefixtures("qapp")
def test_the_window_wears_the_same_icon_and_names_its_entry():
    app = application()
    assert app.desktopFileName() == "mfconsole"
    icon = app.windowIcon()
    assert not icon.isNull()
    assert icon.availableSizes() == [QSize(256, 256)]
    shown = icon.pixmap(256, 256).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    assert _differing(shown, _rendered(256)) <= 1 / 100
