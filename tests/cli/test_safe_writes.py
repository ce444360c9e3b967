"""Safe writes: --dry-run, confirmation of deletes, short verbs (issue #10, item 9)."""

from __future__ import annotations

import os
import pty
import subprocess
from typing import Any

from .conftest import BIN, Runner


def _user_id(run: Runner, number: str) -> int:
    r = run("users", "create", "--body", f'{{"Number": "{number}", "FirstName": "Tmp"}}')
    assert r.code == 0, r.err
    return int(r.json()["Id"])


def _exists(run: Runner, uid: int) -> bool:
    return run("users", "get", "--id", str(uid), "--select", "Id").code == 0


def test_dry_run_prints_the_request_and_sends_nothing(run: Runner, emulator: Any) -> None:
    emulator.clear_requests()
    r = run(
        "users", "create-user", "--dry-run",
        "--body", '{"Number": "196", "FirstName": "Dry", "AccessPassword": "hunter2"}',
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.json() == {
        "method": "POST",
        "url": f"{emulator.url}/xapi/v1/Users",
        "body": {"Number": "196", "FirstName": "Dry", "AccessPassword": "********"},
    }
    assert "hunter2" not in r.out + r.err
    assert r.err == "3cx: dry run: 1 request shown, nothing was sent.\n"
    r = run("users", "list", "--filter", "Number eq '196'", "--select", "Id", "--dry-run")
    assert r.json()["url"] == (
        f"{emulator.url}/xapi/v1/Users?$select=Id&$filter=Number%20eq%20'196'"
    )
    assert emulator.requests == []  # not even a token request


def test_dry_run_validates_and_covers_items(run: Runner, emulator: Any) -> None:
    r = run("users", "delete-user", "--id", "abc", "--dry-run")
    assert r.code == 3
    emulator.clear_requests()
    r = run("users", "delete-user", "--items", "-", "--dry-run", input="Id\n6\n7\n")
    assert r.code == 0, r.err
    assert [line["url"] for line in r.lines()] == [
        f"{emulator.url}/xapi/v1/Users(6)",
        f"{emulator.url}/xapi/v1/Users(7)",
    ]
    assert "2 requests shown, nothing was sent" in r.err
    assert emulator.requests == []


def test_delete_without_terminal_needs_yes(run: Runner, emulator: Any) -> None:
    uid = _user_id(run, "197")
    r = run("users", "delete", "--id", str(uid))
    assert r.code == 2
    assert (
        f"3cx: usage error: DeleteUser(Id={uid}) deletes data on {emulator.url}; "
        "not confirmed, nothing was sent." in r.err
    )
    assert "Hint: Add --yes to confirm" in r.err
    assert _exists(run, uid)
    r = run("users", "delete-user", "--items", "-", input=f'{{"Id": {uid}}}\n')
    assert r.code == 2
    assert "DeleteUser for 1 item deletes data on" in r.err
    assert _exists(run, uid)
    r = run("users", "delete", "--id", str(uid), "--yes")
    assert r.code == 0, r.err
    assert not _exists(run, uid)


def _answer_on_terminal(run: Runner, answer: str, *args: str) -> tuple[int, str]:
    """Run with stdin on a pseudo-terminal, typing ``answer``; returns (code, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN), *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=run.env,
        cwd=run.cwd,
    )
    os.close(slave)
    os.write(master, answer.encode())
    _out, err = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, err.decode()


def test_delete_asks_on_a_terminal(run: Runner, subprocess_run: Runner, emulator: Any) -> None:
    uid = _user_id(run, "198")
    code, err = _answer_on_terminal(subprocess_run, "n\n", "users", "delete", "--id", str(uid))
    assert code == 1
    assert f"3cx: DeleteUser(Id={uid}) deletes data on {emulator.url}. Go ahead? [y/N]" in err
    assert "3cx: not confirmed; nothing was sent." in err
    assert _exists(run, uid)
    code, err = _answer_on_terminal(subprocess_run, "y\n", "users", "delete", "--id", str(uid))
    assert code == 0, err
    assert not _exists(run, uid)


def test_short_verbs(run: Runner) -> None:
    r = run("users", "list", "--select", "Number", "--top", "1")
    assert (r.code, r.json()) == (0, [{"Number": "100"}])
    r = run("users", "--help")
    assert "Short verbs:" in r.out
    assert "  list    list-user" in r.out and "  delete  delete-user" in r.out
    r = run("users", "lst")
    assert r.code == 2
    assert "Did you mean: list?" in r.err
    env = {"_3CX_COMPLETE": "bash_complete", "COMP_WORDS": "3cx users li", "COMP_CWORD": "2"}
    assert "plain,list\n" in run(env=env).out


def test_destructive_actions_ask_first(run: Runner, emulator: Any) -> None:
    """The catalog's effect decides, not the name: Restore and ResetQueueStatistics ask too."""
    emulator.clear_requests()
    r = run("backups", "restore", "--file-name", "backup.zip")
    assert r.code == 2
    assert (
        f"3cx: usage error: Restore(FileName=backup.zip) is destructive (irreversible or "
        f"service-affecting) on {emulator.url}; not confirmed, nothing was sent." in r.err
    )
    r = run("queues", "reset-queue-statistics", "--id", "1")
    assert r.code == 2
    assert "ResetQueueStatistics(Id=1) is destructive" in r.err
    assert [q for q in emulator.requests if q["path"].startswith("/xapi")] == []
    r = run("actions", "show", "Restore")
    assert "Effect: destructive (irreversible or service-affecting; asks before it runs)" in r.out
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers": ["100"]}')
    assert r.code == 0, r.err  # a POST lookup is a read: it never asks
