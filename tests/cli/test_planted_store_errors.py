"""Errors quoted from other libraries -- boto's (S3 stores), httpx's (webhook sends) --
go through the one redaction (:func:`tcxkit.redaction.redact_text`): planted signatures,
access key ids, credentials and webhook tokens never reach an error, its exit output or
a send's result (which the relay parks and the CLI prints)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit.redaction import MASK, redact_text
from tcxkit.storage.base import StorageError
from tcxkit.storage.s3 import S3Storage
from tcxkit.storage.sftp import SftpStorage

from .conftest import Runner

KEY_ID = "AKIAPLANTED000000042"
SIGNATURE = "planted5ig0123456789abcdef"
SECRET_KEY = "plantedSecretAccessKey/0123456789abcdefgh"
SESSION = "plantedSessionToken-5b1c"
PATH_TOKEN = "PLANTEDpathT0KEN123"
QUERY_TOKEN = "PLANTEDqueryT0KEN456"


def test_an_s3_endpoint_with_a_signed_query_is_not_echoed(bare: Runner) -> None:
    endpoint = (
        f"http://127.0.0.1:1/?X-Amz-Credential={KEY_ID}%2F20260101&X-Amz-Signature={SIGNATURE}"
    )
    r = bare(
        "backup", "list", "s3://bkt/nightly",
        env={"TCX_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": KEY_ID,
             "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"},
    )  # fmt: skip
    assert r.code == 1, r.err
    assert r.err.startswith(
        f"3cx: storage error: s3://bkt/nightly: cannot list: Custom endpoint "
        f"`http://127.0.0.1:1/?{MASK}` was not a valid URI."
    ), r.err
    for planted in (KEY_ID, SIGNATURE, SECRET_KEY):
        assert planted not in r.out + r.err


class _Quoting:
    """A boto client whose every call fails with a text quoting what it was given (as
    botocore's errors quote endpoint URLs and request parameters)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError(
                f"{name} failed for https://s3.example.net/bkt/x?X-Amz-Signature={SIGNATURE}"
                f"&X-Amz-Security-Token={SESSION} (key {KEY_ID}, secret {SECRET_KEY})"
            )

        return fail


def test_every_s3_error_is_redacted_with_the_given_credentials() -> None:
    store = S3Storage(_Quoting(), "bkt", "x", "s3://bkt/x", [KEY_ID, SECRET_KEY, SESSION])
    for call in (store.list, lambda: store.delete("a"), lambda: store.stat("a")):
        with pytest.raises(StorageError) as err:
            call()
        text = str(err.value)
        assert text.startswith("s3://bkt/x: cannot ") and "https://s3.example.net/bkt/x?" in text
        for planted in (KEY_ID, SIGNATURE, SECRET_KEY, SESSION):
            assert planted not in text, text


class _QuotingSftp:
    """An SFTP session whose every call fails with an OSError quoting the password (as a
    server's message may quote what it was sent)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise OSError(f"{name}: server said: bad request from user with {SECRET_KEY}")

        return fail


def test_every_sftp_error_is_redacted_with_the_password() -> None:
    store = SftpStorage(_QuotingSftp(), "/x", "sftp://u@h:22/x", secrets=(SECRET_KEY,))
    calls = (
        store.list,
        lambda: store.delete("a"),
        lambda: store.stat("a"),
        store.get("a").__enter__,
    )
    for call in calls:
        with pytest.raises(StorageError) as err:
            call()
        text = str(err.value)
        assert text.startswith("sftp://u@h:22/x: cannot "), text
        assert SECRET_KEY not in text and MASK in text, text


@pytest.fixture
def echoing_receiver() -> Iterator[str]:
    """A broken receiver that answers each request with its own request line (as a
    status line), so httpx's error quotes the path and query; yields its URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed: the test is over
            with conn:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    piece = conn.recv(4096)
                    if not piece:
                        break
                    head += piece
                conn.sendall(head.split(b"\r\n", 1)[0] + b"\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux), then closed
        server.close()
        thread.join(5)


def test_a_webhook_send_error_never_quotes_the_token(echoing_receiver: str) -> None:
    from tcxkit.health.notify import deliver

    url = f"{echoing_receiver}/services/T0/B0/{PATH_TOKEN}?token={QUERY_TOKEN}"
    result, attempts = deliver(url, None, {"text": "x"}, timeout=5, sleep=lambda _s: None)
    assert (result.ok, attempts) == (False, 3)
    text = result.describe()
    assert text == f"RemoteProtocolError: illegal status line: bytearray(b'POST /{MASK} HTTP/1.1')"
    assert PATH_TOKEN not in text and QUERY_TOKEN not in text


def test_redact_text_masks_what_free_text_quotes() -> None:
    text = (
        f'Could not connect to "https://me:{SECRET_KEY}@s3.example.net/b?list-type=2" '
        f"as {KEY_ID}; X-Amz-Signature={SIGNATURE} token={QUERY_TOKEN}; {SESSION}"
    )
    assert redact_text(text, [SESSION]) == (
        f'Could not connect to "https://***@s3.example.net/b?{MASK}" as {MASK}; '
        f"X-Amz-Signature={MASK} token={MASK}; {MASK}"
    )
    assert redact_text("Connection refused (port 443)") == "Connection refused (port 443)"
