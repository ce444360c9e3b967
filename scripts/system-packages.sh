#!/usr/bin/env bash
# Install the Debian packages the test suite's real servers come from, when missing.
#
# One place for every apt package, run once before any test starts: two apt-get runs at
# the same time fight over dpkg's lock, and scripts/test runs the main and the Airflow
# suites side by side. Quick when everything is present (it only looks for binaries).
# Needs root (CI and this project's machines run as root); prints what it installs.
set -euo pipefail

# binary-or-glob  package   (what needs it)
wanted=(
    "redis-server                      redis-server"   # Celery's broker (tests/airflow)
    "/usr/lib/postgresql/*/bin/postgres postgresql"    # CeleryExecutor's database (tests/airflow), exports --into (tests/exports)
    "prometheus                        prometheus"     # scrapes `3cx exporter` (tests/cli/test_exporter.py)
    "promtool                          prometheus"     # checks and tests the shipped alert rules
    "chromium                          chromium"       # renders the HTML health report (test_health_fleet.py)
    "/usr/sbin/sshd                    openssh-server" # the real SFTP store (tests/stores.py)
    "curl                              curl"           # docs/events.md's walkthrough (tests/test_doc_blocks.py)
    "jq                                jq"             # the same
)

missing=()
for line in "${wanted[@]}"; do
    read -r probe package <<<"$line"
    if [[ "$probe" == /* ]]; then
        compgen -G "$probe" >/dev/null && continue
    else
        command -v "$probe" >/dev/null 2>&1 && continue
    fi
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

readarray -t missing < <(printf "%s\n" "${missing[@]}" | sort -u)
echo "system-packages: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
flags=(-y -q --no-install-recommends)
apt-get install "${flags[@]}" "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install "${flags[@]}" "${missing[@]}" >/dev/null; }
