"""``3cx exporter`` over an emulated fleet with one PBX down, scraped over HTTP: every
metric of the issue per PBX, ``threecx_up 0`` for the one down (the scrape still
succeeds), and scrapes answered from the cache without asking the PBXs again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tcxkit.exporter.families import parse_intervals
from tcxkit.exporter.server import parse_listen
from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

SRC = Path(__file__).resolve().parents[2] / "src"

#: Every metric of the issue, and the labels besides ``pbx``.
METRICS = {
    "threecx_up": (),
    "threecx_scrape_duration_seconds": (),
    "threecx_license_expiry_timestamp_seconds": (),
    "threecx_maintenance_expiry_timestamp_seconds": (),
    "threecx_backup_last_success_timestamp_seconds": (),
    "threecx_trunk_registered": ("trunk",),
    "threecx_certificate_expiry_timestamp_seconds": (),
    "threecx_extensions_registered": (),
    "threecx_extensions_total": (),
    "threecx_active_calls": (),
    "threecx_queue_calls_waiting": ("queue",),
    "threecx_health_check_status": ("check",),
    "threecx_info": ("release", "version"),
}


@pytest.fixture(scope="module")
def exporter(tcx_fleet: Any, tmp_path_factory: Any) -> Iterator[tuple[str, Any]]:
    """``3cx exporter`` (a real process) over pbx01, pbx02 and "down"; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = PbxTarget("down", f"http://127.0.0.1:{port}", "x", SecretRef("env", "DOWN_KEY"))
    path = tmp_path_factory.mktemp("exporter") / "fleet.toml"
    thresholds = "\n[health.tags.eu.disk_space]\nwarn_percent = 10\n"  # as for 3cx health
    path.write_text(dump_inventory([*tcx_fleet.targets[:2], down]) + thresholds)
    os.chmod(path, 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    env.update(PYTHONPATH=str(SRC), DOWN_KEY="k", TCX_NO_KEYRING="1",
               TCX_CONFIG_DIR=str(path.parent), TCX_CACHE_DIR=str(path.parent / "cache"))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcxkit", "--inventory", str(path), "--fleet", "all",
         "exporter", "--listen", "127.0.0.1:0", "--tag-labels"],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # printed once the cache is full and the port bound
        assert line.startswith("3cx exporter: serving http://127.0.0.1:"), line
        yield line.split()[3], tcx_fleet
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def _scrape(url: str) -> dict[str, list[Any]]:
    r = httpx.get(url)
    assert r.status_code == 200
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def test_every_metric_for_every_pbx_and_down_is_up_0(exporter: tuple[str, Any]) -> None:
    url, _fleet = exporter
    families = _scrape(url)
    up = {s.labels["pbx"]: s.value for s in families["threecx_up"]}
    assert up == {"pbx01": 1.0, "pbx02": 1.0, "down": 0.0}
    for name, labels in METRICS.items():
        samples = [s for s in families[name] if s.labels["pbx"] in ("pbx01", "pbx02")]
        assert {s.labels["pbx"] for s in samples} == {"pbx01", "pbx02"}, name
        for s in samples:
            assert set(s.labels) == {"pbx", "tags", *labels}, (name, s.labels)
            assert s.labels["tags"] in (",emulated,eu,", ",emulated,us,"), s.labels
    trunks = {s.labels["trunk"] for s in families["threecx_trunk_registered"]}
    assert trunks == {"BT SIP Trunk", "Twilio Elastic SIP"}
    disk = {s.labels["pbx"]: (s.labels["tags"], s.value)
            for s in families["threecx_health_check_status"] if s.labels["check"] == "disk_space"}  # fmt: skip
    assert disk == {"pbx01": (",emulated,eu,", 1.0), "pbx02": (",emulated,us,", 0.0)}
    checks = {s.labels["check"] for s in families["threecx_health_check_status"]}
    assert "licence_expiry" in checks and len(checks) == 16
    assert not [s for s in families["threecx_license_expiry_timestamp_seconds"]
                if s.labels["pbx"] == "down"]  # fmt: skip


def test_scrapes_come_from_the_cache(exporter: tuple[str, Any]) -> None:
    url, fleet = exporter
    pbx01 = fleet.instances[0]
    log = pbx01.url + "/emulator/requests"
    before = len(httpx.get(log, auth=pbx01.control_auth).json())
    for _ in range(5):
        _scrape(url)
    after = len(httpx.get(log, auth=pbx01.control_auth).json())
    assert after - before <= 3  # only a family whose interval ended meanwhile (15 s+)


def test_listen_and_interval_options_fail_closed() -> None:
    from tcxkit.errors import UsageError

    assert parse_listen("9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for text, message in [
        ("0.0.0.0:9464", "other machines could read"),
        ("pbx:80", r"give \[HOST:\]PORT, the host an IP address or localhost"),
        ("127.0.0.1:70000", "0..65535"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_listen(text)
    assert parse_listen("0.0.0.0:9464", allow_remote=True) == ("0.0.0.0", 9464)
    assert parse_intervals("status=10")["status"] == 10
    with pytest.raises(UsageError, match="no metric family 'stats'"):
        parse_intervals("stats=10")
    with pytest.raises(UsageError, match="is not a number of seconds"):
        parse_intervals("health=0")


# -- a real Prometheus (Debian's package; scripts/test installs it) -----------------------

RULES = Path(__file__).resolve().parents[2] / "examples" / "prometheus"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def prometheus(exporter: tuple[str, Any], tmp_path_factory: Any) -> Iterator[str]:
    """Prometheus on a loopback port scraping the exporter every second; yields its URL
    once the exporter's first scrape is stored (its targets API says so)."""
    import shutil
    import time

    binary = shutil.which("prometheus")
    assert binary, "Debian's prometheus package is missing: scripts/test installs it"
    url, _fleet = exporter
    target = url.removeprefix("http://").removesuffix("/metrics")
    work = tmp_path_factory.mktemp("prometheus")
    (work / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES / 'threecx-rules.yml'}']\n"
        "scrape_configs:\n"
        f"  - job_name: threecx\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [binary, f"--config.file={work / 'prometheus.yml'}",
         f"--storage.tsdb.path={work / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a condition polled, not a fixed wait
            try:
                found = httpx.get(base + "/api/v1/query", params={"query": "threecx_up"}).json()
                if len(found["data"]["result"]) == 3:
                    break
            except (httpx.TransportError, ValueError):  # not listening, or not ready yet
                pass
            time.sleep(0.1)
        else:
            pytest.fail("Prometheus stored no scrape of the exporter within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _query(base: str, promql: str) -> list[dict[str, Any]]:
    answer = httpx.get(base + "/api/v1/query", params={"query": promql}).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]  # type: ignore[no-any-return]


def test_prometheus_scrapes_every_metric(prometheus: str) -> None:
    up = {r["metric"]["pbx"]: r["value"][1] for r in _query(prometheus, "threecx_up")}
    assert up == {"pbx01": "1", "pbx02": "1", "down": "0"}
    for name, labels in METRICS.items():
        result = _query(prometheus, f'{name}{{pbx=~"pbx0[12]"}}')
        assert {r["metric"]["pbx"] for r in result} == {"pbx01", "pbx02"}, name
        assert all(set(labels) <= set(r["metric"]) for r in result), name
    (trunk,) = _query(prometheus, 'threecx_trunk_registered{pbx="pbx01",trunk="BT SIP Trunk"}')
    assert trunk["value"][1] == "1"
    assert _query(prometheus, 'up{job="threecx"}')[0]["value"][1] == "1"  # never a failed scrape


def test_promtool_checks_and_tests_the_shipped_rules() -> None:
    import shutil

    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package"
    check = subprocess.run([promtool, "check", "rules", str(RULES / "threecx-rules.yml")],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 7 rules found" in check.stdout
    test = subprocess.run([promtool, "test", "rules", "threecx-rules.test.yml"],
                          capture_output=True, text=True, cwd=RULES)  # fmt: skip
    assert test.returncode == 0, test.stdout + test.stderr
    assert "SUCCESS" in test.stdout


def test_every_grafana_panel_queries_prometheus(prometheus: str) -> None:
    """The shipped dashboard: valid JSON whose every panel's PromQL (with the PBX variable
    at "all") runs on the real Prometheus and finds series."""
    import json

    dashboard = RULES.parent / "grafana" / "threecx-fleet.json"
    panels = json.loads(dashboard.read_text())["panels"]
    assert len(panels) >= 12
    for panel in panels:
        (target,) = panel["targets"]
        result = _query(prometheus, target["expr"].replace("$pbx", ".*"))
        assert result, (panel["title"], target["expr"])


def test_tag_labels_put_each_pbx_tags_on_every_series() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from tcxkit.exporter.cache import Cache
    from tcxkit.exporter.metrics import FleetCollector

    class Names:
        names = ["acme", "bolt"]

    cache = Cache(Names(), {})  # type: ignore[arg-type]
    cache.entries["acme"].up = True
    cache.entries["acme"].values = {"trunks": [{"Gateway": {"Name": "BT"}, "IsOnline": False}]}
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(cache, {"acme": ["eu", "prod"], "bolt": []}))
    text = generate_latest(registry).decode()
    assert 'threecx_up{pbx="acme",tags=",eu,prod,"} 1.0' in text
    assert 'threecx_up{pbx="bolt",tags=",,"} 0.0' in text
    assert 'threecx_trunk_registered{pbx="acme",tags=",eu,prod,",trunk="BT"} 0.0' in text
