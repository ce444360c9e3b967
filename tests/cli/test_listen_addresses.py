"""One ``[HOST:]PORT`` reader (:mod:`tcxkit.netaddr`) for the two server faces: ``3cx
exporter --listen`` and ``3cx mcp --http`` take the same forms and refuse the same
mistakes with the same words (only the option's name differs), exit 2, before any PBX
is asked."""

from __future__ import annotations

import pytest

from tcxkit.errors import UsageError
from tcxkit.netaddr import parse_listen

from .conftest import Runner


def test_the_forms_both_faces_take() -> None:
    assert parse_listen("9464", "--listen", 9464) == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:0", "--http", 8765) == ("::1", 0)
    assert parse_listen("localhost:8765", "--http", 8765) == ("localhost", 8765)
    assert parse_listen("0.0.0.0:9000", "--http", 8765) == ("0.0.0.0", 9000)
    for bad, problem in [
        ("localhost", "give [HOST:]PORT"),
        ("pbx.example.net:80", "give [HOST:]PORT, the host an IP address or localhost"),
        ("", "give [HOST:]PORT"),
        ("127.0.0.1:99999", "the port must be 0..65535"),
        ("127.0.0.1:१२", "give [HOST:]PORT"),  # non-ASCII digits are not a port
    ]:
        with pytest.raises(UsageError) as err:
            parse_listen(bad, "--http", 8765)
        assert err.value.message.startswith(f"--http {bad!r}: {problem}"), err.value.message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("pbx.example.net:80", "give [HOST:]PORT, the host an IP address or localhost, e.g. "),
        ("127.0.0.1:70000", "the port must be 0..65535."),
    ],
)
def test_exporter_and_mcp_refuse_alike(bare: Runner, text: str, problem: str) -> None:
    exporter = bare("exporter", "--listen", text)
    mcp = bare("mcp", "--http", text)
    for r, option in ((exporter, "--listen"), (mcp, "--http")):
        assert r.code == 2, r.err
        assert f"3cx: usage error: {option} {text!r}: {problem}" in r.err
        assert "Traceback" not in r.err
    assert exporter.err.replace("--listen", "--http").replace("9464", "8765") == mcp.err
