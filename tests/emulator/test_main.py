"""The one emulator command: ``python -m tcxkit.emulator`` and ``3cx emulator`` take the
same options, refuse the same misuse alike, and never show the secret."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tcxkit.cli.app import cli
from tcxkit.emulator.cli import command

from ..emulators import post_token

THREECX = str(Path(sys.executable).with_name("3cx"))
FRONT_ENDS = {"module": [sys.executable, "-m", "tcxkit.emulator"], "3cx": [THREECX, "emulator"]}


def _token_status(url: str, secret: str) -> int:
    return post_token(url, "tcxkit-emulator", secret).status_code


def _listed_options(help_text: str) -> list[str]:
    return re.findall(r"^  (?:-\w, )?(--[\w-]+)", help_text, flags=re.M)


def test_both_front_ends_list_the_same_options() -> None:
    runner = CliRunner()
    alone = runner.invoke(command(), ["--help"], prog_name="python -m tcxkit.emulator")
    in_3cx = runner.invoke(cli, ["emulator", "--help"])
    assert alone.exit_code == in_3cx.exit_code == 0
    listed = _listed_options(alone.output)
    assert listed == _listed_options(in_3cx.output)
    for option in ("--data", "--idle-timeout", "--token-lifetime", "--instances", "--release"):
        assert option in listed
    assert "keep" in alone.output and "keep" in in_3cx.output
    assert "--version" not in listed  # the old spelling of --release: taken, not shown


def _both(*args: str, env: dict[str, str] | None = None) -> dict[str, subprocess.CompletedProcess]:
    return {
        name: subprocess.run(
            [*front, *args], capture_output=True, text=True, timeout=60, check=False, env=env
        )
        for name, front in FRONT_ENDS.items()
    }


def test_the_same_misuse_gives_the_same_error_and_exit_code(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    done = _both("--client-secret-file", str(missing))
    for result in done.values():
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: Cannot read the client secret file {str(missing)!r}: "
            "No such file or directory.\nHint: Give a readable text file holding only the secret.\n"
        )
    done = _both("--instances", "2", "--client-secret-file", str(missing))
    assert done["module"].returncode == done["3cx"].returncode == 2
    assert done["module"].stderr == done["3cx"].stderr
    assert done["3cx"].stderr.startswith(
        "Error: --client-secret-file does not apply with --instances.\n"
    )


def _error_lines(stderr: str) -> list[str]:
    """The error itself, without click's usage lines (they name each front end)."""
    return [line for line in stderr.splitlines() if not line.startswith(("Usage:", "Try "))]


def test_a_secret_value_on_the_command_line_is_refused_by_both() -> None:
    done = _both("--client-secret", "visible-in-ps")
    # (3cx's suggestions may add its global options, accepted after any command.)
    for result in done.values():
        assert result.returncode == 2
        assert "Error: No such option '--client-secret'." in result.stderr
        assert "visible-in-ps" not in result.stdout + result.stderr


def test_an_out_of_range_value_is_refused_by_both() -> None:
    done = _both("--token-lifetime", "0")
    assert _error_lines(done["module"].stderr) == _error_lines(done["3cx"].stderr)
    for result in done.values():
        assert result.returncode == 2
        assert "Invalid value for '--token-lifetime': 0 is not in the range x>=1." in result.stderr


def test_secret_comes_from_a_file_and_is_never_printed(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("file-secret-42\n", encoding="utf-8")
    env = {**os.environ, "TCX_EMULATOR_SECRET": "env-secret-43"}
    cmd = [*FRONT_ENDS["module"], "--port", "0", "--data", "empty", "--token-lifetime", "120"]
    cmd += ["--client-secret-file", str(secret_file)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        banner = [proc.stderr.readline() for _ in range(3)]
        url = re.search(r" at (http://\S+) ", banner[0]).group(1)  # type: ignore[union-attr]
        # The file wins over the environment; the key itself appears nowhere.
        assert _token_status(url, "file-secret-42") == 200
        assert _token_status(url, "env-secret-43") == 401
        token = post_token(url, "tcxkit-emulator", "file-secret-42").json()
        assert token["expires_in"] in (2, 120)  # --token-lifetime reached the PBX
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    text = "".join(banner) + out + err
    assert f"client secret: from {secret_file}" in text
    assert "file-secret-42" not in text and "env-secret-43" not in text


def test_ctrl_c_is_a_normal_stop_for_both_front_ends() -> None:
    """A foreground server is meant to be stopped with Ctrl-C: exit 0, no traceback."""
    for front in FRONT_ENDS.values():
        for extra in ([], ["--instances", "2"]):
            proc = subprocess.Popen(
                [*front, "--port", "0", *extra],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stderr is not None
            assert proc.stderr.readline().startswith("emulating ")  # it listens now
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert "Traceback" not in err and "interrupted" not in err


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
        assert f"Error: The emulator will not listen on {host} with the default API key" in err
        assert "export TCX_EMULATOR_SECRET=" in err and "--client-secret-file" in err
    from tcxkit.cli import main as cli_main

    with pytest.raises(SystemExit) as stopped:
        cli_main(["emulator", "--host", "0.0.0.0", "--port", "0"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: The emulator will not listen on 0.0.0.0")  # as above
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
