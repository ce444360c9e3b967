"""``python -m tcxkit.emulator`` and ``3cx emulator``: no secret on a command line or stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tcxkit.cli.app import cli


def _token_status(url: str, secret: str) -> int:
    answer = httpx.post(
        f"{url}/connect/token",
        data={
            "client_id": "tcxkit-emulator",
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
    )
    return answer.status_code


def test_secret_comes_from_a_file_and_is_never_printed(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("file-secret-42\n", encoding="utf-8")
    env = {**os.environ, "TCX_EMULATOR_SECRET": "env-secret-43"}
    cmd = [sys.executable, "-m", "tcxkit.emulator", "--port", "0", "--data", "empty"]
    cmd += ["--client-secret-file", str(secret_file)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(5)]
        url = next(line.split()[-1] for line in banner if "URL:" in line)
        # The file wins over the environment; the key itself appears nowhere.
        assert _token_status(url, "file-secret-42") == 200
        assert _token_status(url, "env-secret-43") == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    text = "".join(banner) + err
    assert f"client secret: from {secret_file}" in text
    assert "file-secret-42" not in text and "env-secret-43" not in text


def test_secret_value_on_the_command_line_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tcxkit.emulator", "--client-secret", "visible-in-ps"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unrecognized arguments: --client-secret visible-in-ps" in done.stderr
    result = CliRunner().invoke(cli, ["emulator", "--client-secret", "visible-in-ps"])
    assert result.exit_code == 2
    assert "No such option '--client-secret'" in result.output


def test_unreadable_secret_file_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    done = subprocess.run(
        [sys.executable, "-m", "tcxkit.emulator", "--client-secret-file", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert f"error: Cannot read the client secret file {str(missing)!r}" in done.stderr
    assert done.stdout == ""


def test_public_address_with_the_default_secret_is_refused_before_binding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tcxkit.emulator import __main__ as entry
    from tcxkit.emulator import server

    def no_bind(*args: object, **kwargs: object) -> None:
        raise AssertionError("the emulator bound a socket before refusing")

    monkeypatch.setattr(server, "_bind_all", no_bind)
    monkeypatch.setattr(server, "_build", no_bind)
    monkeypatch.delenv("TCX_EMULATOR_SECRET", raising=False)
    for host in ("0.0.0.0", "::", "192.0.2.10", "pbx.example.com"):
        assert entry.main(["--host", host, "--port", "0"]) == 2
        err = capsys.readouterr().err
        assert f"error: The emulator will not listen on {host} with the default API key" in err
        assert "export TCX_EMULATOR_SECRET=" in err and "--client-secret-file" in err
    from tcxkit.cli import main as cli_main

    with pytest.raises(SystemExit) as stopped:
        cli_main(["emulator", "--host", "0.0.0.0", "--port", "0"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "3cx: configuration error: The emulator will not listen on 0.0.0.0" in err
    assert "Hint: Set a key of your own" in err


def test_listening_off_loopback_over_plain_http_warns() -> None:
    from tcxkit.emulator import EmulatorConfig
    from tcxkit.emulator.server import check_exposure

    own = [EmulatorConfig(data="empty", client_secret="a-key-of-my-own")]
    for host in ("127.0.0.1", "::1", "localhost", "127.8.9.10"):
        assert check_exposure(own, host) is None
    warning = check_exposure(own, "0.0.0.0")
    assert warning is not None
    assert warning.startswith("warning: the emulator listens on 0.0.0.0 over plain HTTP")
    assert "TLS proxy" in warning
