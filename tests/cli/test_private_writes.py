"""Private files are written through one helper (:func:`tcxkit.private_files.open_private`):
created 0600, never through a symbolic link, refused when the file there is not a
regular file, is someone else's or is writable by everyone -- and each refusal names the
file, the reason and the fix (exit 2 on the command line), with nothing written."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tcxkit.errors import ConfigurationError
from tcxkit.events.relay import DeadLetters
from tcxkit.private_files import open_private

from .conftest import SECRET, Runner

PRECIOUS = "not yours to overwrite\n"


def test_login_never_writes_the_key_through_a_planted_link(
    bare: Runner, emulator: Any, dirs: dict[str, Path]
) -> None:
    elsewhere = dirs["work"] / "elsewhere.txt"
    elsewhere.write_text(PRECIOUS)
    elsewhere.chmod(0o600)
    secrets = dirs["config"] / "secrets.json"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    secrets.symlink_to(elsewhere)
    r = bare(
        "login", "--name", "lab", "--url", emulator.url, "--client-id", emulator.client_id,
        input=SECRET + "\n",
    )  # fmt: skip
    assert r.code == 2, r.err
    assert f"3cx: configuration error: The secret file {secrets} is a symbolic link" in r.err
    assert f"Hint: Run: rm {secrets}" in r.err
    assert elsewhere.read_text() == PRECIOUS  # the link's target was not written
    assert SECRET not in r.out + r.err


def test_open_private_creates_0600_and_refuses_what_it_must_not_write(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    with open_private(new, "w", encoding="utf-8") as fh:
        fh.write("{}")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600 and new.read_text() == "{}"

    loose = tmp_path / "loose.json"
    loose.write_text("old content")
    loose.chmod(0o644)
    with open_private(loose, "a", encoding="utf-8") as fh:  # appending keeps the mode
        fh.write("+")
    assert stat.S_IMODE(loose.stat().st_mode) == 0o644
    with open_private(loose, "w", encoding="utf-8") as fh:  # rewriting makes it ours alone
        fh.write("new")
    assert (stat.S_IMODE(loose.stat().st_mode), loose.read_text()) == (0o600, "new")

    shared = tmp_path / "shared.json"
    shared.write_text(PRECIOUS)
    shared.chmod(0o666)
    link = tmp_path / "link.json"
    link.symlink_to(shared)
    device = Path(os.devnull)  # not a regular file (and writable by all: checked first)
    for path, mode, problem, fix in [
        (shared, "w", "is writable by every user (mode -rw-rw-rw-)", f"chmod o-w {shared}"),
        (shared, "ab", "is writable by every user (mode -rw-rw-rw-)", f"chmod o-w {shared}"),
        (link, "w", "is a symbolic link", f"rm {link}"),
        (link, "a", "is a symbolic link", f"rm {link}"),
        (device, "w", "is not a regular file", f"rm {device}"),
    ]:
        with pytest.raises(ConfigurationError) as err:
            open_private(path, mode, what="token file")
        assert str(err.value).startswith(f"The token file {path} {problem}"), err.value
        assert err.value.hint == f"Run: {fix}"
        assert err.value.exit_code == 2
    for path in (shared, link):  # "x" never takes a name that exists, link or not
        with pytest.raises(FileExistsError):
            open_private(path, "x")
    assert shared.read_text() == PRECIOUS  # never truncated before the checks
    with pytest.raises(ValueError, match="mode 'r' is not w, a or x"):
        open_private(new, "r")


def test_dead_letters_are_not_parked_through_a_link(tmp_path: Path) -> None:
    from tcxkit.events.model import Event

    target = tmp_path / "target.jsonl"
    target.write_text(PRECIOUS)
    target.chmod(0o600)
    dead = tmp_path / "dead.jsonl"
    os.symlink(target, dead)
    event = Event("evt_x", "call.missed", "2026-01-01T00:00:00+00:00", "pbx", {})
    with pytest.raises(ConfigurationError, match=r"The dead-letter file .* is a symbolic link"):
        DeadLetters(dead).park(event, "HTTP 500", 3)
    assert target.read_text() == PRECIOUS
