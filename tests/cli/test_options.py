"""Global options anywhere on the line, and defaults from config.toml (issue #10, 1 and 9)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .conftest import SECRET, Runner


def test_global_options_after_the_command(run: Runner) -> None:
    """`--insecure`, `--timeout`, `-o`, `--release` at the end work as at the front."""
    r = run(
        "users", "list-user", "--top", "1", "--select", "Number",
        "--insecure", "--timeout", "5", "--release", "20.0.10", "-o", "csv",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.out == "Number\n100\n"
    r = run("-o", "jsonl", "users", "list-user", "--top", "1", "--select", "Number")
    assert r.out == '{"Number":"100"}\n'


def test_profile_and_debug_after_the_command(bare: Runner) -> None:
    r = bare("users", "list-user", "--profile", "nope")
    assert r.code == 2
    assert "No profile or inventory PBX named 'nope'" in r.err
    r = bare("users", "list-user", "-p", "nope", "--debug")
    assert r.code == 2
    assert "Traceback" in r.err  # --debug after the command took effect
    r = bare("profiles", "list", "--profile", "nope")  # accepted by built-in commands too
    assert r.code == 0


def test_release_after_the_command_builds_that_catalog(bare: Runner) -> None:
    r = bare("users", "list-user", "--release", "19.0.0")
    assert r.code == 2
    assert "No catalog for 3CX release '19.0.0'" in r.err


def test_timeout_after_the_command_is_checked(run: Runner) -> None:
    r = run("users", "list-user", "--timeout", "0")
    assert r.code == 2
    assert "Invalid value for '--timeout'" in r.err


def test_login_stores_tls_options(bare: Runner, emulator: Any, dirs: dict[str, Path]) -> None:
    ca = dirs["work"] / "ca.pem"
    ca.write_text("not used: the emulator speaks plain http\n")
    r = bare(
        "login", "--name", "lab", "--url", emulator.url, "--client-id", emulator.client_id,
        "--insecure", "--ca-bundle", "ca.pem", input=SECRET + "\n",
    )  # fmt: skip
    assert r.code == 0, r.err
    prof = tomllib.loads((dirs["config"] / "config.toml").read_text())["profiles"]["lab"]
    assert prof["insecure"] is True
    assert prof["ca_bundle"] == str(ca)  # absolute: later runs start elsewhere
    assert "--insecure" in bare("login", "--help").out


def test_config_defaults_and_precedence(run: Runner, dirs: dict[str, Path]) -> None:
    """flag > environment > config.toml > built-in, for output and timeout."""
    (dirs["config"] / "config.toml").write_text('[defaults]\noutput = "csv"\ntimeout = 7\n')
    args = ("users", "list-user", "--top", "1", "--select", "Number")
    assert run(*args).out == "Number\n100\n"  # config
    assert run(*args, env={"TCX_OUTPUT": "jsonl"}).out == '{"Number":"100"}\n'  # env > config
    r = run(*args, "-o", "json", env={"TCX_OUTPUT": "jsonl"})  # flag > env
    assert r.out == '[{"Number":"100"}]\n'
    r = run("-o", "json", *args, env={"TCX_OUTPUT": "jsonl"})  # flag before the command too
    assert r.out == '[{"Number":"100"}]\n'


def test_config_defaults_profile(bare: Runner, dirs: dict[str, Path]) -> None:
    (dirs["config"] / "config.toml").write_text('[defaults]\nprofile = "office"\n')
    r = bare("users", "list-user")
    assert r.code == 2
    assert "No profile or inventory PBX named 'office'" in r.err


def test_bad_config_defaults_are_named(run: Runner, dirs: dict[str, Path]) -> None:
    path = dirs["config"] / "config.toml"
    path.write_text('[defaults]\noutput = "xml"\n')
    r = run("users", "list-user")
    assert r.code == 2
    assert f"{path} [defaults]: output 'xml' is not one of json, jsonl, table, csv, raw." in r.err
    path.write_text('[defaults]\ncolour = "red"\n')
    r = run("users", "list-user")
    assert r.code == 2
    assert "unknown key in [defaults]: colour." in r.err
    path.unlink()
    r = run("users", "list-user", env={"TCX_TIMEOUT": "soon"})
    assert r.code == 2
    assert "TCX_TIMEOUT: timeout 'soon' is not a number of seconds >= 0.1." in r.err


def test_debug_from_the_environment_logs_http(run: Runner) -> None:
    r = run("users", "get-user", "--id", "999999", env={"TCX_DEBUG": "1"})
    assert r.code == 7
    assert "debug: tcxkit.http:" in r.err and "Traceback" in r.err
    assert SECRET not in r.err


def test_login_and_emulator_say_release_and_warn_on_the_old_spelling(bare: Runner) -> None:
    r = bare("login", "--help")
    assert "--release TEXT" in r.out and "--version" not in r.out
    r = bare("emulator", "--help")
    assert "--release [" in r.out and "--version" not in r.out
    r = bare("emulator", "--version", "20.0.99")
    assert r.code == 2 and "'20.0.99' is not one of" in r.err
    r = bare(
        "login",
        "--version",
        "20.0.8",
        "--url",
        "http://127.0.0.1:9",
        "--client-id",
        "x",
        "--no-verify-login",
        input="secret\n",
    )
    assert r.err.startswith("3cx: --version is deprecated here; use --release.\n"), r.err


def _shape(command: Any) -> dict[str, Any]:
    """A command's options and sub-commands, and any attribute tcxkit might set on it."""
    subs = getattr(command, "commands", {})
    return {
        "params": [p.name for p in command.params],
        "extra attributes": sorted(a for a in vars(command) if a.startswith("_tcx")),
        "commands": {name: _shape(sub) for name, sub in subs.items()},
    }


def test_runs_keep_their_state_in_the_context_not_on_the_commands(bare: Runner) -> None:
    """Global options after the command, --fleet refusals and --debug change only the run:
    the shared command objects look the same after any number of runs."""
    from tcxkit.cli.app import cli

    before = _shape(cli)
    r = bare("profiles", "list", "--fleet", "all")
    assert r.code == 2
    assert r.err.startswith(
        "3cx: usage error: --fleet and --inventory do not apply to `3cx profiles list`."
    )
    r = bare("emulator", "status", "--debug", "--insecure")
    assert (r.code, r.out) == (0, "not running\n")
    r = bare("profiles", "list", "--profile", "nope")
    assert r.code == 0 and "Traceback" not in r.err
    assert _shape(cli) == before
    assert before["extra attributes"] == []
