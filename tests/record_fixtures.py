"""The clinical record on each backend, with a password hasher fast enough for tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from console.storage import ClinicalRecord, InstallationKey

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id still, with minimal cost: the tests check behaviour, not hashing strength."""


@pytest.fixture()
def record(backend_url) -> Iterator[ClinicalRecord]:
    """An empty record on each backend in turn (``backend_url`` is parametrized)."""
    opened = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    yield opened
    opened.close()
