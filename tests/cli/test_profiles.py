"""login, profiles list|use|remove, --profile, environment overrides; secrets never shown."""

from __future__ import annotations

import json
import socket
import stat
import tomllib
from pathlib import Path
from typing import Any

from .conftest import SECRET, Runner


def _login(bare: Runner, emulator: Any, name: str, secret: str = SECRET, *extra: str) -> Any:
    return bare(
        "login",
        "--name",
        name,
        "--url",
        emulator.url,
        "--client-id",
        emulator.client_id,
        *extra,
        input=secret + "\n",
    )


def test_login_stores_profile_and_secret_file(
    bare: Runner, emulator: Any, dirs: dict[str, Path]
) -> None:
    r = _login(bare, emulator, "lab")
    assert r.code == 0, r.err
    assert "signed in to" in r.err and "PBX 20.0.10" in r.err
    assert "saved profile 'lab'" in r.err and "private file (mode 0600)" in r.err
    assert SECRET not in r.out + r.err
    config = (dirs["config"] / "config.toml").read_text()
    assert SECRET not in config
    data = tomllib.loads(config)
    assert data["current"] == "lab"
    assert data["profiles"]["lab"]["url"] == emulator.url
    secrets = dirs["config"] / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    # The profile now connects without any TCX_* variable.
    r = bare("users", "list-user", "--select", "Number", "--top", "1")
    assert r.code == 0, r.err
    assert "built-in emulator" not in r.err


def test_login_prompts_for_everything(bare: Runner, emulator: Any) -> None:
    r = bare("login", input=f"{emulator.url}\n{emulator.client_id}\n{SECRET}\n")
    assert r.code == 0, r.err
    assert "saved profile 'default'" in r.err
    r = bare("profiles", "list")
    assert "default" in r.out and SECRET not in r.out


def test_login_with_bad_key_saves_nothing(bare: Runner, emulator: Any, dirs: Any) -> None:
    r = _login(bare, emulator, "bad", "not-the-key")
    assert r.code == 5
    assert "authentication failed" in r.err
    assert "not-the-key" not in r.err
    assert not (dirs["config"] / "config.toml").exists()


def test_login_unreachable(bare: Runner) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = bare("login", "--url", f"http://127.0.0.1:{port}", "--client-id", "x", input="k\n")
    assert r.code == 4
    assert "cannot connect" in r.err


def test_profiles_list_use_remove(bare: Runner, emulator: Any) -> None:
    assert _login(bare, emulator, "one").code == 0
    assert _login(bare, emulator, "two").code == 0
    r = bare("profiles", "list")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].split() == ["NAME", "URL", "CLIENT", "ID", "SECRET", "IN", "RELEASE"]
    assert any(line.startswith("*") and " one " in line for line in lines)
    r = bare("profiles", "use", "two")
    assert r.code == 0 and "default profile is now 'two'" in r.err
    assert any(
        line.startswith("*") and " two " in line for line in bare("profiles").out.splitlines()
    )
    r = bare("profiles", "use", "three")
    assert r.code == 2 and "No profile named 'three' (profiles: one, two)" in r.err
    r = bare("profiles", "remove", "two")
    assert r.code == 0 and "removed profile 'two'" in r.err
    assert " two " not in bare("profiles", "list").out
    r = bare("profiles", "remove", "two")
    assert r.code == 2


def test_profile_option_and_env_override(bare: Runner, emulator: Any) -> None:
    # A profile stored without checking, with a wrong key.
    r = _login(bare, emulator, "stale", "wrong", "--no-verify-login")
    assert r.code == 0, r.err
    r = bare("--profile", "stale", "users", "list-user", "--top", "1")
    assert r.code == 5
    # The environment overrides the profile's fields.
    r = bare(
        "--profile", "stale", "users", "list-user", "--top", "1", env={"TCX_CLIENT_SECRET": SECRET}
    )
    assert r.code == 0, r.err
    r = bare("users", "list-user", "--top", "1", env={"TCX_PROFILE": "stale"})
    assert r.code == 5


def test_no_profiles_message(bare: Runner) -> None:
    r = bare("profiles", "list")
    assert r.code == 0
    assert "no profiles yet" in r.err


def test_secret_goes_to_keyring_when_usable(
    subprocess_bare: Runner, emulator: Any, dirs: Any
) -> None:
    """A real process: it picks its keyring backend (PYTHON_KEYRING_BACKEND) once."""
    bare = subprocess_bare
    store = dirs["config"] / "fake-keyring.json"
    env = {
        "TCX_NO_KEYRING": "0",
        "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
        "PYTHONPATH": str(Path(__file__).parent),
        "TCX_KEYRING_FILE": str(store),
    }
    r = bare(
        "login",
        "--name",
        "kr",
        "--url",
        emulator.url,
        "--client-id",
        emulator.client_id,
        input=SECRET + "\n",
        env=env,
    )
    assert r.code == 0, r.err
    assert "API key kept in the OS keyring" in r.err
    assert not (dirs["config"] / "secrets.json").exists()
    assert json.loads(store.read_text()) == {"tcxkit/kr": SECRET}
    assert (
        tomllib.loads((dirs["config"] / "config.toml").read_text())["profiles"]["kr"][
            "secret_store"
        ]
        == "keyring"
    )
    r = bare("users", "list-user", "--top", "1", env=env)
    assert r.code == 0, r.err
    assert bare("profiles", "remove", "kr", env=env).code == 0
    assert json.loads(store.read_text()) == {}


def test_credentials_in_a_url_are_refused_and_never_echoed(
    bare: Runner, emulator: Any, dirs: dict[str, Path]
) -> None:
    host = emulator.url.removeprefix("http://")
    with_pw = f"http://admin:Pw-9f2c@{host}"
    login = bare("login", "--url", with_pw, "--client-id", "x", input="k\n")
    assert (login.code, login.out) == (2, "")
    assert login.err.startswith(
        f"3cx: configuration error: The PBX URL http://***@{host} carries credentials; "
        "it was not used.\n"
    )
    assert not (dirs["config"] / "config.toml").exists()
    env = bare("users", "list-user", env={"TCX_URL": with_pw, "TCX_CLIENT_ID": "x",
                                          "TCX_CLIENT_SECRET": "k"})  # fmt: skip
    assert env.code == 2 and "environment: The PBX URL http://***@" in env.err
    # A hand-edited config.toml: refused on reading, the password still not shown.
    (dirs["config"] / "config.toml").write_text(
        f'current = "lab"\n[profiles.lab]\nurl = "{with_pw}"\nclient_id = "x"\n'
    )
    listing = bare("profiles", "list")
    assert listing.code == 2 and "[profiles.lab]: The PBX URL http://***@" in listing.err
    for r in (login, env, listing):
        assert "Pw-9f2c" not in r.out + r.err and "admin" not in r.err


def test_plain_http_off_this_machine_needs_allow_http(bare: Runner, dirs: dict[str, Path]) -> None:
    far = "http://198.51.100.7:5000"  # documentation address: never contacted
    r = bare("login", "--url", far, "--client-id", "x", input="k\n")
    assert (r.code, r.out) == (2, "")
    assert r.err == (
        "3cx: configuration error: Plain http:// to 198.51.100.7 would send the API key "
        "unencrypted; nothing was sent.\n"
        "Hint: Use https:// (a PBX serves it on 5001 self-hosted, 443 hosted). On a network "
        "you trust, allow plain HTTP explicitly: allow_http=True (Python), --allow-http (3cx) "
        "or insecure_http = true (fleet.toml).\n"
    )
    r = bare("login", "--url", far, "--client-id", "x", "--no-verify-login", "--allow-http",
             input="k\n")  # fmt: skip
    assert r.code == 0, r.err
    # Stored, but every later run needs the explicit yes again, and sends nothing without it.
    r = bare("users", "list-user")
    assert r.code == 2 and "profile 'default': Plain http:// to 198.51.100.7" in r.err


def test_a_config_others_can_write_is_refused_with_the_chmod(
    bare: Runner, emulator: Any, dirs: dict[str, Path]
) -> None:
    assert _login(bare, emulator, "lab").code == 0
    config, secrets = dirs["config"] / "config.toml", dirs["config"] / "secrets.json"
    config.chmod(0o666)
    r = bare("users", "list-user", "--top", "1")
    assert r.code == 2
    assert f"The configuration file {config} is writable by other users" in r.err
    assert f"Hint: Run: chmod go-w {config}\n" in r.err
    config.chmod(0o644)
    secrets.chmod(0o640)
    r = bare("users", "list-user", "--top", "1")
    assert r.code == 2 and f"Hint: Run: chmod 600 {secrets}\n" in r.err
    secrets.chmod(0o600)
    assert bare("users", "list-user", "--top", "1").code == 0
