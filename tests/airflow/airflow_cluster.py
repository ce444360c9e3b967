"""A throw-away Airflow deployment with the CeleryExecutor, as on separate hosts.

Redis (Debian's ``redis-server``) is the broker, PostgreSQL (tests/pgserver.py: Debian's server
binaries, password authentication) the metadata database -- Airflow does not support Celery on
SQLite. Its password is generated per deployment and reaches Airflow only in the connection
strings of the processes' environment, as a deployment's secret would; Airflow, Celery and
SQLAlchemy mask it wherever they show a URL (test_celery_cluster.py checks every log).
The scheduler, API server, DAG processor and triggerer run with one configuration; two
``airflow celery worker`` processes differ in HOME, ``TCX_CACHE_DIR`` and Celery hostname,
so nothing on disk is shared between them, as between two hosts. Everything listens on
free 127.0.0.1 ports and lives in one temporary directory; :meth:`Cluster.stop` ends the
processes it started (by process group id) and removes the directory.

Used by tests/airflow/test_celery_cluster.py and bench/bench_airflow_cluster.py.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

DAGS = Path(__file__).resolve().parent / "cluster_dags"
VENV_BIN = Path(sys.executable).parent
WORKERS = 2
WORKER_CONCURRENCY = 5  # 10 slots: the pool of 8 is what bounds the burst, not the workers
POOL_SLOTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], what: str, timeout: float, procs: list[Any]) -> Any:
    """Poll ``check`` until it returns something truthy; fail early if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc, log in procs:
            if proc.poll() is not None:
                tail = Path(log).read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"{name} exited ({proc.returncode}) while waiting for {what}:\n{tail}"
                )
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def need(found: str | None, what: str) -> str:
    if not found:
        raise RuntimeError(f"{what} is not installed: scripts/airflow-env.sh installs it")
    return found


def postgres_bin() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian's layout)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    return Path(need(str(found[-1].parent) if found else None, "A PostgreSQL server"))


class Cluster:
    """Start with :meth:`start`, run DAGs with :meth:`run_dag`, end with :meth:`stop`."""

    def __init__(
        self, connections: dict[str, dict[str, Any]], env: dict[str, str] | None = None
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tcxkit-cluster-"))
        self.root.chmod(0o755)  # the postgres user needs to reach its data directory
        self.connections = connections
        self.procs: list[tuple[str, subprocess.Popen[bytes], str]] = []
        self.pg_port, self.redis_port, self.api_port = free_port(), free_port(), free_port()
        self.pg_password = secrets.token_urlsafe(24)  # the metadata database's, never logged
        self.pg: Any = None  # the running tests.pgserver.PgServer, once started
        self._closing = ExitStack()
        self.env = {**self._env(), **(env or {})}

    def __repr__(self) -> str:  # never the environment: it holds the database password
        return f"Cluster(root={str(self.root)!r})"

    def dsn(self, scheme: str = "postgresql") -> str:
        """The metadata database's URL, with its password: for a driver, never a message
        (known before the server starts: the processes' environment is made first)."""
        from tests.pgserver import pg_url

        return pg_url("airflow", self.pg_port, "airflow", self.pg_password, scheme)

    # -- configuration -------------------------------------------------------
    def _env(self) -> dict[str, str]:
        home = self.root / "airflow"
        home.mkdir()
        bundles = [
            {
                "name": "tcxkit-cluster",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(DAGS), "refresh_interval": 0},
            }
        ]
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TCX_", "TCXKIT_"))
        }
        env.update(
            {
                "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
                "AIRFLOW__CORE__PARALLELISM": "32",
                "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
                    f"http://127.0.0.1:{self.api_port}/execution/"
                ),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.dsn("postgresql+psycopg2"),
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": self.dsn("db+postgresql+psycopg2"),
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API_AUTH__JWT_SECRET": base64.b64encode(os.urandom(24)).decode(),
                "AIRFLOW__API__SECRET_KEY": base64.b64encode(os.urandom(24)).decode(),
                "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "TCX_CACHE_DIR": str(self.root / "cache-scheduler"),
            }
        )
        for conn_id, conn in self.connections.items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
        return env

    # -- processes -----------------------------------------------------------
    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, **kw: Any
    ) -> None:
        log = str(self.root / f"{name}.log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                argv,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends it and its children
                **kw,
            )
        self.procs.append((name, proc, log))

    def airflow(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _start_postgres(self) -> None:
        """The suite's PostgreSQL server (tests/pgserver.py) in this deployment's folder, on
        the port and with the password the environment already names; stop() ends it."""
        from tests.pgserver import running_postgres

        opts = {"synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}
        self.pg = self._closing.enter_context(
            running_postgres(
                "airflow", "airflow", root=self.root, port=self.pg_port,
                password=self.pg_password, options=opts,
            )
        )  # fmt: skip
        self.procs.append(("postgres", self.pg.proc, str(self.pg.log)))

    def start(self, pool_slots: int = POOL_SLOTS, *, pools: bool = True) -> None:
        redis = need(shutil.which("redis-server"), "redis-server")
        self._spawn(
            "redis",
            [
                redis,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        self._start_postgres()
        wait_for(lambda: port_open(self.redis_port), "Redis", 30, self.procs)
        self.airflow("db", "migrate", timeout=300)
        for conn_id in self.connections if pools else ():
            subprocess.run(
                [sys.executable, "-m", "tcxkit.airflow.pools", conn_id, "--slots", str(pool_slots)],
                env=self.env,
                check=True,
                capture_output=True,
                timeout=120,
            )
        airflow = str(VENV_BIN / "airflow")
        self._spawn(
            "api-server", [airflow, "api-server", "--port", str(self.api_port), "--workers", "1"]
        )
        self._spawn("scheduler", [airflow, "scheduler"])
        self._spawn("dag-processor", [airflow, "dag-processor"])
        self._spawn("triggerer", [airflow, "triggerer"])
        for n in range(1, WORKERS + 1):
            host = self.root / f"host{n}"
            (host / "home").mkdir(parents=True)
            env = {**self.env, "HOME": str(host / "home"), "TCX_CACHE_DIR": str(host / "cache")}
            self._spawn(
                f"worker{n}",
                [
                    airflow,
                    "celery",
                    "worker",
                    "--concurrency",
                    str(WORKER_CONCURRENCY),
                    "--celery-hostname",
                    f"host{n}@tcxkit",
                    "--skip-serve-logs",
                    "--without-mingle",
                    "--without-gossip",
                ],
                env=env,
            )
        wait_for(lambda: port_open(self.api_port), "the API server", 120, self.procs)

    def stop(self) -> None:
        for _name, proc, _log in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for _name, proc, _log in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self._closing.close()
        if not os.environ.get("TCXKIT_KEEP_CLUSTER"):
            shutil.rmtree(self.root, ignore_errors=True)

    # -- the metadata database -----------------------------------------------
    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        with psycopg2.connect(self.dsn()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def _parsed(self, dag_id: str) -> bool:
        try:
            return bool(self.query("select 1 from serialized_dag where dag_id = %s", dag_id))
        except Exception:
            return False

    def run_dag(self, dag_id: str, timeout: float = 600) -> dict[str, Any]:
        """Trigger ``dag_id`` once and wait for its run to finish; its state and task states."""
        wait_for(lambda: self._parsed(dag_id), f"DAG {dag_id} to be parsed", 180, self.procs)
        run_id = f"tcxkit_{int(time.time() * 1000)}"
        self.airflow("dags", "unpause", dag_id)
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id)
        started = time.monotonic()

        def finished() -> str | None:
            rows = self.query(
                "select state from dag_run where dag_id=%s and run_id=%s", dag_id, run_id
            )
            return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

        state = wait_for(finished, f"run {run_id} of {dag_id}", timeout, self.procs)
        wall = time.monotonic() - started
        tis = self.query(
            "select task_id, map_index, state, pool, start_date, end_date, next_method "
            "from task_instance where dag_id=%s and run_id=%s",
            dag_id,
            run_id,
        )
        return {"state": state, "run_id": run_id, "wall": wall, "tis": tis}

    def logs(self) -> str:
        """Every process's log (for a failing test's message)."""
        return "\n".join(
            f"== {name}\n{Path(log).read_text(errors='replace')[-4000:]}"
            for name, _p, log in self.procs
        )
