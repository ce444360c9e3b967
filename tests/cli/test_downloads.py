"""``3cx`` downloads: never overwrite without --force, and an HTML answer is an error.

Against the emulator for real recordings, and against tests/answers.py for what a
wrong URL answers (a login page, a captive portal).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..answers import HTML_LOGIN, Answer, AnswerServer, answering
from .conftest import Runner


def test_out_refuses_to_overwrite_without_force(run: Runner, dirs: dict[str, Path]) -> None:
    mine = dirs["work"] / "rec.wav"
    mine.write_bytes(b"keep me")
    args = ("recordings", "download-recording", "--rec-id", "1", "--out", "rec.wav")
    r = run(*args)
    assert r.code == 2
    assert "rec.wav exists already; nothing was overwritten." in r.err
    assert "--force" in r.err and mine.read_bytes() == b"keep me"
    r = run(*args, "--force")
    assert r.code == 0, r.err
    assert mine.read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in dirs["work"].iterdir()) == ["rec.wav"]  # no .part left


def test_the_cli_docs_recording_example_runs(run: Runner, dirs: dict[str, Path]) -> None:
    """docs/cli.md's download line, as written, on the demo PBX (issue #22: it exited 7)."""
    import re
    import shlex

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    line = re.search(r"^3cx recordings download-recording .*$", doc, re.MULTILINE)
    assert line is not None
    r = run(*shlex.split(line.group(0))[1:])
    assert r.code == 0, r.err
    assert (dirs["work"] / "call.wav").read_bytes()[:4] == b"RIFF"


def test_the_servers_name_is_not_overwritten_either(run: Runner, dirs: dict[str, Path]) -> None:
    first = run("users", "export-extensions")
    assert first.code == 0, first.err
    name = first.json()["path"]
    again = run("users", "export-extensions")
    assert again.code == 2 and f"{name} exists already" in again.err
    assert run("users", "export-extensions", "--force").code == 0


def test_force_only_with_file_results(run: Runner) -> None:
    r = run("call", "ListUser", "--force", "--top", "1")
    assert r.code == 2
    assert "--force only applies to file results; ListUser returns" in r.err


@pytest.fixture
def portal() -> Iterator[AnswerServer]:
    with answering(Answer(content_type="text/html", body=HTML_LOGIN)) as s:
        yield s


def test_an_html_page_for_list_user_exits_12_naming_it(
    run: Runner, portal: AnswerServer, dirs: dict[str, Path]
) -> None:
    r = run("users", "list-user", "--top", "1", env={"TCX_URL": portal.url})
    assert r.code == 12
    assert "ListUser: expected JSON from GET" in r.err
    assert "an HTML page (text/html) titled 'Sign in - Guest WiFi'" in r.err
    assert "a web login page, a captive portal or a proxy" in r.err
    assert r.out == "" and list(dirs["work"].iterdir()) == []  # nothing saved as ListUser.bin


def test_an_html_page_for_a_download_saves_nothing(
    run: Runner, portal: AnswerServer, dirs: dict[str, Path]
) -> None:
    r = run("recordings", "download-recording", "--rec-id", "1", env={"TCX_URL": portal.url})
    assert r.code == 12
    assert "DownloadRecording: expected a file" in r.err
    assert list(dirs["work"].iterdir()) == []


def test_a_captive_portal_answering_the_token_request_exits_12(
    run: Runner, portal: AnswerServer
) -> None:
    portal.token_answer = portal.answer
    r = run("users", "list-user", "--top", "1", env={"TCX_URL": portal.url})
    assert r.code == 12
    assert f"The token request to {portal.url}/connect/token got 200 with an HTML page" in r.err
    assert "titled 'Sign in - Guest WiFi' instead of a token" in r.err
    assert portal.paths == []  # the API itself was never asked
