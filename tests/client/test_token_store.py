"""Token stores: the interface, and a core that leaves their I/O to the drivers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from tcxkit import AsyncClient
from tcxkit.auth import (
    REFETCH_SPACING,
    FileTokenStore,
    LeaseLock,
    MemoryTokenStore,
    TokenState,
    TokenStore,
    token_key,
)
from tcxkit.flow import ClientCore, Load, Send, Sleep

from .conftest import PBX

HOLD_THE_LOCK = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1], timeout=5)
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def test_async_client_waits_for_another_process_lock_off_the_event_loop(pbx: PBX) -> None:
    """While another process holds the token lock, every other coroutine keeps running."""
    key = token_key(pbx.url, pbx.client_id, pbx.client_secret)
    lock_file = str(FileTokenStore(pbx.cache).path(key)) + ".lock"
    pbx.cache.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, lock_file],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "held\n"
    ticks_at_release = 20

    async def main() -> tuple[int, Any]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1
                if ticks == ticks_at_release:  # only a running loop gets here: let go
                    holder.stdin.write("go\n")
                    holder.stdin.flush()

        task = asyncio.create_task(ticker())
        async with pbx.aclient() as c:
            result = await c.call("ListUser", top=1)
        task.cancel()
        return ticks, result

    try:
        ticks, result = asyncio.run(main())
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result["value"] == []
    assert ticks >= ticks_at_release  # the call needed the lock, which came after 20 ticks
    assert pbx.token_requests() == 1


class DictStore:
    """A store of our own: what a scheduler's variable or a key-value service would be."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.loads = 0
        self.saves = 0

    def load(self, key: str) -> Mapping[str, Any] | None:
        self.loads += 1
        return self.entries.get(key)

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        self.saves += 1
        self.entries[key] = dict(entry)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        yield


def test_a_store_of_your_own_shares_the_token(pbx: PBX) -> None:
    store = DictStore()
    assert isinstance(store, TokenStore)
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    (entry,) = store.entries.values()
    assert set(entry) >= {"access_token", "expires_at", "pbx_version"}
    TokenState._memory.clear()  # as if another process: only the store remembers
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    assert pbx.token_requests() == 1


def test_async_client_uses_the_store_too(pbx: PBX) -> None:
    store = DictStore()

    async def main() -> None:
        async with pbx.aclient(token_cache=store) as c:
            await c.call("ListUser", top=1)

    asyncio.run(main())
    assert store.saves >= 1 and store.loads >= 1
    assert pbx.token_requests() == 1


def test_memory_store_shares_the_token_between_clients(pbx: PBX) -> None:
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    TokenState._memory.clear()  # another process given the same store
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    assert pbx.token_requests() == 1


def test_a_rejected_token_gives_way_to_the_stores_newer_one_without_a_fetch(pbx: PBX) -> None:
    """Another host fetched a token (revoking ours) and stored it: we adopt it, not fight it."""
    store = MemoryTokenStore()
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
        key = c._core.tokens.key
        newer = pbx.new_token_elsewhere()
        store.save(key, {**store.load(key), "access_token": newer})  # as the other host does
        pbx.clear_requests()
        c.call("ListUser", top=1)
    paths = [r["path"] for r in pbx.requests()]
    assert paths.count("/connect/token") == 0, paths
    assert store.load(key)["access_token"] == newer


def test_a_revoked_token_is_not_erased_from_the_store(pbx: PBX) -> None:
    """A 401 forgets the token in memory only: the store may hold a newer one already."""
    store = MemoryTokenStore()
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
        key = c._core.tokens.key
        pbx.new_token_elsewhere()  # no one stored it: we must fetch, once
        pbx.clear_requests()
        c.call("ListUser", top=1)
    assert pbx.token_requests() == 1
    assert store.load(key)["access_token"] == c._core.tokens.token().access_token


def test_a_refetch_right_after_a_fetch_waits_and_rereads_first() -> None:
    """Token requests are spaced by the store's ``fetched_at``: the flow sleeps, re-reads,
    and only then sends (checked on the flow's steps, not on a clock)."""
    core = ClientCore("https://pbx.example", "cid", "secret", token_cache=MemoryTokenStore())
    now = time.time()
    stored = {"access_token": "old", "expires_at": now + 3600, "fetched_at": now}
    flow = core.token_flow("old")
    steps = [type(flow.send(None)).__name__]
    step = flow.send(stored)  # the Load's answer: still the rejected token, fetched just now
    assert isinstance(step, Sleep) and 0 < step.seconds <= REFETCH_SPACING
    steps.append("Sleep")
    steps.append(type(flow.send(None)).__name__)  # re-read after the wait
    newer = {**stored, "access_token": "newer"}
    try:
        flow.send(newer)
    except StopIteration as done:  # the flow ended: the newer token was adopted, nothing sent
        assert done.value == "newer"
    else:
        raise AssertionError("the flow went on to fetch a token")
    assert steps == ["Load", "Sleep", "Load"]


def test_a_first_fetch_is_not_delayed() -> None:
    core = ClientCore("https://pbx.example", "cid2", "secret", token_cache=MemoryTokenStore())
    flow = core.token_flow(None)
    assert isinstance(flow.send(None), Load)
    now = time.time()
    assert isinstance(flow.send({"fetched_at": now}), Send)


class Record:
    """A key-value record with no atomic update, as a scheduler's variable store offers."""

    def __init__(self) -> None:
        self.value: Mapping[str, Any] | None = None
        self.broken = False

    def read(self) -> Mapping[str, Any] | None:
        if self.broken:
            raise OSError("store unreachable")
        return self.value

    def write(self, value: Mapping[str, Any]) -> None:
        if self.broken:
            raise OSError("store unreachable")
        self.value = dict(value)


def test_lease_lock_excludes_concurrent_holders() -> None:
    record = Record()
    inside, most = 0, 0
    guard = threading.Lock()

    def worker() -> None:
        nonlocal inside, most
        lock = LeaseLock(record.read, record.write, settle=0.02, poll=0.01, timeout=10)
        with lock.held() as had:
            assert had
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1
    assert record.value == {"owner": None, "until": 0}  # the last holder released it


def test_lease_lock_outlives_a_crashed_holder_and_survives_an_unreachable_store() -> None:
    record = Record()
    record.value = {"owner": "crashed", "until": time.time() + 0.05}
    lock = LeaseLock(record.read, record.write, settle=0.01, poll=0.01, timeout=5)
    with lock.held() as had:
        assert had and record.value["owner"] != "crashed"
    record.broken = True
    with lock.held() as had:
        assert not had  # no lock to be had: the caller goes on (and fetches) without one


def _two_hosts(pbx: PBX, store_a: Any, store_b: Any, rounds: int = 2) -> tuple[int, int]:
    """Two hosts calling in turn, as mapped tasks on two Celery workers do:
    (token requests, 401 answers) seen by the PBX, which keeps one token per client.

    Clients of one process share their token in memory (``TokenState``); each host here
    gets a memory of its own, swapped in for its calls, as separate machines have.
    """
    memory: dict[str, dict[str, Any]] = {"a": {}, "b": {}}
    with pbx.client(token_cache=store_a) as a, pbx.client(token_cache=store_b) as b:
        entry = a._core.tokens._entry  # the process-wide entry both clients use
        pbx.clear_requests()
        for _ in range(rounds):
            for host, client in (("a", a), ("b", b)):
                entry.clear()
                entry.update(memory[host])
                client.call("ListUser", top=1)
                memory[host] = dict(entry)
    seen = pbx.requests()
    return (
        sum(r["path"] == "/connect/token" for r in seen),
        sum(r["status"] == 401 for r in seen),
    )


def test_hosts_with_their_own_stores_fight_and_one_shared_store_ends_it(pbx: PBX) -> None:
    """Issue #13's measurement in miniature: per-host caches revoke each other on every
    turn (4 calls: 4 token requests, 2 refused calls); one store shared by the hosts (the
    Airflow store's role on a cluster) needs one token for all of them, and no 401."""
    assert _two_hosts(pbx, MemoryTokenStore(), MemoryTokenStore()) == (4, 2)
    shared = MemoryTokenStore()
    assert _two_hosts(pbx, shared, shared) == (1, 0)


# -- token lifetime by the local clock ------------------------------------------------

HOUR = 3600.0


def _jwt(claims: dict[str, Any]) -> str:
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_expiry_is_arrival_plus_lifetime_never_the_pbxs_exp() -> None:
    from tcxkit.auth import parse_token_response

    pbx_now = 1_000_000.0  # the PBX's clock: days behind ours
    token = _jwt({"iat": int(pbx_now), "exp": int(pbx_now + HOUR)})
    answers = {
        "seconds": {"access_token": token, "expires_in": 3600},
        "minutes (20.0.8 and older)": {"access_token": token, "expires_in": 60},
        "no expires_in": {"access_token": token},
    }
    for name, answer in answers.items():
        for release in ("20.0.8", "20.0.10", None):  # a pinned release may be wrong
            got = parse_token_response(
                200, json.dumps(answer).encode(), url="u", release=release, now=5e9
            )
            assert (got.expires_at, got.lifetime) == (5e9 + HOUR, HOUR), (name, release)
            assert got.fresh(5e9 + HOUR - 31) and not got.fresh(5e9 + HOUR - 29)
    short = parse_token_response(
        200, b'{"access_token":"x","expires_in":20}', url="u", release="20.0.10", now=0
    )
    assert short.fresh(17.9) and not short.fresh(18.1)  # renewed a tenth of its life early
    # Neither expires_in nor a readable JWT: an hour; an absurd figure is capped at a day.
    assert (
        parse_token_response(200, b'{"access_token":"x"}', url="u", release=None, now=0).lifetime
        == HOUR
    )
    huge = b'{"access_token":"x","expires_in":99999999}'
    assert parse_token_response(200, huge, url="u", release="20.0.10", now=0).lifetime == 86400


def test_the_store_carries_arrival_and_lifetime_for_other_processes(tmp_path) -> None:
    from tcxkit.auth import Token

    store = FileTokenStore(tmp_path)
    mine = TokenState("lifetime-key-1")
    mine.set_token(Token("t", 2000.0 + HOUR, HOUR), fetched_at=2000.0)
    store.save("k", mine.snapshot())
    entry = store.load("k")
    assert {k: entry[k] for k in ("received_at", "lifetime", "expires_at")} == {
        "received_at": 2000.0,
        "lifetime": HOUR,
        "expires_at": 2000.0 + HOUR,
    }
    theirs = TokenState("lifetime-key-2")
    theirs.merge(entry)
    assert theirs.token() == Token("t", 2000.0 + HOUR, HOUR)
    # An entry of an older version (no received_at/lifetime) still reads, by its expires_at.
    old = TokenState("lifetime-key-3")
    old.merge({"access_token": "o", "expires_at": 42.0, "lifetime": "bad"})
    assert old.token() == Token("o", 42.0)


def _skew(monkeypatch: Any, module: str, seconds: float) -> None:
    """Set one module's wall clock ``seconds`` off the real one (as a host's would be)."""
    from types import SimpleNamespace

    real = time.time
    monkeypatch.setattr(f"{module}.time", SimpleNamespace(time=lambda: real() + seconds))


@pytest.mark.parametrize("pbx_ahead", [2 * HOUR, -2 * HOUR])
def test_a_skewed_clock_costs_one_token_for_30_calls(
    pbx: PBX, monkeypatch: Any, pbx_ahead: float
) -> None:
    _skew(monkeypatch, "tcxkit.emulator.auth", pbx_ahead)  # the PBX issues by its own clock
    with pbx.client() as c:
        for _ in range(30):
            c.call("ListUser", top=1)
        token = c._core.tokens.token()
        assert pbx.token_requests() == 1
        expired = httpx.post(f"{pbx.url}/emulator/tokens/expire", auth=pbx.server.control_auth)
        expired.raise_for_status()
        c.call("ListUser", top=1)  # a 401 still forces one refresh, whatever the skew
        assert pbx.token_requests() == 2
    from tcxkit.auth import jwt_claims

    assert abs(jwt_claims(token.access_token)["exp"] - time.time() - HOUR - pbx_ahead) < 60
    assert HOUR - 60 < token.expires_at - time.time() <= HOUR  # by our clock all the same
    key = token_key(pbx.url, pbx.client_id, pbx.client_secret)
    assert FileTokenStore(pbx.cache).load(key)["lifetime"] == HOUR


SKEWED_CALLS = """
import os, sys, time
real = time.time
time.time = lambda: real() + float(sys.argv[1])  # this host's clock, off the PBX's
from tcxkit import Client
print("ready", flush=True)
sys.stdin.readline()
env = os.environ
with Client(env["T_URL"], env["T_ID"], env["T_KEY"], token_cache=sys.argv[2]) as c:
    for _ in range(100):
        c.call("ListUser", top=1)
print("done", flush=True)
"""


@pytest.mark.parametrize("host_ahead", [2 * HOUR, -2 * HOUR])
def test_three_skewed_processes_sharing_a_store_make_one_token_request(
    pbx: PBX, host_ahead: float
) -> None:
    import os

    env = {**os.environ, "T_URL": pbx.url, "T_ID": pbx.client_id, "T_KEY": pbx.client_secret}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SKEWED_CALLS, str(host_ahead), str(pbx.cache)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    try:
        for p in procs:  # all three imported and waiting: then they start together
            assert p.stdout is not None and p.stdout.readline() == "ready\n"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [(p.returncode, out, err) for p, (out, err) in zip(procs, outcomes, strict=True)] == [
        (0, "done\n", "")
    ] * 3
    assert sum(1 for r in pbx.requests() if r["path"].startswith("/xapi/v1/Users")) == 300
    assert pbx.token_requests() == 1


# -- the async token path under cancellation ------------------------------------------


class GatedStore(FileTokenStore):
    """A file store that can stop a token fetch at one of its steps, for a test to cancel it
    there: ``lock`` (waiting for the store's lock), ``load``/``save`` (under the lock)."""

    def __init__(self, directory: Any, gate_at: str | None = None) -> None:
        super().__init__(directory)
        self.gate_at = gate_at
        self.reached = threading.Event()
        self.go = threading.Event()
        self.released = threading.Event()
        self.holding = False

    def _gate(self, point: str) -> None:
        if point == self.gate_at and (point == "lock" or self.holding):
            self.reached.set()
            assert self.go.wait(30)

    def load(self, key: str) -> dict[str, Any] | None:
        self._gate("load")
        return super().load(key)

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        self._gate("save")
        super().save(key, entry)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        self._gate("lock")
        try:
            with super().lock(key):
                self.holding = True
                try:
                    yield
                finally:
                    self.holding = False
        finally:
            self.released.set()  # once the file lock itself is given back

    def lock_is_free(self, key: str) -> bool:
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(self.path(key)) + ".lock", timeout=0):
                return True
        except Timeout:
            return False


def _quiet(caplog: Any, capfd: Any) -> None:
    """Nothing logged at warning or above (asyncio's "Exception in callback ...",
    "Task exception was never retrieved"), and no traceback on stderr."""
    import gc

    gc.collect()  # unretrieved exceptions are reported when their futures are collected
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
    assert "Traceback" not in capfd.readouterr().err


def test_a_program_that_ends_while_its_fetch_waits_for_the_lock_leaves_it_free(
    pbx: PBX, tmp_path: Any, caplog: Any, capfd: Any
) -> None:
    """The call is cancelled while another holder keeps the store's lock, and the event loop
    ends before the lock comes free: the thread that then gets the lock gives it back, and
    the loop's end logs nothing (it used to log "Exception in callback ... CancelledError")."""
    caplog.set_level(logging.DEBUG)
    store = GatedStore(tmp_path / "gated", "lock")
    key = token_key(pbx.url, pbx.client_id, pbx.client_secret)
    client_args = (pbx.url, pbx.client_id, pbx.client_secret)

    async def cancelled_while_waiting() -> None:
        async with AsyncClient(*client_args, token_cache=store, release="20.0.10") as c:
            task = asyncio.ensure_future(c.call("ListUser", top=1))
            assert await asyncio.to_thread(store.reached.wait, 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(cancelled_while_waiting())  # ends with the lock's thread still waiting
    assert not store.released.is_set()
    store.go.set()
    assert store.released.wait(30) and store.lock_is_free(key)

    async def next_run() -> Any:
        async with AsyncClient(*client_args, token_cache=store, release="20.0.10") as c:
            return await c.call("ListUser", top=1)

    assert asyncio.run(next_run())["value"] == []
    _quiet(caplog, capfd)


@pytest.mark.parametrize("point", ["lock", "load", "send", "timeout", "save"])
def test_a_cancelled_token_fetch_gives_the_lock_back_and_the_next_call_works(
    pbx: PBX, tmp_path: Any, caplog: Any, capfd: Any, point: str
) -> None:
    from ..proxy import Rule, breaking_proxy

    caplog.set_level(logging.DEBUG)
    store = GatedStore(tmp_path / "gated", None if point in ("send", "timeout") else point)
    hang = [Rule("POST", "/connect/token", mode="hang")] if store.gate_at is None else []
    with breaking_proxy(pbx.url, *hang) as (url, proxy):
        key = token_key(url, pbx.client_id, pbx.client_secret)

        async def main() -> Any:
            async with AsyncClient(
                url, pbx.client_id, pbx.client_secret, token_cache=store, release="20.0.10"
            ) as c:
                call = c.call("ListUser", top=1)
                if point == "timeout":  # cancelled by asyncio.wait_for, mid-request
                    with pytest.raises(TimeoutError):
                        await asyncio.wait_for(call, 0.2)
                else:
                    task = asyncio.ensure_future(call)
                    reached = proxy.upstream_answered if point == "send" else store.reached
                    assert await asyncio.to_thread(reached.wait, 30)
                    task.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await task
                store.go.set()  # the step the fetch was stopped at may now finish
                proxy.release.set()
                assert await asyncio.to_thread(store.released.wait, 30)
                assert store.lock_is_free(key)
                store.released.clear()
                return await c.call("ListUser", top=1)  # the next call fetches and works

        assert asyncio.run(main())["value"] == []
    assert store.released.is_set() and store.lock_is_free(key)
    _quiet(caplog, capfd)


def test_a_failed_token_fetch_gives_the_lock_back(
    pbx: PBX, tmp_path: Any, caplog: Any, capfd: Any
) -> None:
    from tcxkit import AuthenticationError

    caplog.set_level(logging.DEBUG)
    store = GatedStore(tmp_path / "gated")
    key = token_key(pbx.url, pbx.client_id, "wrong")

    async def main() -> None:
        async with AsyncClient(pbx.url, pbx.client_id, "wrong", token_cache=store) as c:
            with pytest.raises(AuthenticationError):
                await c.call("ListUser", top=1)
            assert store.released.is_set() and store.lock_is_free(key)

    asyncio.run(main())
    _quiet(caplog, capfd)


def test_a_fleet_with_one_pbx_down_and_one_cancelled_leaves_no_lock_and_no_traceback(
    pbx: PBX, tmp_path: Any, caplog: Any, capfd: Any
) -> None:
    """The report: "with one PBX of a fleet down, 2 runs in 6 print Exception in callback".
    Here one PBX is down (its token fetch fails) while the other's fetch waits for the
    store's lock when the whole fleet run is cancelled; then the fleet runs again."""
    import socket

    from tcxkit.fleet import Fleet

    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    up_store = GatedStore(tmp_path / "up", "lock")
    down_store = GatedStore(tmp_path / "down")

    async def main() -> list[Any]:
        clients = {
            "up": AsyncClient(pbx.url, pbx.client_id, pbx.client_secret, token_cache=up_store),
            "down": AsyncClient(down, "cid", "key", token_cache=down_store, retries=0),
        }
        async with Fleet(clients) as fleet:
            run = asyncio.ensure_future(fleet.call("ListUser", top=1))
            assert await asyncio.to_thread(up_store.reached.wait, 30)
            assert await asyncio.to_thread(down_store.released.wait, 30)  # failed, let go
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
        return []  # the program ends while the up PBX's fetch still waits for its lock

    asyncio.run(main())
    up_store.go.set()
    assert up_store.released.wait(30)

    async def again() -> list[Any]:
        clients = {
            "up": AsyncClient(pbx.url, pbx.client_id, pbx.client_secret, token_cache=up_store),
            "down": AsyncClient(down, "cid", "key", token_cache=down_store, retries=0),
        }
        async with Fleet(clients) as fleet:
            return await fleet.call("ListUser", top=1)

    results = asyncio.run(again())
    assert [(r.pbx, r.ok) for r in results] == [("up", True), ("down", False)]
    assert type(results[1].error).__name__ == "ConnectError"
    for store, url, cid, secret in (
        (up_store, pbx.url, pbx.client_id, pbx.client_secret),
        (down_store, down, "cid", "key"),
    ):
        assert store.lock_is_free(token_key(url, cid, secret))
    _quiet(caplog, capfd)
