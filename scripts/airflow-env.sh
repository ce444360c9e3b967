#!/usr/bin/env bash
# Create (or refresh) the Apache Airflow virtualenv used by tests/airflow.
#
# Why a separate venv: Airflow pulls in ~200 packages and pins many of them; keeping it out of
# the main .venv keeps the main test run light and its resolution independent of Airflow's.
#
# Idempotent and fast: the venv is reused when it exists and `uv pip install` is a no-op when
# everything is already satisfied. uv is found on PATH, in the main .venv, or installed with pip.
#
# Usage: scripts/airflow-env.sh            # creates <repo>/.venv-airflow
#        AIRFLOW_VENV=/tmp/af AIRFLOW_SPEC='apache-airflow==3.1.*' scripts/airflow-env.sh
set -euo pipefail

start=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${AIRFLOW_VENV:-$root/.venv-airflow}"
spec="${AIRFLOW_SPEC:-apache-airflow>=3,<4}"
python="${AIRFLOW_PYTHON:-python3}"

find_uv() {
    if command -v uv >/dev/null 2>&1; then
        command -v uv
    elif [ -x "$root/.venv/bin/uv" ]; then
        echo "$root/.venv/bin/uv"
    else
        echo "airflow-env: uv not found; installing it with pip" >&2
        python3 -m pip install --quiet uv >&2
        python3 -c 'import shutil, sys, uv; print(uv.find_uv_bin())'
    fi
}
uv="$(find_uv)"

# Never let uv download a Python build: only package registries are reachable.
export UV_PYTHON_DOWNLOADS=never

if [ ! -x "$venv/bin/python" ]; then
    "$uv" venv --quiet --python "$python" "$venv"
fi

# The Celery provider, redis client and PostgreSQL drivers are for the CeleryExecutor
# deployment of tests/airflow/test_celery_cluster.py (Airflow does not run Celery on SQLite).
# celery 5.7 dropped celery.backends.database.retry, which the Celery provider (3.26) imports.
# The s3 and sftp extras (boto3, paramiko) and moto's S3 server are for the backup and
# recordings DAG tests, which store to a real S3 endpoint and a real OpenSSH server on
# 127.0.0.1 (tests/stores.py), as a user's nightly jobs would.
"$uv" pip install --quiet --python "$venv/bin/python" \
    "$spec" \
    -e "$root[emulator,state,postgres,s3,sftp]" \
    "apache-airflow-providers-celery" "celery<5.7" "psycopg2-binary" "asyncpg" \
    "moto[server]>=5" "pytest>=8" "pytest-asyncio>=0.23"

# Redis (Celery's broker) and a PostgreSQL server for the CeleryExecutor test, from Debian
# (scripts/system-packages.sh; quick when present). The test starts them itself, on free
# 127.0.0.1 ports.
bash "$root/scripts/system-packages.sh"

version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("apache-airflow"))')"
echo "airflow-env: apache-airflow $version ready in $venv ($(( $(date +%s) - start ))s)"
