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
from tcxkit.errors import (
    DownloadTooLarge,
    NotFoundError,
    OutputExistsError,
    UnexpectedContentError,
)
from tcxkit.results import require_file

from ..answers import HTML_LOGIN, Answer, AnswerServer, answering
from .conftest import PBX

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


@pytest.mark.parametrize("folder", [True, False])
def test_a_204_answer_writes_no_file(
    download: Any, server: AnswerServer, tmp_path: Path, folder: bool
) -> None:
    """A file action that answers 204 (as DropCall does) was done and sent nothing: no
    file, no ``.part`` left behind, ``path`` None (the CLI says "done (no content)"); a
    caller that needs the file gets exit 12 naming it (:func:`tcxkit.results.require_file`)."""
    server.answer = Answer(status=204, content_type="", body=b"")
    result = download(tmp_path if folder else tmp_path / "out.bin")
    assert (result.path, result.size, result.read()) == (None, 0, b"")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UnexpectedContentError) as err:
        require_file(result, "pbx01: recording 7")
    assert str(err.value).startswith(
        "pbx01: recording 7: the PBX answered 204 (no content) where a file was due; "
        "nothing was saved."
    )
    assert err.value.hint == "Check that it still exists on the PBX, then try again."
    assert err.value.exit_code == 12


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
def test_a_body_past_max_bytes_is_stopped_and_nothing_kept(
    download: Any, server: AnswerServer, tmp_path: Path, via_link: bool
) -> None:
    """The one bound of a download (a recording's, a backup's): reading stops past
    ``max_bytes``, no file and no ``.part`` are left; exactly ``max_bytes`` is fine."""
    server.answer = wav("rec.wav")
    link = "/xapi/v1/Recordings/Pbx.DownloadRecording(recId=1)" if via_link else None
    with pytest.raises(DownloadTooLarge) as err:
        download(tmp_path, link, max_bytes=len(WAV) - 1)
    assert str(err.value).startswith(
        f"The download sent more than the {len(WAV) - 1} bytes announced for it; stopped there."
    )
    assert err.value.limit == len(WAV) - 1 and err.value.exit_code == 12
    assert list(tmp_path.iterdir()) == []
    result = download(tmp_path, link, max_bytes=len(WAV))
    assert Path(result.path).read_bytes() == WAV


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


# -- paths and concurrency (over the emulator) ----------------------------------


def test_download_into_a_folder_that_does_not_exist_yet(demo_pbx: PBX, tmp_path: Path) -> None:
    with demo_pbx.client() as c:
        rec = c.call("ListRecording", top=1)["value"][0]
        saved = c.download("DownloadRecording", str(tmp_path / "calls") + "/", recId=rec["Id"])
    assert Path(saved.path).parent == tmp_path / "calls"
    assert saved.filename and Path(saved.path).name == saved.filename
    assert Path(saved.path).read_bytes()[:4] == b"RIFF"
    assert [p.name for p in (tmp_path / "calls").iterdir()] == [saved.filename]


def test_download_of_a_json_error_leaves_no_file(demo_pbx: PBX, tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.wav"
    with demo_pbx.client() as c, pytest.raises(NotFoundError) as err:
        c.download("DownloadRecording", target, recId=987654)
    assert err.value.exit_code == 7
    assert "DownloadRecording: not found (404)" in str(err.value)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


async def test_concurrent_downloads_into_one_folder_do_not_mix(
    demo_pbx: PBX, tmp_path: Path
) -> None:
    async with demo_pbx.aclient() as c:
        recs = (await c.call("ListRecording", top=4, orderby="Id"))["value"]
        assert len(recs) >= 2
        expected = [await c.call("DownloadRecording", recId=r["Id"]) for r in recs]
        saved = await asyncio.gather(
            *(c.download("DownloadRecording", tmp_path, recId=r["Id"]) for r in recs)
        )
    for want, got in zip(expected, saved, strict=True):
        assert Path(got.path).name == want.filename
        assert Path(got.path).read_bytes() == want.content
    assert not list(tmp_path.glob(".*.part"))


async def test_async_download_writes_off_the_event_loop(
    demo_pbx: PBX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flow.py promises the loop never blocks: a download's file I/O runs in worker threads.

    Each write waits until a coroutine on the loop has seen it start: a write made on
    the loop's own thread would wait for a loop it is blocking, and fail.
    """
    import threading

    import tcxkit.client as client_module

    loop_thread = threading.current_thread()
    used: list[threading.Thread] = []
    writing, loop_saw_it = threading.Event(), threading.Event()
    real_open = open

    class Watched:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def write(self, data: bytes) -> int:
            used.append(threading.current_thread())
            writing.set()
            assert loop_saw_it.wait(timeout=10), "the write blocked the event loop"
            return int(self.fh.write(data))

        def close(self) -> None:
            used.append(threading.current_thread())
            self.fh.close()

        def __enter__(self) -> Watched:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

    def watched_open(path: str, mode: str = "r") -> Watched:
        used.append(threading.current_thread())
        return Watched(real_open(path, mode))

    async def watch_the_loop() -> None:
        await asyncio.to_thread(writing.wait)
        loop_saw_it.set()  # runs only if the loop is free while the write waits

    monkeypatch.setattr(client_module, "open", watched_open, raising=False)
    watcher = asyncio.create_task(watch_the_loop())
    async with demo_pbx.aclient() as c:
        rec = (await c.call("ListRecording", top=1))["value"][0]
        saved = await c.download("DownloadRecording", tmp_path / "a.wav", recId=rec["Id"])
    await watcher
    assert Path(saved.path).read_bytes()[:4] == b"RIFF"
    assert len(used) >= 3 and loop_thread not in used
