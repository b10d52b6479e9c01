"""Which database the console uses: ``--db``, then ``MFCONSOLE_DB``, then a local SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

from console.paths import APP_NAME, ENV_DATABASE
from console.paths import record_file as default_database_path

__all__ = ["APP_NAME", "ENV_DATABASE", "database_url", "default_database_path"]


def database_url(args_db: str | None) -> str:
    """The SQLAlchemy URL to open.

    ``args_db`` is the value of a ``--db`` option (a URL, or a plain file path
    taken as an SQLite file). A clinic's shared server is a
    ``postgresql+psycopg://`` URL.
    """
    chosen = args_db or os.environ.get(ENV_DATABASE) or ""
    if not chosen:
        return f"sqlite:///{default_database_path()}"
    if "://" in chosen:
        return chosen
    return f"sqlite:///{Path(chosen).expanduser().resolve()}"
