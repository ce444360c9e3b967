"""Real storage servers for tests: Debian's OpenSSH (SFTP) and moto's S3 server.

Each runs on a free 127.0.0.1 port in the test's own folder: sshd with its own host
key, config and authorized key (the current user logs in; as root, sshd needs its
privilege-separation folder /run/sshd, created here when missing), moto_server with
throw-away credentials.  scripts/test installs openssh-server when it is missing.
Readiness is polled (the server's port accepting, with a bound), never slept for.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SSHD = "/usr/sbin/sshd"
READY_WITHIN = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {proc.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # polling a port for readiness, bounded above
    raise RuntimeError(f"server on port {port} not ready within {READY_WITHIN} s")


@dataclass
class SshServer:
    port: int
    user: str
    env: dict[str, str]  # TCX_SFTP_* for a client of this server

    def url(self, folder: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{folder}"


@contextmanager
def running_sshd(home: Path) -> Iterator[SshServer]:
    import pwd

    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / name)], check=True
        )
    (home / "authorized_keys").write_text((home / "client_key.pub").read_text())
    port = free_port()
    config = home / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host_key'}\n"
        f"PidFile {home / 'sshd.pid'}\nAuthorizedKeysFile {home / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n"
        "Subsystem sftp internal-sftp\n"
    )
    host_pub = (home / "host_key.pub").read_text().split()
    (home / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        _wait_listening(port, proc)
        env = {
            "TCX_SFTP_KNOWN_HOSTS": str(home / "known_hosts"),
            "TCX_SFTP_KEY_FILE": str(home / "client_key"),
        }
        yield SshServer(port, pwd.getpwuid(os.geteuid()).pw_name, env)
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class S3Server:
    endpoint: str
    env: dict[str, str]  # endpoint and throw-away credentials for a client


@contextmanager
def running_s3() -> Iterator[S3Server]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(port, proc)
        endpoint = f"http://127.0.0.1:{port}"
        env = {
            "TCX_S3_ENDPOINT": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        yield S3Server(endpoint, env)
    finally:
        proc.terminate()
        proc.wait(10)


def make_bucket(server: S3Server, name: str) -> None:
    import boto3

    boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)


# Fixtures: a test module that imports them gets its own servers (module scope).
@pytest.fixture(scope="module")
def sshd(tmp_path_factory: Any) -> Iterator[SshServer]:
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with running_s3() as server:
        yield server
