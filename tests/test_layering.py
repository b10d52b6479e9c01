"""The import contracts, checked on every run: ui -> console -> device_link, Qt only in
ui, and the emulator apart from the client side of device_link."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = 3

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
