"""One token per cluster vs one per host: the 200-task DAG on a CeleryExecutor deployment.

    .venv-airflow/bin/python bench/bench_airflow_cluster.py [--tasks 200] [--dags users,per_host]

Starts the deployment of tests/airflow/airflow_cluster.py (Redis, PostgreSQL, scheduler, API
server, DAG processor, triggerer, two Celery workers with separate HOME and token caches) and
runs, one after the other on the same emulator (one active token per client, as a PBX):

* ``users``    -- connection with the default ``token_store=airflow`` (one token per cluster);
* ``per_host`` -- connection with ``token_store=file``: each worker host its own cache.

Prints per run: tasks, failed tasks, token requests, 401 answers, run wall time. To measure
an older tcxkit (no ``token_store``, no pools, no deferrable sensor), put its ``src`` first
on PYTHONPATH and pass ``--legacy`` (runs only the per-host DAG, without pools).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgserver
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "airflow"))

from airflow_cluster import Cluster

from tcxkit.emulator import EmulatorConfig, running

DAG_IDS = {"users": "tcxkit_cluster_users", "per_host": "tcxkit_cluster_users_per_host"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--dags", default="per_host,users")
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    with running(EmulatorConfig(version="20.0.10")) as server:
        conn = {
            "conn_type": "threecx",
            "host": server.url,
            "login": server.client_id,
            "password": server.client_secret,
        }
        conns = {
            "threecx_cluster": conn,
            "threecx_cluster_per_host": {**conn, "extra": {"token_store": "file"}},
        }
        env = {"TCXKIT_CLUSTER_TASKS": str(args.tasks)}
        if args.legacy:
            env["TCXKIT_CLUSTER_LEGACY"] = "1"
        cluster = Cluster(conns, env=env)
        try:
            cluster.start(pools=not args.legacy)
            print(f"deployment up in {time.monotonic() - started:.0f} s", flush=True)
            for name in args.dags.split(","):
                server.clear_requests()
                run = cluster.run_dag(DAG_IDS[name], timeout=900)
                states = Counter(state for _t, _i, state, *_ in run["tis"])
                requests = server.requests
                tokens = sum(1 for r in requests if r["path"] == "/connect/token")
                rejected = sum(1 for r in requests if r["status"] == 401)
                print(
                    f"{name:9} tasks={sum(states.values())} failed={states.get('failed', 0)} "
                    f"upstream_failed={states.get('upstream_failed', 0)} token_requests={tokens} "
                    f"401s={rejected} wall={run['wall']:.0f}s run={run['state']}",
                    flush=True,
                )
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
