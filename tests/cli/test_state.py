"""``3cx state pull|plan|apply``: files, exit codes, confirmation, JSON plans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit.emulator import EmulatorConfig, running

from .conftest import SECRET, Runner


def _pbx(data: str) -> Any:
    return running(EmulatorConfig(client_id="cli-tests", client_secret=SECRET, data=data))


@pytest.fixture(scope="module")
def demo() -> Iterator[Any]:
    """A demo PBX of this module's own (others write to the session's): only read."""
    with _pbx("demo") as emu:
        yield emu


@pytest.fixture
def fresh() -> Iterator[Any]:
    with _pbx("empty") as emu:
        yield emu


def _to(emu: Any) -> dict[str, str]:
    return {"TCX_URL": emu.url}


def test_pull_plan_apply_round_trip(run: Runner, demo: Any, fresh: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    r = run("state", "pull", "--only", "groups,users,queues", "-f", str(path), env=_to(demo))
    assert r.code == 0, r.err
    assert "3cx: wrote" in r.err and ": 5 groups, 25 users, 3 queues\n" in r.err
    text = path.read_text()
    assert text.startswith("# 3cx state pull of http://127.0.0.1:")
    assert "AuthPassword" not in text and "VMPIN" not in text

    r = run("state", "plan", str(path), env=_to(demo))
    assert (r.code, r.out) == (0, "No changes: the PBX matches the file.\n")

    r = run("state", "apply", str(path), env=_to(fresh))  # no terminal, no --yes
    assert r.code == 2
    assert "not confirmed, nothing was sent" in r.err
    r = run("state", "apply", str(path), "--yes", env=_to(fresh))
    assert r.code == 0, r.err
    assert "3cx: created users '100'" in r.err and "3cx: applied 33 changes." in r.err
    r = run("state", "plan", str(path), env=_to(fresh))
    assert r.code == 0, r.out
    r = run("state", "apply", str(path), "--yes", env=_to(fresh))
    assert (r.code, r.err) == (0, "3cx: no changes: the PBX matches the file.\n")

    r = run("state", "pull", "-f", str(path), env=_to(demo))
    assert r.code == 2 and "exists; nothing was pulled" in r.err


def test_plan_exits_2_with_each_field_old_and_new(run: Runner, demo: Any, tmp_path: Path) -> None:
    path = tmp_path / "edit.yaml"
    path.write_text("users:\n  '100': {FirstName: Alicia}\nparameters:\n  NEW_ONE: {Value: '1'}\n")
    r = run("state", "plan", str(path), env=_to(demo))
    assert r.code == 2, r.err
    assert r.out == (
        'parameters:\n  + NEW_ONE (create)\n      Value: "1"\n'
        'users:\n  ~ 100 (update)\n      FirstName: "Alice" -> "Alicia"\n'
        "Plan: 1 to create, 1 to update, 0 to delete.\n"
    )
    r = run("state", "plan", str(path), "-o", "json", env=_to(demo))
    assert r.code == 2
    assert r.json()["summary"] == {"create": 1, "update": 1, "delete": 0}
    assert r.json()["changes"][1] == {
        "kind": "users", "key": "100", "op": "update",
        "fields": {"FirstName": {"old": "Alice", "new": "Alicia"}},
    }  # fmt: skip
    r = run("state", "apply", str(path), "--dry-run", env=_to(demo))
    assert r.code == 0 and "Plan: 1 to create, 1 to update" in r.out


def test_plan_errors_never_exit_2(run: Runner, tmp_path: Path) -> None:
    r = run("state", "plan", str(tmp_path / "missing.yaml"))
    assert r.code == 3 and "Cannot read" in r.err
    r = run("state", "plan", "--bogus", "x.yaml")
    assert r.code == 3 and "No such option '--bogus'" in r.err
    r = run("state", "plan")  # the usage error `apply` gives, with plan's exit code
    assert r.code == 3 and "Error: Missing argument 'FILE'." in r.err
    assert "Usage: 3cx state plan [OPTIONS] FILE" in r.err
    r = run("state", "pull", "-f", str(tmp_path / "no" / "such" / "dir.yaml"))
    assert r.code == 2 and "Cannot write" in r.err and "Traceback" not in r.err
    r = run("state", "pull", "--only", "robots")
    assert r.code == 2 and "Unknown kind: robots." in r.err
    (tmp_path / "pw.yaml").write_text("users:\n  '100': {AuthPassword: '${NOT_SET_PW}'}\n")
    r = run("state", "plan", str(tmp_path / "pw.yaml"))
    assert r.code == 3 and "the environment variable NOT_SET_PW is not set" in r.err


def test_apply_failure_reports_what_was_and_was_not_applied(
    run: Runner, fresh: Any, tmp_path: Path
) -> None:
    path = tmp_path / "clash.yaml"
    path.write_text(
        "parameters:\n  FIRST: {Value: '1'}\nusers:\n  '100': {FirstName: Ann}\n"
        "queues:\n  '100': {Name: Clash}\ncontacts:\n  Late Entry: {FirstName: Late, LastName: Entry}\n"
    )
    r = run("state", "apply", str(path), "--yes", "-o", "json", env=_to(fresh))
    assert r.code == 8, r.err
    report = r.json()
    assert (report["ok"], len(report["applied"]), report["failed"]["key"]) == (False, 2, "100")
    assert report["skipped"] == [{"kind": "contacts", "key": "Late Entry", "op": "create"}]
    assert "3cx: stopped at create of queues '100': applied 2, failed 1, not attempted 1." in r.err
    assert "3cx:   not attempted: create contacts 'Late Entry'" in r.err


def test_a_literal_secret_of_any_type_is_refused_and_nothing_sent(
    run: Runner, fresh: Any, tmp_path: Path
) -> None:
    fresh.clear_requests()
    for value in ("1234", "'1234'", "true"):
        path = tmp_path / "pin.yaml"
        path.write_text(f"users:\n  '150': {{FirstName: Pin, VMPIN: {value}}}\n")
        r = run("state", "apply", str(path), "--yes", env=_to(fresh))
        assert r.code == 3, r.err
        assert f"{path}: users '150': VMPIN is a secret; write it as ${{ENV_NAME}}" in r.err
        assert "1234" not in r.err + r.out
    assert [x for x in fresh.requests if x["method"] != "GET"] == []
    assert [x for x in fresh.requests if x["path"].startswith("/xapi/v1/Users")] == []


def test_a_misspelled_field_is_a_plan_error_with_the_right_name(
    run: Runner, demo: Any, tmp_path: Path
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("users:\n  '100': {FirstNmae: Alicia}\n")
    r = run("state", "plan", str(path), env=_to(demo))
    assert r.code == 3, r.err
    assert r.out == ""
    assert (
        "1 field the PBX does not know:\n"
        "  - users '100': FirstNmae: unknown property (did you mean FirstName?)\n" in r.err
    )
