"""Hostile input the network brings, over real HTTP: unauthenticated bodies are neither
read nor kept, the request log is bounded, names that become files or headers are
checked, and every literal is bounded before it is converted."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.admin import LOGGED_BODY
from tcxkit.emulator.files import content_disposition

from .conftest import Connect


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    config = EmulatorConfig(
        data="demo", single_token=False, options={"backup_delay": 0}, request_log_bytes=64_000
    )
    with running(config) as server:
        yield server


@pytest.fixture(scope="module")
def api(emu: Any, connect: Connect) -> Iterator[httpx.Client]:
    with connect(emu) as client:
        yield client


def _refused(r: httpx.Response, status: int, words: str, target: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert words in error["message"], error["message"]
    if target is not None:
        assert [d["target"] for d in error["details"]] == [target]


# -- nothing of an unauthenticated request is kept ----------------------------------------


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover - Linux always has it


def test_unauthenticated_megabyte_posts_do_not_grow_the_emulator(tmp_path: Path) -> None:
    # The emulator in its own process, so its RSS is its own.
    env = {**os.environ, "TCX_EMULATOR_SECRET": "rss-test-key"}
    cmd = [sys.executable, "-m", "tcxkit.emulator", "--port", "0", "--data", "empty"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # written once the server listens
        found = re.search(r" at (http://\S+) ", banner)
        assert found, banner
        url = found.group(1)
        body = b'{"FirstName": "' + b"x" * (1024 * 1024 - 20) + b'"}'
        with httpx.Client(base_url=url, timeout=60) as client:

            def post() -> httpx.Response:
                return client.post(
                    "/xapi/v1/Users", content=body, headers={"Content-Type": "application/json"}
                )

            assert post().status_code == 401  # warm: code paths and buffers exist
            before = _rss_kib(proc.pid)
            for _ in range(30):
                assert post().status_code == 401
            grown = _rss_kib(proc.pid) - before
            log = client.get("/emulator/requests", auth=("tcxkit-emulator", "rss-test-key"))
        assert grown < 20 * 1024, f"RSS grew by {grown} KiB"
        posts = [e for e in log.json() if e["method"] == "POST"]
        assert len(posts) == 31
        assert all(e["status"] == 401 and e["body"] is None for e in posts)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_request_log_cuts_bodies_and_is_bounded_in_bytes(emu: Any, api: httpx.Client) -> None:
    big = {"AccessPassword": "hunter2", "FirstName": "Big", "LastName": "y" * 20_000}
    for _ in range(40):  # 40 x 20 KB bodies, each logged as 4 KB, against a 64 KB log
        api.post("/Users", json=big)
    entries = emu.requests
    assert emu.state.requests.bytes <= 64_000
    assert len(entries) < 40
    logged = entries[-1]["body"]
    assert set(logged) == {"truncated", "head"}
    assert logged["truncated"] > LOGGED_BODY and len(logged["head"]) == LOGGED_BODY
    assert '"AccessPassword":"********"' in logged["head"]  # masked before it is cut
    assert "hunter2" not in json.dumps(entries)
    small = api.post("/Users", json={"FirstName": "Small", "AccessPassword": "pw1"})
    assert small.status_code == 201, small.text
    assert emu.requests[-1]["body"] == {"FirstName": "Small", "AccessPassword": "********"}


def test_unauthenticated_requests_are_logged_without_body(emu: Any) -> None:
    r = httpx.post(f"{emu.url}/xapi/v1/Users", json={"FirstName": "Anon", "VMPIN": "1234"})
    assert r.status_code == 401
    entry = emu.requests[-1]
    assert (entry["path"], entry["status"], entry["body"]) == ("/xapi/v1/Users", 401, None)


# -- names that become files and headers --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("night\x01ly", "contains '\\x01'"),
        ("line\r\nX-Injected: 1", "contains '\\r'"),
        ('q"; filename="../../etc/evil.sh', "contains '\"'"),
        ("a/b", "contains '/'"),
        ("..", "starts with '.'"),
        ("../../etc/passwd", "contains '/'"),
        ("back\\slash", "contains '\\\\'"),
        ("x" * 129, "longer than 128 characters"),
    ],
)
def test_backup_names_that_cannot_be_files_are_400(api: httpx.Client, name: str, why: str) -> None:
    r = api.post("/Backups/Pbx.Backup", json={"description": {"Name": name}})
    _refused(r, 400, why, "description.Name")
    assert "cannot be a file name" in r.json()["error"]["message"]


def test_a_good_backup_name_downloads_with_an_rfc_6266_header(
    emu: Any, api: httpx.Client, connect: Connect
) -> None:
    assert (
        api.post("/Backups/Pbx.Backup", json={"description": {"Name": "Nightly-2.0_x"}}).status_code
        == 204
    )
    row = next(
        b for b in api.get("/Backups").json()["value"] if b["FileName"] == "Nightly-2.0_x.zip"
    )
    with connect(emu, prefix="") as root:
        download = root.get(row["DownloadLink"])
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="Nightly-2.0_x.zip"'
    assert download.content[:2] == b"PK"


def test_content_disposition_keeps_any_name_inside_its_parameter() -> None:
    value = content_disposition('q"; filename="../evil.sh\r\n\\é.wav')
    assert value == (
        'attachment; filename="q_; filename=_../evil.sh____.wav"; '
        "filename*=UTF-8''q%22%3B%20filename%3D%22..%2Fevil.sh%0D%0A%5C%C3%A9.wav"
    )
    assert content_disposition("CallLog.csv") == 'attachment; filename="CallLog.csv"'


def test_backup_download_of_a_strange_path_is_an_ordinary_404(emu: Any, connect: Connect) -> None:
    with connect(emu, prefix="") as root:
        r = root.get("/backups/a%0D%0AX-Injected:%201.zip")
    _refused(r, 404, "There is no backup named")
    assert "x-injected" not in r.headers


# -- literals bounded before conversion ---------------------------------------------------

DIGITS = "7" * 5000


def test_a_5000_digit_key_is_400(api: httpx.Client) -> None:
    _refused(api.get(f"/Users({DIGITS})"), 400, "(5000 characters) for 'Id' is out of range", "Id")


def test_a_5000_digit_filter_literal_is_400(api: httpx.Client) -> None:
    r = api.get("/Users", params={"$filter": f"Id eq {DIGITS}"})
    _refused(r, 400, "(5000 characters) at position 6 in $filter is out of the range of Edm.Int64")
    r = api.get("/Users", params={"$filter": f"Id eq 1.{DIGITS}"})
    _refused(r, 400, "is not an Edm.Double (at most 64 characters")


def test_a_5000_digit_function_parameter_is_400(api: httpx.Client) -> None:
    r = api.get(f"/Recordings/Pbx.DownloadRecording(recId={DIGITS})")
    _refused(r, 400, "(5000 characters) for 'recId' is out of range", "recId")


def test_5000_digit_top_skip_and_year_are_400(api: httpx.Client) -> None:
    _refused(api.get("/Users", params={"$top": DIGITS}), 400, "larger than 2147483647")
    _refused(api.get("/Users", params={"$skip": DIGITS}), 400, "larger than 2147483647")
    year = f"{DIGITS}-01-01T00:00:00Z"
    r = api.get(
        f"/ActivityLog/Pbx.GetLogs(startDate={year},endDate=2025-01-01T00:00:00Z,"
        "extension=null,call=null,severity=null)"
    )
    _refused(r, 400, "(5016 characters) for 'startDate' is not a date-time", "startDate")


def _raw_get(emu: Any, token: str, target: str) -> httpx.Response:
    """GET ``target`` exactly as written (httpx would re-encode a stray ``%``)."""
    host, port = emu.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: pbx\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return httpx.Response(int(lines[0].split()[1]), headers=headers, content=body)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("$filter=FirstName%20eq%20%27%FF%27", "not UTF-8 (e.g. %FF)"),
        ("$filter=FirstName%20eq%20%27100%%27", "'%%2' is not a percent-escape"),
        ("$filter=FirstName%20eq%20%27%zz%27", "'%zz' is not a percent-escape"),
    ],
)
def test_invalid_percent_encoding_in_a_filter_is_400(
    emu: Any, token: Any, query: str, words: str
) -> None:
    r = _raw_get(emu, token(emu), f"/xapi/v1/Users?{query}")
    _refused(r, 400, words)
    assert "The request query is not valid percent-encoded UTF-8" in r.json()["error"]["message"]


def test_invalid_percent_encoding_in_a_key_is_400(emu: Any, token: Any) -> None:
    r = _raw_get(emu, token(emu), "/xapi/v1/Peers(Number='%FF')")
    _refused(r, 400, "The request path is not valid percent-encoded UTF-8")
    fine = _raw_get(emu, token(emu), "/xapi/v1/Users?$filter=FirstName%20eq%20%27%C3%A9%27")
    assert fine.status_code == 200 and fine.json()["value"] == []
