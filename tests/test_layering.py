"""The layers ui -> console -> device_link, and Qt widgets only in ui, checked on every run."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET_MODULES = ("PySide6.QtWidgets", "PySide6.QtGui", "pyqtgraph")


def test_import_layers_hold():
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is a test dependency: pip install -e .[test]"
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout, result.stdout


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _widget_imports_outside_ui(root: Path) -> list[str]:
    offenders = []
    for package in ("console", "device_link"):
        for path in (root / package).rglob("*.py"):
            for name in _imported_modules(path):
                if name.startswith(WIDGET_MODULES):
                    offenders.append(f"{path.relative_to(root)}: {name}")
    return offenders


def test_only_ui_imports_qt_widgets():
    assert _widget_imports_outside_ui(ROOT) == []


def test_widget_check_would_catch_an_offender(tmp_path):
    (tmp_path / "console").mkdir()
    (tmp_path / "device_link").mkdir()
    (tmp_path / "console" / "bad.py").write_text("from PySide6 import QtWidgets\n")
    assert _widget_imports_outside_ui(tmp_path) == ["console/bad.py: PySide6.QtWidgets"]
