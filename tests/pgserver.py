"""A private PostgreSQL server for tests (Debian's binaries), shared by every suite that needs
one: the export sinks (tests/exports), the Airflow CDR DAG and the CeleryExecutor cluster's
metadata database (tests/airflow).

It runs as Debian's ``postgres`` user (PostgreSQL refuses root) on 127.0.0.1 and a free port,
``fsync=off``, with **password authentication** as a deployed server has it: ``initdb
--auth=scram-sha-256`` writes a pg_hba.conf that asks every connection for the password,
which is generated per server and handed to ``initdb`` in a file only the postgres user can
read, removed at once (never on a command line). A wrong or missing password is refused, so a test that
connects with the wrong one fails, as it would in production.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.airflow.airflow_cluster import free_port, port_open, postgres_bin, wait_for

__all__ = ["PgServer", "pg_url", "running_postgres"]

AS_PG: dict[str, Any] = {"user": "postgres", "group": "postgres", "extra_groups": []}
FAST = {"fsync": "off"}  # a test server: nothing it holds outlives the run


def pg_url(
    user: str, port: int, database: str, password: str = "", scheme: str = "postgresql"
) -> str:
    """A URL of a server of this module; with ``password`` only for a driver, never a message."""
    secret = f":{quote(password, safe='')}" if password else ""
    return f"{scheme}://{user}{secret}@127.0.0.1:{port}/{database}"


@dataclass(frozen=True)
class PgServer:
    """A running server; ``url`` never holds the password (it may be shown): a driver gets
    it apart (``PGPASSWORD``, or :func:`pg_url` with ``password``). The password is left
    out of the repr, so a failing test's report cannot print it."""

    port: int
    user: str
    database: str
    password: str = field(repr=False)
    proc: subprocess.Popen[bytes] = field(repr=False)
    log: Path = field(repr=False)

    @property
    def url(self) -> str:
        return pg_url(self.user, self.port, self.database)


def _initdb(data: Path, user: str, password: str) -> None:
    """A cluster whose superuser ``user`` has ``password``; TCP and socket need it.

    initdb reads the password from a file (it cannot reopen a pipe root created): one the
    postgres user alone can read, beside the data folder, removed as soon as initdb is done."""
    pwfile = data.parent / "pwfile"
    pwfile.touch(mode=0o600)
    shutil.chown(pwfile, "postgres", "postgres")
    try:
        pwfile.write_text(password)
        subprocess.run(
            [str(postgres_bin() / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "-E", "UTF8"],
            check=True, capture_output=True, cwd=data, **AS_PG,
        )  # fmt: skip
    finally:
        pwfile.unlink()


@contextmanager
def running_postgres(
    user: str = "cdr",
    database: str = "cdr",
    *,
    root: Path | None = None,
    port: int | None = None,
    password: str | None = None,
    options: Mapping[str, str] | None = None,
) -> Iterator[PgServer]:
    """Start the server, create ``database`` owned by ``user``; yield the :class:`PgServer`.

    ``root``: the folder to live in (default: a fresh one, removed afterwards); ``port``,
    ``password``: chosen by the caller when it must configure clients before the start
    (default: a free port, a generated password); ``options``: more ``-c`` settings."""
    own = root is None
    # Under /tmp itself: pytest's own temporary tree is private to root (0700), and the
    # server runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="tcxkit-pg-")) if root is None else root
    root.chmod(0o755)
    data = root / "pg"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    password = password or secrets.token_urlsafe(24)
    _initdb(data, user, password)
    port = port or free_port()
    settings = {"listen_addresses": "127.0.0.1", "port": str(port),
                "unix_socket_directories": str(data), **FAST, **(options or {})}  # fmt: skip
    argv = [str(postgres_bin() / "postgres"), "-D", str(data)]
    for name, value in settings.items():
        argv += ["-c", f"{name}={value}"]
    log = root / "postgres.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=data, start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, **AS_PG,
        )  # fmt: skip
    server = PgServer(port, user, database, password, proc, log)
    try:
        procs = [("postgres", proc, str(log))]
        wait_for(lambda: port_open(port), "PostgreSQL", 30, procs)
        wait_for(lambda: _createdb(server), f"the {database} database", 30, procs)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if own:
            shutil.rmtree(root, ignore_errors=True)


def _createdb(server: PgServer) -> bool:
    """Create the database over TCP, with the password in the child's environment only."""
    done = subprocess.run(
        [str(postgres_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(server.port),
         "-U", server.user, "--no-password", server.database],
        capture_output=True, env={"PATH": "/usr/bin:/bin", "PGPASSWORD": server.password},
    )  # fmt: skip
    return done.returncode == 0 or b"already exists" in done.stderr
