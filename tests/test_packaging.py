"""A clinic installs the console from a wheel, without a source checkout.

The wheel is built offline from a copy of the sources (with the build backend of this
environment), then installed into a folder of its own and run from outside the source
tree, with no site folders but the dependencies': only what the wheel holds can be
imported, so a resource left out of it fails here, not at the clinic. The tests that run
the installed wheel take some 20 s together: they are in the slow tier.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import sqlite3
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from console.storage.migrate import head_revision

SOURCE = Path(__file__).resolve().parents[1]
PACKAGES = ("console", "ui", "device_link", "resources")
BUILD_INPUTS = ("pyproject.toml", "README.md", *PACKAGES)
GUIDE_PROBE = "resources/guide/figures/probe.svg"
"""Stands for the user guide's files: any file under ``resources/guide``, at any depth."""

READ_AT_RUN_TIME = (
    "resources/safety_profile.toml",
    "resources/placement_profile.toml",
    "resources/demo-emulator.key",
    "resources/desktop/mfconsole.desktop",
    "resources/icons/mfconsole.svg",
    "resources/icons/mfconsole.png",
    "console/storage/migrations/env.py",
    "console/storage/migrations/script.py.mako",
    "console/storage/migrations/versions/0001_clinical_record.py",
    GUIDE_PROBE,
)
"""Named one by one as well: the comparison with the source tree cannot miss them."""

ENTRY = ("import sys; from importlib.metadata import entry_points; "
         "(script,) = entry_points(group='console_scripts', name='mfconsole'); "
         "sys.exit(script.load()(sys.argv[1:]))")
"""``mfconsole``, as the launcher pip writes for the wheel's entry point runs it."""

LOADS_RESOURCES = """
import json
import console, device_link, resources, ui
from console.paths import DESKTOP_ENTRY, ICON_PNG, shipped
from console.placement.profile import load_placement_profile
from console.safety.profile import load_profile
from console.storage.migrate import head_revision
from device_link.emulator.config import load_demo_key

load_profile()
load_placement_profile()
load_demo_key()
print(json.dumps({
    "packages": [module.__file__ for module in (console, device_link, resources, ui)],
    "shipped": [str(shipped(name)) for name in (DESKTOP_ENTRY, ICON_PNG)],
    "head": head_revision(),
}))
"""


def _source_files() -> set[str]:
    return {path.relative_to(SOURCE).as_posix()
            for package in PACKAGES for path in (SOURCE / package).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the sources: the worktree is left as it was."""
    backend = version("setuptools")
    assert int(backend.split(".")[0]) >= 77, (
        f"setuptools {backend} here; building the wheel needs setuptools>=77 (pyproject's "
        "[build-system]), which the test extras install: pip install -e '.[test]'")
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "source"
    tree.mkdir()
    for name in BUILD_INPUTS:
        if (SOURCE / name).is_dir():
            shutil.copytree(SOURCE / name, tree / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(SOURCE / name, tree / name)
    (tree / GUIDE_PROBE).parent.mkdir(parents=True, exist_ok=True)
    (tree / GUIDE_PROBE).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(work / "dist"), str(tree)],
        cwd=work, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (work / "dist").glob("multifidus_console-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder of its own, as pip installs it for a clinic."""
    target = tmp_path_factory.mktemp("installed")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def _run(installed: Path, home: Path, *argv: str,
         **env: str) -> subprocess.CompletedProcess[str]:
    """Python with no site folders and no sources: the installed wheel, then the
    dependencies; ``home`` as the user's home and working folder, outside the sources."""
    dependencies = [folder for folder in site.getsitepackages() if Path(folder).is_dir()]
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
                   "PYTHONPATH": os.pathsep.join([str(installed), *dependencies]),
                   "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
                   "XDG_STATE_HOME": str(home / "state"), "QT_QPA_PLATFORM": "offscreen",
                   **env}
    return subprocess.run([sys.executable, "-S", *argv], cwd=home, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_wheel_holds_every_file_the_console_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(READ_AT_RUN_TIME) <= names, sorted(set(READ_AT_RUN_TIME) - names)
    missing = _source_files() - names
    assert not missing, sorted(missing)
    assert not [name for name in names if name.startswith(("tests/", "scripts/", "docs/"))]


def test_the_wheel_declares_the_mfconsole_command(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [name for name in archive.namelist()
                       if name.endswith(".dist-info/entry_points.txt")]
    text = archive.read(entry_points).decode("utf-8")
    assert "[console_scripts]\nmfconsole = ui.shell.entry:main\n" in text


@pytest.mark.slow
def test_installed_it_runs_from_its_own_files_outside_the_sources(installed, tmp_path):
    done = _run(installed, tmp_path, "-c", LOADS_RESOURCES)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    for name in (*found["packages"], *found["shipped"]):
        assert Path(name).is_relative_to(installed), name
    assert all(Path(name).is_file() for name in found["shipped"])
    assert found["head"] == head_revision()


@pytest.mark.slow
def test_installed_mfconsole_answers_help(installed, tmp_path):
    done = _run(installed, tmp_path, "-c", ENTRY, "--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: mfconsole ")
    for command in ("device", "emulator", "users", "paths", "desktop"):
        assert f"\n    {command} " in done.stdout, command


@pytest.mark.slow
def test_installed_it_creates_a_record_with_its_migrations(installed, tmp_path):
    record = tmp_path / "clinic" / "record.sqlite3"
    record.parent.mkdir()
    env = {"MFCONSOLE_DB": str(record),
           "MFCONSOLE_INSTALLATION_KEY": str(tmp_path / "clinic" / "installation.key"),
           "MFCONSOLE_NEW_PASSWORD": "first admin password 1"}
    added = _run(installed, tmp_path, "-c", ENTRY, "users", "add", "admin", "--role", "admin",
                 **env)
    assert added.returncode == 0, added.stderr
    with sqlite3.connect(record) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == head_revision()
    listed = _run(installed, tmp_path, "-c", ENTRY, "users", "list", "--json",
                  MFCONSOLE_USER="admin", MFCONSOLE_PASSWORD="first admin password 1", **env)
    assert listed.returncode == 0, listed.stderr
    assert [user["username"] for user in json.loads(listed.stdout)] == ["admin"]


@pytest.mark.slow
def test_installed_it_says_where_things_live_and_installs_its_menu_entry(installed, tmp_path):
    shown = _run(installed, tmp_path, "-c", ENTRY, "paths", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["record"]["where"] == str(
        tmp_path / "data" / "mfconsole" / "clinical-record.sqlite3")
    desktop = _run(installed, tmp_path, "-c", ENTRY, "desktop", "install")
    assert desktop.returncode == 0, desktop.stderr
    entry = tmp_path / "data" / "applications" / "mfconsole.desktop"
    assert entry.read_bytes() == (installed / "resources/desktop/mfconsole.desktop").read_bytes()
    assert (tmp_path / "data/icons/hicolor/256x256/apps/mfconsole.png").is_file()
