"""The import contracts (ui -> console -> device_link, Qt only in ui, the emulator apart
from the client side), and the command line and emulator running where Qt is absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.emulation.process import PortServerProcess
from tests.test_program_command import make, saved

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = 3
QT_PACKAGES = ("PySide6", "pyqtgraph", "shiboken6")

# A tree shaped like the project that keeps every contract: ui imports Qt, console
# imports the emulator. Each violation below adds one file and must break one contract.
ALLOWED_TREE = {
    "console/__init__.py": "import device_link.emulator.core\n",
    "ui/__init__.py": "import PySide6.QtWidgets\nimport pyqtgraph\nimport shiboken6\n",
    "device_link/__init__.py": "",
    "device_link/frame.py": "",
    "device_link/emulator/__init__.py": "from . import core\n",
    "device_link/emulator/core.py": "from device_link import frame\n",
}
VIOLATIONS = [
    ("console/plot.py", "import pyqtgraph\n", "console.plot -> pyqtgraph"),
    ("console/qt.py", "import shiboken6\n", "console.qt -> shiboken6"),
    ("device_link/port.py", "from PySide6 import QtSerialPort\n", "device_link.port -> PySide6"),
    ("device_link/client.py", "from .emulator import core\n",
     "device_link.client -> device_link.emulator.core"),
    ("device_link/__init__.py", "import device_link.emulator\n",
     "device_link -> device_link.emulator"),
]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is a test dependency: pip install -e .[test]"
    return subprocess.run([lint_imports, "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, check=False)


def test_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout, result.stdout


def _write_tree(root: Path, files: dict[str, str]) -> None:
    shutil.copy(ROOT / "pyproject.toml", root)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_allowed_imports_keep_every_contract(tmp_path):
    _write_tree(tmp_path, ALLOWED_TREE)
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout, result.stdout


@pytest.mark.parametrize(("path", "text", "chain"), VIOLATIONS)
def test_each_contract_breaks_on_a_violation(tmp_path, path, text, chain):
    _write_tree(tmp_path, {**ALLOWED_TREE, path: text})
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CONTRACTS - 1} kept, 1 broken" in result.stdout, result.stdout
    assert f"{chain} (l.1)" in result.stdout, result.stdout


@pytest.fixture
def without_qt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Child processes find Qt's packages refusing to import, as where Qt is not installed."""
    stubs = tmp_path / "no-qt"
    for name in QT_PACKAGES:
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named {name!r}\", name={name!r})\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((str(stubs), str(ROOT))))


def _mfconsole(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.shell.entry", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.usefixtures("without_qt")
@pytest.mark.parametrize("name", QT_PACKAGES)
def test_qt_cannot_be_imported_without_qt(name):
    result = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert f"ModuleNotFoundError: No module named '{name}'" in result.stderr


@pytest.mark.usefixtures("without_qt")
def test_the_window_needs_qt():
    result = _mfconsole("--demo")
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'PySide6'" in result.stderr


@pytest.mark.usefixtures("without_qt")
def test_the_command_line_runs_without_qt(tmp_path):
    result = _mfconsole("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: mfconsole")
    result = _mfconsole("program", "check", saved(tmp_path, make()), "--impedance-ohms", "0:650")
    assert result.returncode == 0, result.stderr
    assert "OK: writable as it is" in result.stdout


@pytest.mark.usefixtures("without_qt")
def test_the_emulator_runs_without_qt():
    with PortServerProcess([sys.executable, "-m", "ui.shell.entry", "emulator"]) as process:
        assert process.port
        assert process.returncode is None, process.stderr_text()
