"""A private PostgreSQL server for tests (Debian's binaries), shared by every suite that needs
one: the export sinks (tests/exports) and the Airflow CDR DAG (tests/airflow).

It runs as Debian's ``postgres`` user (PostgreSQL refuses root) with trust authentication on
127.0.0.1 and a free port, ``fsync=off``; the ``cdr`` role owns a ``cdr`` database.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.airflow.airflow_cluster import free_port, port_open, postgres_bin, wait_for

__all__ = ["running_postgres"]


@contextmanager
def running_postgres(user: str = "cdr", database: str = "cdr") -> Iterator[str]:
    """Start the server, create ``database``; yield ``postgresql://user@127.0.0.1:PORT/db``."""
    # Under /tmp itself: pytest's own temporary tree is private to root (0700), and the
    # server runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="tcxkit-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    as_pg: dict[str, Any] = {"user": "postgres", "group": "postgres", "extra_groups": []}
    pg = postgres_bin()
    subprocess.run(
        [str(pg / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, cwd=data, **as_pg,
    )  # fmt: skip
    port = free_port()
    argv = [str(pg / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1",
            "-c", f"port={port}", "-c", f"unix_socket_directories={data}", "-c", "fsync=off"]  # fmt: skip
    log = root / "postgres.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=data, start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, **as_pg,
        )  # fmt: skip
    try:
        wait_for(lambda: port_open(port), "PostgreSQL", 30, [("postgres", proc, str(log))])

        def created() -> bool:
            done = subprocess.run(
                [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
                capture_output=True,
            )
            return done.returncode == 0 or b"already exists" in done.stderr

        wait_for(created, f"the {database} database", 30, [("postgres", proc, str(log))])
        yield f"postgresql://{user}@127.0.0.1:{port}/{database}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
