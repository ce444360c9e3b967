"""``3cx --fleet`` / ``3cx fleet list`` / ``login --tag`` / ``3cx emulator --instances``,
over real HTTP against the pytest plugin's emulated fleet (3 PBXs, own keys each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

from .conftest import Runner

DOWN_KEY = "down-key-never-shown-77"


@pytest.fixture
def inventory(tcx_fleet: Any) -> Path:
    """The emulated fleet's inventory (keys in 0600 files it names, relative to it)."""
    return Path(tcx_fleet.inventory)


@pytest.fixture
def with_down(tcx_fleet: Any, tmp_path: Path) -> Path:
    """The emulated fleet plus "down", a PBX whose port refuses connections."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = PbxTarget("down", f"http://127.0.0.1:{port}", "x", SecretRef("env", "DOWN_KEY"))
    path = tmp_path / "with-down.toml"
    path.write_text(dump_inventory([*tcx_fleet.targets, down]))
    return path


def _keys(tcx_fleet: Any) -> list[str]:
    return [e.client_secret for e in tcx_fleet.instances]


def test_fleet_list_shows_tags_release_and_reachability(run: Runner, inventory: Path) -> None:
    r = run("--inventory", str(inventory), "fleet", "list", "-o", "json")
    assert r.code == 0, r.err
    rows = r.json()
    assert [(x["pbx"], x["tags"], x["release"], x["reachable"]) for x in rows] == [
        ("pbx01", ["emulated", "eu"], "20.0.10", True),
        ("pbx02", ["emulated", "us"], "20.0.10", True),
        ("pbx03", ["emulated", "eu"], "20.0.10", True),
    ]
    assert rows[0]["build"] == "20.0.10.1621"
    assert rows[0]["key_source"].startswith("file ") and rows[0]["key_source"].endswith("/pbx01")
    part = run("fleet", "list", "--inventory", str(inventory), "--fleet", "us", "-o", "jsonl")
    assert [x["pbx"] for x in part.lines()] == ["pbx02"]
    table = run("--inventory", str(inventory), "fleet", "list", "--no-check", "-o", "table")
    assert table.out.splitlines()[0].split() == [
        "pbx", "tags", "release", "build", "reachable", "url", "source", "key_source", "error",
    ]  # fmt: skip
    # A long key path is cut in the middle: its end (the PBX's own file) stays readable.
    lines = table.out.splitlines()
    start = lines[0].index("key_source")
    keys = [line[start:].split()[-1] for line in lines[1:]]
    assert [k.rsplit("/", 1)[-1] for k in keys] == ["pbx01", "pbx02", "pbx03"], keys


def test_action_on_every_pbx_rows_name_their_pbx(run: Runner, inventory: Path) -> None:
    r = run(
        "users", "list-user", "--top", "2", "--select", "Number", "-o", "jsonl",
        "--inventory", str(inventory), "--fleet", "all",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.lines() == [
        {"pbx": p, "Number": n} for p in ("pbx01", "pbx02", "pbx03") for n in ("100", "101")
    ]
    assert list(r.lines()[0]) == ["pbx", "Number"]  # the PBX first
    table = run(
        "--inventory", str(inventory), "--fleet", "eu", "--concurrency", "1",
        "users", "list-user", "--top", "1", "--select", "Number,FirstName", "-o", "table",
    )  # fmt: skip
    assert table.code == 0, table.err
    assert [line.split() for line in table.out.splitlines()] == [
        ["pbx", "Number", "FirstName", "error"],
        ["pbx01", "100", "Alice"],
        ["pbx03", "100", "Alice"],
    ]


def test_an_entity_is_one_row_per_pbx(run: Runner, inventory: Path) -> None:
    first = run("--inventory", str(inventory), "--fleet", "pbx01", "users", "list-user",
                "--top", "1", "--select", "Id", "-o", "jsonl")  # fmt: skip
    user_id = first.lines()[0]["Id"]
    r = run("--inventory", str(inventory), "--fleet", "pbx02,pbx03", "call", "GetUser",
            "-P", f"Id={user_id}", "--select", "Id,Number", "-o", "json")  # fmt: skip
    assert r.code == 0, r.err
    assert r.json() == [
        {"pbx": "pbx02", "Id": user_id, "Number": "100"},
        {"pbx": "pbx03", "Id": user_id, "Number": "100"},
    ]


def test_all_pages_of_every_pbx(run: Runner, inventory: Path, tcx_fleet: Any) -> None:
    one = run("--inventory", str(inventory), "--fleet", "pbx01", "call", "ListUser",
              "--select", "Number", "--all", "--page-size", "2", "-o", "jsonl")  # fmt: skip
    every = run("--inventory", str(inventory), "--fleet", "all", "call", "ListUser",
                "--select", "Number", "--all", "--page-size", "2", "-o", "jsonl")  # fmt: skip
    assert one.code == every.code == 0, every.err
    per_pbx: dict[str, list[str]] = {}
    for row in every.lines():
        per_pbx.setdefault(row["pbx"], []).append(row["Number"])
    numbers = [row["Number"] for row in one.lines()]
    assert len(numbers) > 2  # several pages
    assert per_pbx == {p: numbers for p in ("pbx01", "pbx02", "pbx03")}


def test_one_pbx_down_others_answer_exit_10(run: Runner, with_down: Path, tcx_fleet: Any) -> None:
    r = run(
        "--inventory", str(with_down), "--fleet", "all", "users", "list-user",
        "--top", "1", "--select", "Number", "-o", "jsonl",
        env={"DOWN_KEY": DOWN_KEY},
    )  # fmt: skip
    assert r.code == 10
    rows = r.lines()
    assert rows[:3] == [{"pbx": p, "Number": "100"} for p in ("pbx01", "pbx02", "pbx03")]
    down = rows[3]
    assert down["pbx"] == "down"
    assert down["error"]["type"] == "ConnectError"
    assert down["error"]["exit_code"] == 4
    assert down["error"]["message"].startswith(f"Cannot connect to {down_url(with_down)}")
    assert r.err.startswith("3cx: partial failure: 1 of 4 PBXs failed (down: cannot connect).\n")
    for secret in [DOWN_KEY, *_keys(tcx_fleet)]:
        assert secret not in r.out + r.err
    listing = run("--inventory", str(with_down), "fleet", "list", env={"DOWN_KEY": DOWN_KEY})
    assert listing.code == 10
    assert [(x["pbx"], x["reachable"]) for x in listing.json()] == [
        ("pbx01", True), ("pbx02", True), ("pbx03", True), ("down", False),
    ]  # fmt: skip


def down_url(path: Path) -> str:
    import tomllib

    return tomllib.loads(path.read_text())["pbx"]["down"]["url"]


def test_every_pbx_failing_alike_exits_with_that_code(run: Runner, with_down: Path) -> None:
    r = run("--inventory", str(with_down), "--fleet", "down", "users", "list-user", "-o", "json")
    assert r.code == 2  # its key's variable is not set: a configuration error, exit 2
    assert r.json() == [
        {
            "pbx": "down",
            "error": {
                "type": "ConfigurationError",
                "message": "down: the environment variable DOWN_KEY (its API key) is not set.",
                "hint": "Set DOWN_KEY, or point the inventory at another secret source.",
                "exit_code": 2,
            },
        }
    ]
    assert r.err.startswith("3cx: fleet failure: The fleet's one PBX failed (down: configuration")
    assert "Hint: Each failed PBX has its own error row.\n" in r.err  # no "others" to speak of


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "list-user", "--items", "-"), "3cx: usage error: --items cannot be combined with --fleet.\nHint: Items mode runs on one PBX: run it with --pbx NAME instead of --fleet (any name `3cx fleet list` shows)."),
        (("users", "list-user", "--dry-run"), "3cx: usage error: --dry-run cannot be combined with --fleet.\nHint: See the request one PBX would get: run it with --pbx NAME instead of --fleet (any name `3cx fleet list` shows)."),
        (("users", "delete-user", "--id", "1"), "3cx: usage error: DeleteUser(Id=1) deletes data on 3 PBXs (pbx01, pbx02, pbx03); not confirmed, nothing was sent.\nHint: Add --yes to confirm (there is no terminal to ask on), or run it with --pbx NAME instead of --fleet (any name `3cx fleet list` shows) and --dry-run to see the request first."),
        (("users", "list-user", "--fleet", "nope"), "3cx: usage error: --fleet: no PBX or tag named 'nope'."),
        (("doctor",), "3cx: usage error: --fleet and --inventory do not apply to `3cx doctor`."),
    ],
)  # fmt: skip
def test_refusals(run: Runner, inventory: Path, args: tuple[str, ...], message: str) -> None:
    r = run("--inventory", str(inventory), "--fleet", "all", *args, input="")
    assert r.code == 2
    assert r.err.splitlines()[: message.count("\n") + 1] == message.splitlines()
    assert r.out == ""


def test_inventory_without_fleet_or_pbx_is_refused(run: Runner, inventory: Path) -> None:
    for args in (("users", "list-user", "--top", "1"), ("state", "pull")):
        r = run("--inventory", str(inventory), *args)
        assert r.code == 2
        assert r.err.splitlines() == [
            "3cx: usage error: --inventory needs --fleet (many PBXs) or --pbx NAME (one of them).",
            "Hint: Add --fleet all (or a tag, or names) to run on the inventory's PBXs, or "
            "--pbx NAME for one; `3cx --inventory FILE fleet list` lists them.",
        ]


# ----------------------------------------------------------------------------- one inventory PBX


def test_an_inventory_pbx_is_a_target_for_a_dry_run(
    run: Runner, inventory: Path, tcx_fleet: Any
) -> None:
    pbx01 = tcx_fleet.instances[0]
    pbx01.clear_requests()
    r = run(
        "--inventory", str(inventory), "--pbx", "pbx01",
        "users", "delete-user", "--id", "7", "--dry-run",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.json() == {"method": "DELETE", "url": f"{pbx01.url}/xapi/v1/Users(7)"}
    assert r.err == "3cx: dry run: 1 request shown, nothing was sent.\n"
    assert pbx01.requests == []  # not even a token request


def test_items_mode_and_a_download_on_an_inventory_pbx(
    run: Runner, inventory: Path, tcx_fleet: Any, dirs: dict[str, Path]
) -> None:
    pbx02 = tcx_fleet.instances[1]
    one = ("--inventory", str(inventory), "--pbx", "pbx02")
    listed = run(*one, "users", "list-user", "--top", "2", "--select", "Id,Number", "-o", "jsonl")
    assert listed.code == 0, listed.err
    ids = "".join(f"{row['Id']}\n" for row in listed.lines())
    pbx02.clear_requests()
    r = run(*one, "users", "get-user", "--items", "-", "--select", "Number", input="Id\n" + ids)
    assert r.code == 0, r.err
    assert [row["Number"] for row in r.lines()] == [row["Number"] for row in listed.lines()]
    assert pbx02.requests  # the inventory PBX answered, not the environment's
    r = run(
        "--inventory", str(inventory), "--pbx", "pbx02",
        "recordings", "download-recording", "--rec-id", "1", "--out", "rec.wav",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert (dirs["work"] / "rec.wav").read_bytes()[:4] == b"RIFF"


def test_state_pull_from_an_inventory_pbx(run: Runner, inventory: Path, tcx_fleet: Any) -> None:
    pbx03 = tcx_fleet.instances[2]
    pbx03.clear_requests()
    r = run("--inventory", str(inventory), "--pbx", "pbx03", "state", "pull")
    assert r.code == 0, r.err
    assert "users:" in r.out
    assert pbx03.requests


def test_an_inventory_pbx_pinned_to_a_release_gets_its_commands(
    run: Runner, tcx_fleet: Any, tmp_path: Path
) -> None:
    """Its ``release`` builds the command tree, as a profile's does (20.0.4 has no holidays)."""
    from dataclasses import replace

    first, *others = tcx_fleet.targets
    old = tmp_path / "old.toml"
    old.write_text(dump_inventory([replace(first, release="20.0.4"), *others]))
    args = ("call", "CreateHoliday", "--body", '{"Name": "x"}', "--dry-run")
    assert run("--inventory", str(old), "--pbx", "pbx02", *args).code == 0
    r = run("--inventory", str(old), "--pbx", "pbx01", *args)
    assert r.code == 2
    assert r.err.startswith(
        "3cx: unknown action: No action named 'CreateHoliday' in XAPI 20.0.4.\n"
    ), r.err


def test_an_unknown_pbx_name_lists_profiles_and_inventory(run: Runner, inventory: Path) -> None:
    r = run("--inventory", str(inventory), "--pbx", "pbx9", "users", "list-user")
    assert r.code == 2
    assert r.err.splitlines() == [
        "3cx: configuration error: No profile or inventory PBX named 'pbx9' (profiles: none; "
        "inventory: pbx01, pbx02, pbx03).",
        "Hint: Create it with `3cx login --name pbx9`, list them with `3cx profiles list` and "
        "`3cx fleet list`, or name the inventory with --inventory.",
    ]


def test_downloads_are_refused(run: Runner, inventory: Path) -> None:
    r = run("--fleet", "all", "--inventory", str(inventory), "call", "DownloadAuditLog")
    assert r.code == 2
    assert r.err.startswith(
        "3cx: usage error: DownloadAuditLog returns a file; --fleet does not download"
    )


def test_inventory_holding_a_secret_is_refused_unread(run: Runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[pbx.a]\nurl = "https://a"\nclient_id = "x"\nclient_secret = "hunter2-xyz"\n')
    r = run("--inventory", str(bad), "fleet", "list")
    assert r.code == 2
    assert f"{bad}: [pbx.a] holds a secret (client_secret)" in r.err
    assert "hunter2-xyz" not in r.err + r.out


def test_login_tags_profiles_and_fleet_toml_make_the_fleet(
    run: Runner, tcx_fleet: Any, dirs: dict[str, Path]
) -> None:
    a, b, c = tcx_fleet.instances
    for name, emu, tags in (("acme", a, ("customers", "eu")), ("beta", b, ("customers",))):
        r = run(
            "login", "-n", name, "--url", emu.url, "--client-id", emu.client_id,
            *(x for t in tags for x in ("--tag", t)),
            env={"TCX_CLIENT_SECRET": emu.client_secret},
        )  # fmt: skip
        assert r.code == 0, r.err
    listing = run("profiles", "list")
    head, acme = listing.out.splitlines()[0:2]
    assert head.split()[-1] == "TAGS" and acme.split()[-1] == "customers,eu"
    # fleet.toml in the config directory adds PBXs to the profiles.
    lab = PbxTarget("lab", c.url, c.client_id, tcx_fleet.targets[2].secret, ("lab",))
    (dirs["config"] / "fleet.toml").write_text(dump_inventory([lab]))
    r = run("--fleet", "customers,lab", "users", "list-user", "--top", "1", "--select", "Number",
            "-o", "jsonl")  # fmt: skip
    assert r.code == 0, r.err
    assert [x["pbx"] for x in r.lines()] == ["acme", "beta", "lab"]
    everything = run("fleet", "list", "--no-check", "-o", "json")
    assert [(x["pbx"], x["source"]) for x in everything.json()] == [
        ("acme", "profile"), ("beta", "profile"), ("lab", "inventory"),
    ]  # fmt: skip
    bad = run("login", "-n", "x", "--url", a.url, "--client-id", "y", "--tag", "a,b",
              "--no-verify-login", env={"TCX_CLIENT_SECRET": "k"})  # fmt: skip
    assert bad.code == 2
    assert bad.err.startswith("3cx: usage error: --tag 'a,b': a tag is letters")


def test_emulator_instances_serve_an_inventory(
    run: Runner, tmp_path: Path, dirs: dict[str, Path]
) -> None:
    out = tmp_path / "emu" / "fleet.toml"
    env = {**os.environ, "TCX_CONFIG_DIR": str(dirs["config"]), "TCX_DATA_DIR": str(dirs["data"])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcxkit", "emulator", "--instances", "2", "--port", "0",
         "--inventory-out", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # printed once the sockets listen
        assert line.startswith("emulating 2 PBXs (3CX 20.0.10) at http://127.0.0.1:")
        text = out.read_text()
        keys = sorted((out.parent / "fleet.toml.secrets").iterdir())
        assert [k.name for k in keys] == ["pbx01", "pbx02"]
        assert all(os.stat(k).st_mode & 0o777 == 0o600 for k in keys)
        assert 'secret_file = "fleet.toml.secrets/pbx01"' in text
        assert all(k.read_text().strip() not in text + line for k in keys)
        assert keys[0].read_text() != keys[1].read_text()
        r = run("--inventory", str(out), "fleet", "list", "-o", "jsonl")
        assert r.code == 0, r.err
        assert [(x["pbx"], x["reachable"]) for x in r.lines()] == [("pbx01", True), ("pbx02", True)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_inventory_others_can_write_is_refused_with_the_chmod(
    run: Runner, tcx_fleet: Any, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(dump_inventory(tcx_fleet.targets))
    path.chmod(0o666)
    for emu in tcx_fleet.instances:
        emu.clear_requests()
    r = run("--inventory", str(path), "--fleet", "all", "users", "list-user", "--top", "1")
    assert (r.code, r.out) == (2, "")
    assert r.err == (
        f"3cx: configuration error: The inventory {path} is writable by other users "
        "(mode -rw-rw-rw-); whoever can change it decides where API keys go, so it was not "
        f"used.\nHint: Run: chmod go-w {path}\n"
    )
    assert [e.requests for e in tcx_fleet.instances] == [[], [], []]
    path.chmod(0o600)
    assert run("--inventory", str(path), "fleet", "list", "--no-check").code == 0


def test_fleet_list_never_shows_a_password_from_a_url(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text('[pbx.a]\nurl = "https://admin:Pw-77aa@a.example.com"\nclient_id = "x"\n')
    r = run("--inventory", str(path), "fleet", "list", "--no-check")
    assert r.code == 2
    assert f"{path}: [pbx.a]: The PBX URL https://***@a.example.com carries credentials" in r.err
    assert "Pw-77aa" not in r.err + r.out


def test_plain_http_off_this_machine_needs_insecure_http_or_allow_http(
    run: Runner, tmp_path: Path
) -> None:
    """Refused per PBX before any connection; the address is a documentation one."""
    path = tmp_path / "fleet.toml"
    path.write_text('[pbx.far]\nurl = "http://198.51.100.7:5000"\nclient_id = "x"\n'
                    'secret_env = "FAR_KEY"\n')  # fmt: skip
    r = run("--inventory", str(path), "--fleet", "all", "users", "list-user", "-o", "json",
            env={"FAR_KEY": "k"})  # fmt: skip
    assert (r.code, r.err.splitlines()[0]) == (
        2, "3cx: fleet failure: The fleet's one PBX failed (far: configuration error).",
    )  # fmt: skip
    assert r.json()[0]["error"]["message"] == (
        "Plain http:// to 198.51.100.7 would send the API key unencrypted; nothing was sent."
    )


def test_the_docs_down_pbx_step_runs(run: Runner, inventory: Path) -> None:
    """docs/fleet.md's "When a PBX fails" block, its inventory entry as written (issue #22)."""
    import re

    doc = (Path(__file__).parents[2] / "docs" / "fleet.md").read_text()
    step = doc.split("## 6. When a PBX fails", 1)[1]
    entry = re.search(r"<<'EOF'\n(.*?)\nEOF\n", step, re.DOTALL)
    assert entry is not None
    command = re.search(r"\n(3cx --fleet all .*?) \|\| echo", step)
    assert command is not None
    path = inventory.with_name("with-the-docs-down.toml")  # its key paths are relative
    path.write_text(inventory.read_text() + entry.group(1) + "\n")
    try:
        args = command.group(1).split()[1:]
        r = run("--inventory", str(path), *args)
    finally:
        path.unlink()
    assert r.code == 10, r.err
    rows = r.lines()
    assert [row["pbx"] for row in rows if "error" not in row] == ["pbx01", "pbx02", "pbx03"]
    (down,) = [row for row in rows if "error" in row]
    assert (down["pbx"], down["error"]["exit_code"]) == ("down", 4)
    assert "3cx: partial failure: 1 of 4 PBXs failed (down: cannot connect)." in r.err
