"""Planted secrets never reach the command line's output, logs or errors.

A private demo PBX holds a distinct planted value in every Concealed* field and every
secret-returning action (tests/planted.py).  Every read of them runs in every output
format, on one PBX and with ``--fleet``, in items mode and with ``--debug``; an error
that echoes a secret is printed; the emulator's request log is read.  None of the
planted values may appear -- and with ``--show-secrets`` all of them do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.catalog import catalog
from tcxkit.catalog.naming import kebab
from tcxkit.cli.safety import asks_first
from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

from ..planted import RELEASE, Planted, echoing_error, planted_emulator
from .conftest import InProcess, Result, _base_env

FORMATS = ("json", "jsonl", "table", "csv", "raw")


@pytest.fixture(scope="module")
def planted() -> Iterator[Planted]:
    with planted_emulator() as found:
        yield found


@pytest.fixture
def cli(planted: Planted, dirs: dict[str, Path]) -> InProcess:
    emu = planted.emulator
    env = _base_env(dirs)
    env.update(
        TCX_URL=emu.url,
        TCX_CLIENT_ID=emu.client_id,
        TCX_CLIENT_SECRET=emu.client_secret,
        PLANTED_KEY=emu.client_secret,
    )
    return InProcess(env, dirs["work"])


@pytest.fixture
def inventory(planted: Planted, tmp_path: Path) -> Path:
    """Two fleet entries for the planted PBX (rows from both must stay masked)."""
    url = planted.emulator.url
    targets = [
        PbxTarget(name, url, planted.emulator.client_id, SecretRef("env", "PLANTED_KEY"))
        for name in ("pa", "pb")
    ]
    path = tmp_path / "fleet.toml"
    path.write_text(dump_inventory(targets))
    return path


def command(action_id: str, args: dict[str, Any]) -> list[str]:
    """The ``3cx RESOURCE COMMAND --PARAM VALUE`` line for an action and its arguments."""
    action = catalog(RELEASE).require(action_id)
    line = [action.resource_cli_name, action.cli_name]
    for name, value in args.items():
        text = json.dumps(value) if isinstance(value, dict) else str(value)
        line += [f"--{kebab(name)}", text]
    return line + (["--yes"] if asks_first(action) else [])  # GenerateAppToken: destructive


def _ok(r: Result, what: str) -> str:
    assert r.code == 0, f"{what}: {r.err}"
    return r.out + r.err


def test_every_format_single_and_fleet_masks_every_planted_secret(
    cli: InProcess, planted: Planted, inventory: Path
) -> None:
    seen: list[str] = []
    for action_id, args in planted.reads.items():
        line = command(action_id, args)
        for fmt in FORMATS:
            seen.append(_ok(cli(*line, "-o", fmt), f"{action_id} -o {fmt}"))
            fleet = cli("--inventory", str(inventory), "--fleet", "all", *line, "-o", fmt)
            seen.append(_ok(fleet, f"--fleet {action_id} -o {fmt}"))
    for action_id in planted.answers:  # `3cx call ACTION`: the same printer
        params = [f"--param={k}={v}" for k, v in planted.reads[action_id].items()]
        params = [p for p in params if "={" not in p]  # named body arguments: below
        body = {k: v for k, v in planted.reads[action_id].items() if isinstance(v, dict)}
        line = [
            "call",
            action_id,
            "--yes",
            *params,
            *(["--body", json.dumps(body)] if body else []),
        ]
        seen.append(_ok(cli(*line, "-o", "jsonl"), f"call {action_id}"))
        fleet = cli("--inventory", str(inventory), "--fleet", "all", *line, "-o", "csv")
        seen.append(_ok(fleet, f"--fleet call {action_id}"))
    # the issue's own example: a selected secret column on every PBX
    select = cli(
        "--inventory", str(inventory), "--fleet", "all",
        "trunks", "list-trunk", "--select", "Number,AuthPassword", "-o", "csv",
    )  # fmt: skip
    seen.append(_ok(select, "--fleet list-trunk --select"))
    assert "********" in select.out
    assert not planted.leaks(*seen)
    assert len(seen) == (len(planted.reads) * len(FORMATS) + len(planted.answers)) * 2 + 1


def test_show_secrets_is_the_way_out(cli: InProcess, planted: Planted, inventory: Path) -> None:
    shown: list[str] = []
    for action_id, args in planted.reads.items():
        line = command(action_id, args)
        shown.append(_ok(cli(*line, "-o", "json", "--show-secrets"), action_id))
    assert planted.leaks(*shown) == planted.values
    fleet = cli(
        "--inventory", str(inventory), "--fleet", "all",
        *command("APIToken", {}), "-o", "jsonl", "--show-secrets",
    )  # fmt: skip
    assert [row["value"] for row in fleet.lines()] == [planted.answers["APIToken"]] * 2


def test_items_mode_masks_answers_and_inputs(
    cli: InProcess, planted: Planted, tmp_path: Path
) -> None:
    trunk = planted.reads["GetTrunk"]["Id"]
    seen = []
    for action_id, items in (
        ("GetTrunk", [{"Id": trunk}, {"Id": trunk}]),
        ("GetPhoneSecret", [{"Id": 1}, {"Id": 2}]),
        ("GenerateAppToken", [{"Id": 1}]),
    ):
        path = tmp_path / f"{action_id}.jsonl"
        path.write_text("".join(json.dumps(i) + "\n" for i in items))
        action = catalog(RELEASE).require(action_id)
        for fmt in ("jsonl", "csv"):
            yes = ["--yes"] if asks_first(action) else []
            r = cli(
                action.resource_cli_name, action.cli_name, "--items", str(path), *yes, "-o", fmt
            )
            seen.append(_ok(r, f"{action_id} --items -o {fmt}"))
    assert "********" in seen[0]
    assert not planted.leaks(*seen)
    shown = cli(
        "trunks", "get-trunk", "--items", str(tmp_path / "GetTrunk.jsonl"), "--show-secrets"
    )
    assert planted.leaks(shown.out)


def test_debug_logs_no_secret(cli: InProcess, planted: Planted) -> None:
    seen = []
    for action_id in ("GetMailSettings", "APIToken", "ListTrunk", "GetRemoteArchivingSettings"):
        r = cli("--debug", *command(action_id, planted.reads[action_id]))
        seen.append(_ok(r, action_id))
        assert "debug: tcxkit.http: GET " in r.err
    env_debug = cli(*command("GetPhoneSecret", {"Id": 1}), env={"TCX_DEBUG": "yes"})
    seen.append(_ok(env_debug, "TCX_DEBUG=yes"))
    assert "debug: tcxkit.http: GET " in env_debug.err
    assert not planted.leaks(*seen)


def test_an_error_that_echoes_a_secret_is_masked(
    cli: InProcess, planted: Planted, tmp_path: Path
) -> None:
    """The PBX quotes the refused request; neither the message nor --debug shows the secret."""
    secret = "PLANTED-sent-by-the-user-4f1c9a"
    body = tmp_path / "mail.json"
    body.write_text(json.dumps({"MailPassword": {"Concealed": False, "Value": secret}}))
    with echoing_error(planted.emulator, "UpdateMailSettings", secret) as said:
        for extra in ([], ["--debug"], ["-o", "jsonl"]):
            r = cli(*extra, "mail-settings", "update-mail-settings", "--body", f"@{body}")
            assert r.code == 8, r.err
            assert said in r.err and "********" in r.err
            assert secret not in r.out + r.err


def test_emulator_request_log_masks_planted_writes(planted: Planted) -> None:
    """Planting PATCHed every Concealed value: the log keeps the requests, not the values."""
    emu = planted.emulator
    log = httpx.get(f"{emu.url}/emulator/requests", auth=emu.control_auth)
    log.raise_for_status()
    patches = [e for e in log.json() if e["method"] == "PATCH"]
    assert len(patches) >= 10
    assert "********" in json.dumps(patches)
    assert not planted.leaks(log.text)
