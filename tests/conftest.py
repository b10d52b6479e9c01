"""Shared test setup: headless Qt and the MFL/1 vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads((DATA / "mfl1_vectors.json").read_text())

# Fixtures shared by many test modules live in their own files.
pytest_plugins = ["tests.emulator_harness", "tests.pg_harness", "tests.window_fixtures",
                  "tests.record_fixtures"]
