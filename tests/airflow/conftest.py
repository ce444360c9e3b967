"""Airflow provider tests.

They need Apache Airflow, which lives in its own venv (``scripts/airflow-env.sh`` builds
``.venv-airflow``); run them with ``.venv-airflow/bin/python -m pytest tests/airflow``.
Where Airflow is not installed (the main venv) this directory is not collected at all, so the
main run neither fails on imports nor reports skipped tests.

Airflow reads its configuration once, at import, so the environment (a throw-away
AIRFLOW_HOME with a SQLite metadata DB, two DAG bundles: examples/airflow and tests/airflow/dags)
is set here, before any test module imports Airflow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "airflow"
TEST_DAGS = Path(__file__).resolve().parent / "dags"

if importlib.util.find_spec("airflow") is None:
    collect_ignore_glob = ["test_*.py", "dags/*.py"]
else:
    collect_ignore_glob = ["dags/*.py"]
    _home = Path(tempfile.mkdtemp(prefix="tcxkit-airflow-"))
    _bundles = [
        {
            "name": name,
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(path), "refresh_interval": 0},
        }
        for name, path in (("tcxkit-examples", EXAMPLES), ("tcxkit-tests", TEST_DAGS))
    ]
    os.environ.update(
        {
            "AIRFLOW_HOME": str(_home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(TEST_DAGS),
            "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(_bundles),
            "TCX_CACHE_DIR": str(_home / "tcxkit-cache"),
            "TCXKIT_EXPORT_DIR": str(_home / "exports"),
        }
    )


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A fresh metadata DB (``initdb`` creates the tables straight from the models: ~4 s)."""
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """One emulator for the session, and the env-var connections that point at it."""
    from tcxkit.emulator import EmulatorConfig, running

    with running(EmulatorConfig(version="20.0.10")) as server:
        conn = {"conn_type": "threecx", "host": server.url, "login": server.client_id}
        os.environ["AIRFLOW_CONN_THREECX_DEFAULT"] = json.dumps(
            {**conn, "password": server.client_secret, "extra": {"release": "auto"}}
        )
        os.environ["AIRFLOW_CONN_THREECX_WRONG"] = json.dumps(
            {**conn, "password": "not-the-secret", "extra": {"token_cache": False}}
        )
        yield server
    for name in ("AIRFLOW_CONN_THREECX_DEFAULT", "AIRFLOW_CONN_THREECX_WRONG"):
        os.environ.pop(name, None)


def _load_dag(path: Path, dag_id: str) -> Any:
    """Import a DAG file the way the dag processor does and return one of its DAGs."""
    spec = importlib.util.spec_from_file_location(f"dagfile_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dags = {
        obj.dag_id: obj
        for obj in vars(module).values()
        if hasattr(obj, "dag_id") and hasattr(obj, "test")
    }
    return dags[dag_id]


@pytest.fixture(scope="session")
def load_dag() -> Any:
    """``load_dag(path, dag_id)``: a DAG object from a file of a configured bundle."""
    return _load_dag


@contextmanager
def fleet_connections(conns: list[str], folder: Path, config: Any = None) -> Iterator[Any]:
    """``len(conns)`` demo PBXs on one emulator server, one ``threecx`` connection each
    (``AIRFLOW_CONN_<ID>``, removed afterwards); yields the running fleet."""
    from tcxkit.emulator import EmulatorConfig
    from tcxkit.emulator.fleet import running_fleet

    base = config or EmulatorConfig(data="demo")
    with running_fleet(len(conns), folder / "fleet.toml", base) as emulated:
        names = []
        for conn, emu in zip(conns, emulated.instances, strict=True):
            name = f"AIRFLOW_CONN_{conn.upper()}"
            os.environ[name] = json.dumps(
                {
                    "conn_type": "threecx",
                    "host": emu.url,
                    "login": emu.client_id,
                    "password": emu.client_secret,
                }
            )
            names.append(name)
        try:
            yield emulated
        finally:
            for name in names:
                os.environ.pop(name, None)
