"""Boolean settings: one reader, and TLS verification goes off only for an explicit true.

A self-signed HTTPS server on loopback counts the HTTP requests that reach it: with
verification on, a client fails the handshake and never sends one.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

from ..certs import serve_tls
from .conftest import SECRET, Runner


class _Counting(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        body = b'{"error": "invalid_client"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Any]:
    """``https://127.0.0.1:PORT`` with a self-signed certificate; ``.seen`` lists requests."""
    with serve_tls(_Counting, tmp_path) as server:
        yield server


def _to(server: Any) -> dict[str, str]:
    return {"TCX_URL": server.url, "TCX_CLIENT_ID": "c", "TCX_CLIENT_SECRET": "k"}


@pytest.mark.parametrize("value", ["no", "False", "0", "off", " NO "])
def test_an_explicit_false_keeps_verification_on(bare: Runner, tls_server: Any, value: str) -> None:
    r = bare("users", "list-user", env={**_to(tls_server), "TCX_INSECURE": value})
    assert r.code == 4, r.err
    assert "certificate" in r.err.lower()
    assert "Hint: If the PBX uses a private CA, pass --ca-bundle PATH" in r.err
    assert "plain HTTP" not in r.err  # a real TLS server: the CA hint is the one that helps
    assert tls_server.seen == []  # the handshake failed: not one request was sent


def test_only_an_explicit_true_turns_verification_off(bare: Runner, tls_server: Any) -> None:
    r = bare("users", "list-user", env={**_to(tls_server), "TCX_INSECURE": "yes"})
    assert r.code == 5, r.err  # the server's 401: it was reached without verification
    assert tls_server.seen == ["POST /connect/token"]


@pytest.mark.parametrize(
    ("name", "value", "args"),
    [
        ("TCX_INSECURE", "", ("users", "list-user")),
        ("TCX_INSECURE", "maybe", ("users", "list-user")),
        ("TCX_DEBUG", "verbose", ("users", "list-user")),
        ("TCX_DEBUG", "", ("--version",)),
    ],
)
def test_an_unparseable_boolean_is_an_error_naming_it(
    bare: Runner, tls_server: Any, name: str, value: str, args: tuple[str, ...]
) -> None:
    r = bare(*args, env={**_to(tls_server), name: value}, input="key\n")
    assert r.code == 2, r.err
    assert f"{name} must be true or false, got {value!r}." in r.err
    assert "yes" in r.err and "off" in r.err  # the hint lists the words
    assert tls_server.seen == []


def test_an_unparseable_no_keyring_stops_login_before_storing(
    bare: Runner, emulator: Any, dirs: dict[str, Path]
) -> None:
    login = ("login", "--url", emulator.url, "--client-id", emulator.client_id)
    r = bare(*login, env={"TCX_NO_KEYRING": "nope"}, input=SECRET + "\n")
    assert r.code == 2, r.err
    assert "TCX_NO_KEYRING must be true or false, got 'nope'." in r.err
    assert not (dirs["config"] / "secrets.json").exists()


def test_inventory_insecure_must_be_a_boolean(bare: Runner, tmp_path: Path) -> None:
    target = PbxTarget("eu1", "https://127.0.0.1:1", "c", SecretRef("env", "K"))
    path = tmp_path / "fleet.toml"
    path.write_text(dump_inventory([target]) + 'insecure = "sometimes"\n')
    r = bare("--inventory", str(path), "fleet", "list", "--no-check")
    assert r.code == 2, r.err
    assert f"{path}: [pbx.eu1] insecure must be true or false, got 'sometimes'." in r.err
    path.write_text(dump_inventory([target]) + 'insecure = "no"\n')
    listed = bare("--inventory", str(path), "fleet", "list", "--no-check", "-o", "json")
    assert listed.code == 0, listed.err
