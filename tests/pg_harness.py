"""A throwaway PostgreSQL cluster for the storage tests.

``postgres_url`` starts one cluster per test session (initdb in a temporary
directory, a free port on 127.0.0.1, the unix socket in the same directory)
and removes it afterwards; ``fresh_postgres_url`` gives each test its own
empty database in that cluster. PostgreSQL refuses to run as root, so when
the tests run as root the server runs as the ``postgres`` system user.
A machine without PostgreSQL fails these tests with a message: they are
never skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

READY_TIMEOUT_S = 60.0
_database_numbers = itertools.count(1)


@dataclass(frozen=True)
class PostgresCluster:
    """A running cluster: where it lives and how to reach it."""

    root: Path
    port: int
    bin_dir: Path
    run_as: str | None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=database, autocommit=True, connect_timeout=5)


def find_postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's layout."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name)
                        if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cluster_cmd: list[str], run_as: str | None) -> subprocess.CompletedProcess[str]:
    command = ["runuser", "-u", run_as, "--", *cluster_cmd] if run_as else cluster_cmd
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _wait_until_ready(cluster: PostgresCluster, log: Path) -> None:
    """Poll a real connection until it succeeds, with a bounded deadline."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with cluster.connect() as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last_error = exc
            # Block on the socket becoming connectable rather than spinning.
            with socket.socket() as probe:
                probe.settimeout(0.2)
                probe.connect_ex(("127.0.0.1", cluster.port))
    log_text = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"PostgreSQL did not accept connections within {READY_TIMEOUT_S:.0f} s: "
                f"{last_error}\n{log_text}")


def start_cluster() -> PostgresCluster:
    """initdb and start a cluster; fail (never skip) when PostgreSQL is missing."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.fail("PostgreSQL is not installed (no initdb on PATH or in "
                    "/usr/lib/postgresql/*/bin): install the Debian package 'postgresql' "
                    "(.ci/run does so)")
    run_as = None
    root = Path(tempfile.mkdtemp(prefix="mfconsole-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.fail("running as root, PostgreSQL needs the 'postgres' system user, "
                        "which the Debian package 'postgresql' creates")
        run_as = "postgres"
        os.chown(root, account.pw_uid, account.pw_gid)
    data, log = root / "data", root / "server.log"
    init = _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--no-sync"], run_as)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr.strip()}")
    cluster = PostgresCluster(root, _free_port(), bin_dir, run_as)
    options = (f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 "
               "-c fsync=off -c full_page_writes=off -c max_connections=60")
    started = _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                    "-w", "start"], run_as)
    if started.returncode != 0:
        log_text = log.read_text(errors="replace") if log.exists() else ""
        stop_cluster(cluster)
        pytest.fail(f"pg_ctl start failed: {started.stderr.strip()}\n{log_text}")
    _wait_until_ready(cluster, log)
    return cluster


def stop_cluster(cluster: PostgresCluster) -> None:
    _run([str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.root / "data"), "-m", "fast",
          "-w", "stop"], cluster.run_as)
    shutil.rmtree(cluster.root, ignore_errors=True)


def create_database(cluster: PostgresCluster, name: str) -> str:
    with cluster.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


def drop_database(cluster: PostgresCluster, name: str) -> None:
    with cluster.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A database created once for the session, as a SQLAlchemy URL."""
    return create_database(postgres_cluster, "mfconsole_session")


@pytest.fixture()
def fresh_postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """An empty database of its own for one test, dropped afterwards."""
    name = f"mfconsole_t{os.getpid()}_{next(_database_numbers)}"
    url = create_database(postgres_cluster, name)
    try:
        yield url
    finally:
        drop_database(postgres_cluster, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend in turn: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'record.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_url")
