"""Safe downloads over real HTTP: hostile file names, no silent overwrite, and answers
that are not the API's (HTML pages, JSON errors where a file was due).

Both clients run every case; the answers come from tests/answers.py, a real HTTP
server that plays what sits in front of a PBX (login pages, captive portals, proxies).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit import AsyncClient, Client
from tcxkit.cli.exitcodes import EXIT_CODES
from tcxkit.downloads import MAX_NAME_BYTES
from tcxkit.errors import OutputExistsError, UnexpectedContentError

from ..answers import HTML_LOGIN, Answer, AnswerServer, answering

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def wav(name: str) -> Answer:
    return Answer(
        content_type="audio/wav",
        body=WAV,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pytest.fixture
def server() -> Iterator[AnswerServer]:
    with answering() as s:
        yield s


@pytest.fixture(params=["sync", "async"])
def download(request: pytest.FixtureRequest, server: AnswerServer) -> Any:
    """``download(path, **kw)`` of DownloadRecording through Client or AsyncClient."""
    kw = {"release": "20.0.10", "token_cache": False}

    def run(path: Path, link: str | None = None, **extra: Any) -> Any:
        if request.param == "sync":
            with Client(server.url, "id", "key", **kw) as c:
                if link:
                    return c.download_url(link, path, **extra)
                return c.download("DownloadRecording", path, recId=1, **extra)

        async def go() -> Any:
            async with AsyncClient(server.url, "id", "key", **kw) as c:
                if link:
                    return await c.download_url(link, path, **extra)
                return await c.download("DownloadRecording", path, recId=1, **extra)

        return asyncio.run(go())

    return run


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        (".profile", "profile"),
        ("../x", "x"),
        ("..\\\\..\\\\evil.bat", "evil.bat"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("..", "DownloadRecording.wav"),  # nothing left: the action's name
    ],
)
def test_server_file_names_are_reduced_to_a_plain_visible_name(
    download: Any, server: AnswerServer, tmp_path: Path, sent: str, saved: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    server.answer = wav(sent)
    result = download(folder)
    assert result.filename == saved and Path(result.path) == folder / saved
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["in", saved])
    assert (folder / saved).read_bytes() == WAV


def test_a_300_character_name_is_cut_to_255_bytes_keeping_the_extension(
    download: Any, server: AnswerServer, tmp_path: Path
) -> None:
    server.answer = wav("é" * 300 + ".wav")
    result = download(tmp_path)
    assert len(result.filename.encode()) <= MAX_NAME_BYTES
    assert result.filename.endswith("é.wav") and Path(result.path).read_bytes() == WAV


def test_an_existing_file_is_kept_unless_overwrite(
    download: Any, server: AnswerServer, tmp_path: Path
) -> None:
    server.answer = wav("rec.wav")
    mine = tmp_path / "rec.wav"
    mine.write_bytes(b"my own file")
    with pytest.raises(OutputExistsError) as err:
        download(mine)
    assert server.paths == []  # refused before anything was sent
    assert str(mine) in str(err.value) and "overwrite=True (3cx: --force)" in str(err.value)
    assert err.value.exit_code == 2
    with pytest.raises(OutputExistsError):
        download(tmp_path)  # into the folder: the server's name is taken too
    assert mine.read_bytes() == b"my own file"
    assert [p.name for p in tmp_path.iterdir()] == ["rec.wav"]  # no .part left over

    result = download(tmp_path, overwrite=True)
    assert Path(result.path) == mine and mine.read_bytes() == WAV


@pytest.mark.parametrize("via_link", [False, True])
def test_an_html_page_instead_of_a_file_is_an_error_naming_it(
    download: Any, server: AnswerServer, tmp_path: Path, via_link: bool
) -> None:
    server.answer = Answer(content_type="text/html; charset=utf-8", body=HTML_LOGIN)
    with pytest.raises(UnexpectedContentError) as err:
        download(tmp_path / "rec.wav", link="/backups/b.zip" if via_link else None)
    text = str(err.value)
    assert "expected a file from GET" in text
    assert "was an HTML page (text/html) titled 'Sign in - Guest WiFi'" in text
    assert "login page, a captive portal or a proxy" in text and "5001" in text
    assert err.value.exit_code == 12 and 12 in EXIT_CODES
    assert list(tmp_path.iterdir()) == []


def test_a_json_error_with_200_instead_of_a_file_is_an_error(
    download: Any, server: AnswerServer, tmp_path: Path
) -> None:
    body = {"error": {"code": "", "message": "Session expired, log in again"}}
    server.answer = Answer(body=json.dumps(body).encode())
    with pytest.raises(UnexpectedContentError) as err:
        download(tmp_path / "rec.wav")
    assert "expected a file" in str(err.value)
    assert 'application/json starting \'{"error": {"code": "", "message": "Session' in str(
        err.value
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("content_type", ["text/html", "application/octet-stream"])
def test_an_html_page_for_a_json_action_is_an_error(
    server: AnswerServer, mode: str, content_type: str
) -> None:
    server.answer = Answer(content_type=content_type, body=HTML_LOGIN)  # sniffed, too
    kw = {"release": "20.0.10", "token_cache": False}
    with pytest.raises(UnexpectedContentError) as err:
        if mode == "sync":
            with Client(server.url, "id", "key", **kw) as c:
                c.call("ListUser", top=1)
        else:

            async def go() -> None:
                async with AsyncClient(server.url, "id", "key", **kw) as c:
                    await c.call("ListUser", top=1)

            asyncio.run(go())
    assert f"ListUser: expected JSON from GET {server.url}/xapi/v1/Users?$top=1" in str(err.value)
    assert f"an HTML page ({content_type}) titled 'Sign in - Guest WiFi'" in str(err.value)


def test_a_json_object_that_is_not_an_error_for_a_file_action_is_kept(
    download: Any, server: AnswerServer, tmp_path: Path
) -> None:
    server.answer = Answer(body=b'{"Id": 5}')
    result = download(tmp_path)
    assert Path(result.path).name == "DownloadRecording.json"
    assert json.loads(Path(result.path).read_text()) == {"Id": 5}


def test_an_html_page_labelled_as_a_file_is_recognised_by_its_first_bytes(
    download: Any, server: AnswerServer, tmp_path: Path
) -> None:
    server.answer = Answer(content_type="application/octet-stream", body=HTML_LOGIN)
    with pytest.raises(UnexpectedContentError) as err:
        download(tmp_path)  # streamed to a .part file, then looked at
    assert "an HTML page (application/octet-stream) titled 'Sign in - Guest WiFi'" in str(err.value)
    assert list(tmp_path.iterdir()) == []
