"""`3cx doctor`: each check, what to fix, and a non-zero exit when one fails."""

from __future__ import annotations

import socket

from .conftest import Faults, Runner


def test_doctor_all_good(run: Runner) -> None:
    r = run("doctor")
    assert r.code == 0, r.out + r.err
    out = r.out
    for check in ("settings", "DNS", "TCP", "token", "release", "permission"):
        assert any(line.startswith("ok") and f" {check} " in line for line in out.splitlines()), (
            check
        )
    assert "PBX 20.0.10.1621; using the XAPI 20.0.10 catalog" in out
    assert "All checks passed." in out


def test_doctor_bad_credentials(run: Runner) -> None:
    r = run("doctor", env={"TCX_CLIENT_SECRET": "nope"})
    assert r.code == 5
    assert "FAIL  token" in r.out and "fix: Check the client id" in r.out
    assert "skip  release" in r.out
    assert "fix the first FAIL above" in r.err


def test_doctor_cannot_connect(run: Runner) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run("doctor", env={"TCX_URL": f"http://127.0.0.1:{port}"})
    assert r.code == 4
    assert "FAIL  TCP" in r.out and "fix: Check the port" in r.out


def test_doctor_dns_failure(run: Runner) -> None:
    r = run("doctor", env={"TCX_URL": "https://no-such-host.invalid"})
    assert r.code == 4
    assert "FAIL  DNS" in r.out and "Cannot resolve 'no-such-host.invalid'" in r.out


def test_doctor_tls_failure(run: Runner, emulator) -> None:  # type: ignore[no-untyped-def]
    r = run("doctor", env={"TCX_URL": emulator.url.replace("http://", "https://")})
    assert r.code == 4
    assert "FAIL  TLS" in r.out
    # The emulator's port speaks plain HTTP: the hint says so, not --ca-bundle/--insecure.
    assert "That port speaks plain HTTP: use http:// instead of https://" in r.out
    assert "--ca-bundle" not in r.out and "--insecure" not in r.out


def test_doctor_permission(run: Runner, faults: Faults) -> None:
    faults["ListUser"] = 403
    r = run("doctor")
    assert r.code == 6
    assert "FAIL  permission" in r.out
