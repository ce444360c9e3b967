"""Console script, --version, --help at every level, python -m, completion."""

from __future__ import annotations

import subprocess
import sys

from tcxkit import __version__

from .conftest import BIN, Runner


def test_version(bare: Runner) -> None:
    r = bare("--version")
    assert r.code == 0
    assert f"3cx (tcxkit) {__version__}" in r.out
    assert "20.0.10" in r.out


def test_root_help_lists_builtins_and_resources(bare: Runner) -> None:
    r = bare("--help")
    assert r.code == 0
    for word in ("call", "actions", "login", "profiles", "doctor", "emulator", "completion"):
        assert f"\n  {word} " in r.out
    assert "peers" in r.out and "report-call-log-data" in r.out
    assert "Peers: 4 actions" in r.out


def test_no_args_shows_help_on_stdout(bare: Runner) -> None:
    """A bare `3cx` (or `3cx users`) is a request for the menu: stdout, exit 0, pageable."""
    r = bare()
    assert r.code == 0
    assert r.out.startswith("Usage: 3cx [OPTIONS] COMMAND") and r.err == ""
    r = bare("users")
    assert r.code == 0
    assert r.out.startswith("Usage: 3cx users [OPTIONS] COMMAND") and "list-user" in r.out


def test_resource_and_action_help(bare: Runner) -> None:
    r = bare("peers", "--help")
    assert r.code == 0
    assert "retreive-peers-by-numbers" in r.out and "get-peer-by-number" in r.out
    r = bare("peers", "retreive-peers-by-numbers", "--help")
    assert r.code == 0
    assert "--peers-request JSON|@FILE|-" in r.out
    assert "--output" in r.out and "--items" in r.out
    assert "--select" not in r.out  # OData options only where the action takes them
    r = bare("users", "list-user", "--help")
    for opt in ("--select", "--filter", "--orderby", "--expand", "--top", "--skip", "--count"):
        assert opt in r.out
    assert "--all" in r.out
    r = bare("report-call-log-data", "get-call-log-data", "--help")
    assert "--period-from" in r.out and "--hide-pcalls" in r.out


def test_help_of_builtins(bare: Runner) -> None:
    for args in (
        ["call", "--help"],
        ["actions", "--help"],
        ["login", "--help"],
        ["profiles", "--help"],
        ["profiles", "list", "--help"],
        ["doctor", "--help"],
        ["emulator", "--help"],
        ["emulator", "stop", "--help"],
        ["completion", "--help"],
    ):
        r = bare(*args)
        assert r.code == 0, args
        assert "Usage: 3cx" in r.out, args


def test_python_m_tcxkit(subprocess_bare: Runner) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tcxkit", "--version"],
        capture_output=True,
        text=True,
        env=subprocess_bare.env,
        check=False,
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout


def test_completion_scripts(bare: Runner) -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        r = bare("completion", shell)
        assert r.code == 0, shell
        assert "_3CX_COMPLETE" in r.out and marker in r.out


def test_completion_completes_resources_and_actions(bare: Runner) -> None:
    env = {"_3CX_COMPLETE": "bash_complete", "COMP_WORDS": "3cx pee", "COMP_CWORD": "1"}
    r = bare(env=env)
    assert "plain,peers" in r.out
    env = {"_3CX_COMPLETE": "bash_complete", "COMP_WORDS": "3cx peers retr", "COMP_CWORD": "2"}
    r = bare(env=env)
    assert "retreive-peers-by-numbers" in r.out


def test_unknown_command_is_usage_error(bare: Runner) -> None:
    r = bare("pears")
    assert r.code == 2
    assert "No command or resource 'pears'" in r.err
    assert "peers" in r.err
    r = bare("RetreivePeersByNumbers")
    assert r.code == 2
    assert "3cx peers retreive-peers-by-numbers" in r.err
    r = bare("peers", "retrieve-peers")
    assert r.code == 2
    assert "No action 'retrieve-peers' in peers" in r.err


def test_bad_option_is_usage_error(subprocess_bare: Runner) -> None:
    """click's own usage errors, through a real process: exit 2, message on stderr."""
    bare = subprocess_bare
    r = bare("users", "list-user", "--nope")
    assert r.code == 2
    assert "No such option '--nope'" in r.err
    r = bare("users", "list-user", "--top", "many")
    assert r.code == 2
    assert "'many' is not a valid integer" in r.err
    assert "Traceback" not in r.err


def test_console_script_starts(subprocess_bare: Runner) -> None:
    """The installed `3cx` runs: the one test of the console script's own start-up."""
    assert BIN.exists()
    r = subprocess_bare("--version")
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith(f"3cx (tcxkit) {__version__}")
