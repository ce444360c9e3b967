"""``3cx health --fleet``: a PBX that cannot be read is its error row (exit 10), every
output format (table, JSON, JUnit XML, HTML), thresholds from config.toml and the
inventory per tag (refused when unknown or unparseable), and the emulator's health
control endpoint."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest

from tcxkit.fleet import dump_inventory
from tcxkit.health import CheckResult, PbxHealth
from tcxkit.health.htmlpage import html_report
from tcxkit.health.report import HealthRun

from .conftest import Runner


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def _fleet(run: Runner, inventory: Path, *args: str) -> Any:
    return run("--inventory", str(inventory), "--fleet", "all", "health", *args,
               env={"DOWN_KEY": "never-shown-key-31"})  # fmt: skip


def test_a_fleet_of_three_with_one_down_exits_10_with_its_error_row(
    run: Runner, three_one_down: Path
) -> None:
    r = _fleet(run, three_one_down, "--only", "disk_space,licence_expiry", "-o", "json")
    assert r.code == 10, r.err
    doc = r.json()
    assert [p["pbx"] for p in doc["pbxs"]] == ["pbx01", "pbx02"]
    assert all(p["status"] == "pass" and len(p["checks"]) == 2 for p in doc["pbxs"])
    (row,) = doc["errors"]
    assert row["pbx"] == "down"
    assert (row["error"]["type"], row["error"]["exit_code"]) == ("ConnectError", 4)
    assert r.err.startswith("3cx: partial failure: 1 of 3 PBXs failed (down: cannot connect).")
    assert "never-shown-key-31" not in r.out + r.err


def test_the_table_is_worst_first_with_the_error_row(run: Runner, three_one_down: Path) -> None:
    r = _fleet(run, three_one_down, "--only", "disk_space", "-o", "table")
    assert r.code == 10
    lines = r.out.splitlines()
    assert lines[0].split()[:5] == ["pbx", "status", "severity", "check", "summary"]
    assert [line.split()[0] for line in lines[1:]] == ["pbx01", "pbx02", "down"]
    assert "ConnectError" in lines[3] or "Cannot connect" in lines[3]


def test_junit_has_a_suite_per_pbx_and_an_error_for_the_one_down(
    run: Runner, three_one_down: Path
) -> None:
    r = _fleet(run, three_one_down, "--only", "disk_space,services", "-o", "junit")
    assert r.code == 10
    root = ET.fromstring(r.out)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["pbx01", "pbx02", "down"]
    assert [c.get("name") for c in suites["pbx01"].iter("testcase")] == ["disk_space", "services"]
    assert suites["pbx01"].get("failures") == "0"
    assert suites["down"].get("errors") == "1"
    assert suites["down"].find("testcase/error") is not None


def test_html_shows_every_pbx_with_no_external_asset(run: Runner, three_one_down: Path) -> None:
    r = _fleet(run, three_one_down, "-o", "html")
    assert r.code == 10
    page = r.out
    assert page.startswith("<!DOCTYPE html>")
    for name in ("pbx01", "pbx02", "down"):
        assert f'<section id="pbx-{name}">' in page
    for external in ("src=", "href=", "@import", "url("):
        assert external not in page
    assert page.count('<table class="sortable">') == 2


def test_html_escapes_what_a_pbx_says() -> None:
    evil = '<script>alert("x")</script>'
    result = CheckResult("trunk_registration", "Trunk registration", "fail", "critical",
                         f"Not registered: {evil}.", {"unregistered": [evil]}, "fix")  # fmt: skip
    page = html_report(HealthRun([PbxHealth(evil, [result])], order=[evil]))
    assert evil not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_thresholds_from_config_toml(run: Runner, dirs: dict[str, Path]) -> None:
    _private(dirs["config"] / "config.toml", "[health.disk_space]\nwarn_percent = 10\n")
    r = run("health", "--only", "disk_space", "-o", "json")
    assert r.code == 1
    (check,) = r.json()["pbxs"][0]["checks"]
    assert check["status"] == "warn" and check["evidence"]["used_percent"] == 23.0


def test_thresholds_per_tag_from_the_inventory(run: Runner, tcx_fleet: Any, tmp_path: Path) -> None:
    eu = [t.name for t in tcx_fleet.targets if "eu" in t.tags]
    text = dump_inventory(tcx_fleet.targets) + (
        "\n[health.disk_space]\nwarn_percent = 50\n"
        "[health.tags.eu.disk_space]\nwarn_percent = 20\nfail_percent = 22\n"
    )
    inventory = _private(tmp_path / "fleet.toml", text)
    r = _fleet(run, inventory, "--only", "disk_space", "-o", "json")
    assert r.code == 2
    statuses = {p["pbx"]: p["status"] for p in r.json()["pbxs"]}
    assert statuses == {t.name: "fail" if t.name in eu else "pass" for t in tcx_fleet.targets}
    assert eu


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[health.disk_spaec]\nwarn_percent = 1\n", "unknown check 'disk_spaec'"),
        ("[health.disk_space]\nwarn_pct = 1\n", "unknown threshold disk_space.warn_pct"),
        ('[health.disk_space]\nwarn_percent = "ten"\n', "warn_percent = 'ten' is not a number"),
        ("[health.tags.eu.services]\nx = 1\n", "unknown threshold services.x"),
        (
            "[health.disk_space]\nwarn_percent = nan\n",
            "warn_percent = nan is not a number >= 0 (finite)",
        ),
        (
            "[health.disk_space]\nfail_percent = inf\n",
            "fail_percent = inf is not a number >= 0 (finite)",
        ),
        (
            "[health.disk_space]\nfail_percent = -1\n",
            "fail_percent = -1 is not a number >= 0 (finite)",
        ),
    ],
)
def test_bad_thresholds_are_refused(
    run: Runner, dirs: dict[str, Path], text: str, message: str
) -> None:
    _private(dirs["config"] / "config.toml", text)
    r = run("health", "-o", "json")
    assert r.code == 2
    assert message in r.err and r.out == ""


def test_unknown_check_names_are_refused(run: Runner) -> None:
    r = run("health", "--only", "disk_space,licence", "-o", "json")
    assert r.code == 2
    assert "--only: no check named 'licence'" in r.err
    assert "licence_expiry" in r.err  # the hint lists the checks
    r = run("health", "--skip", "nope")
    assert r.code == 2 and "--skip: no check named 'nope'" in r.err


def test_the_control_endpoint_needs_credentials_and_checks_every_key(emulator: Any) -> None:
    url = emulator.url + "/emulator/pbx-health"
    assert httpx.patch(url, json={"disk": {"used_percent": 99}}).status_code == 401
    auth = emulator.control_auth
    cases = [
        ({"disc": {}}, "unknown key 'disc'"),
        ({"disk": {"used_percent": 101}}, "disk: used_percent: a number 0..100"),
        ({"services": {"nope": "Stopped"}}, "services: no service 'nope'"),
        ({"trunks": {"No such trunk": False}}, "no trunk 'No such trunk'"),
        ({"backups": {"add": [{"age_hours": "old"}]}}, "backups: add: age_hours"),
    ]
    for body, message in cases:
        r = httpx.patch(url, json=body, auth=auth)
        assert r.status_code == 400 and message in r.json()["error"]["message"], r.text
    r = httpx.patch(url, content=b"{not json", auth=auth)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]["message"]
    model = httpx.get(url, auth=auth).json()
    assert model["disk"]["used_percent"] == 23.0  # nothing above was applied


def _doc_row(check: Any) -> str:
    from tcxkit.health.facts import READS

    reads = ", ".join(f"`{READS[r][0]}`" for r in check.reads)
    limits = ", ".join(f"`{k}` = {v:g}" for k, v in check.thresholds.items()) or "none"
    return f"| `{check.name}` | {check.severity} | {reads} | {limits} |"


def test_docs_list_every_check_as_declared() -> None:
    from tcxkit.health import CHECKS

    text = (Path(__file__).resolve().parents[2] / "docs" / "health.md").read_text()
    for check in CHECKS.values():
        assert _doc_row(check) in text, check.name
        assert f"* **`{check.name}`**" in text, check.name


def test_every_fix_command_is_a_real_command() -> None:
    import re

    from tcxkit.catalog import catalog
    from tcxkit.health import CHECKS

    commands = {(a.resource_cli_name, a.cli_name) for a in catalog()}
    found = 0
    for check in CHECKS.values():
        for command in re.findall(r"`3cx ([a-z0-9-]+) ([a-z0-9-]+)", check.fix):
            assert command in commands, (check.name, command)
            found += 1
    assert found >= 10


#: Clicks the first table's Status header (ascending: best first) and writes the statuses
#: of its first column into the title: the inline sorter really runs.
_CLICK = """<script>
document.querySelector("table.sortable th").click();
document.title = "sorted:" + Array.prototype.map.call(
  document.querySelectorAll("table.sortable")[0].tBodies[0].rows,
  function (r) { return r.cells[0].textContent; }).join(",");
</script></body>"""


def test_the_html_report_in_headless_chromium(
    run: Runner, three_one_down: Path, tmp_path: Path, dirs: dict[str, Path]
) -> None:
    """The page loads in Chromium with no console message (no script error, no blocked
    asset), shows every PBX, sorts, and leaves a screenshot (``$TCX_TEST_ARTIFACTS``)."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium package is missing: scripts/test installs it"
    _private(dirs["config"] / "config.toml", "[health.disk_space]\nwarn_percent = 10\n"
             "[health.backup_age]\nwarn_hours = 0.5\nfail_hours = 1\n")  # fmt: skip
    r = _fleet(run, three_one_down, "--only", "disk_space,services,backup_age", "-o", "html")
    assert r.code == 10
    page = tmp_path / "health.html"
    page.write_text(r.out.replace("</body>", _CLICK))
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
            "--log-level=0"]  # fmt: skip
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert dom.returncode == 0, dom.stderr
    assert "CONSOLE" not in dom.stderr, dom.stderr
    for name in ("pbx01", "pbx02", "down"):
        assert f'<section id="pbx-{name}">' in dom.stdout
    title = dom.stdout.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("sorted:")
    assert title == "sorted:pass,warn,fail"  # worst first as printed, best first once clicked
    shot = tmp_path / "health.png"
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,1600",
                    (tmp_path / "health.html").as_uri()], capture_output=True, timeout=120,
                   check=True)  # fmt: skip
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    keep = os.environ.get("TCX_TEST_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "health-report.png")
