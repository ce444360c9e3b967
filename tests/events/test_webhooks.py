"""tcxkit.webhooks against the independent ``standardwebhooks`` library."""

from __future__ import annotations

import base64
import time

import pytest
import standardwebhooks

from tcxkit.errors import ConfigurationError
from tcxkit.webhooks import (
    SendResult,
    WebhookSender,
    backoff,
    decode_secret,
    sign,
    signed_headers,
    verify,
)

from .receiver import SECRET, Receiver

BODY = b'{"id":"evt_1","type":"call.missed","data":{"caller":"+441134960371"}}'


def test_signed_headers_verify_with_the_standard_library() -> None:
    headers = signed_headers(decode_secret(SECRET), "evt_1", BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature",
                            "content-type"}  # fmt: skip
    assert headers["webhook-signature"].startswith("v1,")
    assert standardwebhooks.Webhook(SECRET).verify(BODY, headers)["type"] == "call.missed"
    assert verify(decode_secret(SECRET), headers, BODY)


def test_a_tampered_body_id_or_timestamp_fails() -> None:
    key = decode_secret(SECRET)
    headers = signed_headers(key, "evt_1", BODY)
    tampered = BODY.replace(b"+441134960371", b"+441134960372")
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(tampered, headers)
    assert not verify(key, headers, tampered)
    assert not verify(key, {**headers, "webhook-id": "evt_2"}, BODY)
    old = signed_headers(key, "evt_1", BODY, timestamp=int(time.time()) - 3600)
    assert not verify(key, old, BODY)  # a replayed old request
    other = "whsec_" + base64.b64encode(b"another key of 24 bytes!").decode()
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(other).verify(BODY, headers)


def test_signature_is_hmac_of_id_timestamp_body() -> None:
    # The example of the Standard Webhooks specification (its secret, id, time and body).
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    got = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secrets_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="The webhook secret is empty"):
        decode_secret("")
    with pytest.raises(ConfigurationError, match="the rest is not base64"):
        decode_secret("whsec_***")
    assert decode_secret("plain text") == b"plain text"


def test_backoff_doubles_to_a_minute() -> None:
    assert [backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_sender_reports_timeouts_refusals_and_statuses(receiver: Receiver) -> None:
    with WebhookSender(receiver.url, SECRET, timeout=0.2) as sender:
        assert sender.send("evt_1", BODY) == SendResult(True, 204)
        receiver.down = True
        assert sender.send("evt_1", BODY) == SendResult(False, 503)
        assert sender.send("evt_1", BODY).describe() == "HTTP 503"
        receiver.delay = 1.0
        assert sender.send("evt_1", BODY) == SendResult(False, None, "timed out")
    with WebhookSender("http://127.0.0.1:9/hook", None) as sender:
        refused = sender.send("evt_1", BODY)
        assert not refused.ok and refused.describe().startswith("ConnectError")
    with pytest.raises(ConfigurationError, match="is not an http"):
        WebhookSender("ftp://example.com/x", None)
