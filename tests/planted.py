"""A demo PBX with a known, distinct secret in every place the schema says is secret.

Shared by the planted-secrets tests of every face (tests/cli, tests/mcp, tests/airflow):
:func:`planted_emulator` starts a private demo emulator whose secret-returning actions
answer with planted values (the emulator's ``answers`` option), then :func:`plant` writes
a planted value into every ``Pbx.ConcealedPassword`` / ``Pbx.ConcealedDataFile`` member
it holds (settings singletons and trunks), over HTTP with the library -- which never
masks -- so the emulator's request log sees them too.  A face passes when none of
:attr:`Planted.values` appears in anything it printed, returned, logged or stored.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcxkit import Client
from tcxkit.catalog import catalog
from tcxkit.emulator import running

from .emulators import own_config

TABLE = Path(__file__).parents[1] / "src" / "tcxkit" / "catalog" / "data" / "secrets.json"
RELEASE = "20.0.10"


def _token(label: str) -> str:
    return f"PLANTED-{label}-{secrets.token_hex(6)}"


def secret_table() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def answers() -> dict[str, Any]:
    """A planted answer for every reviewed secret-returning action of the release."""
    cat = catalog(RELEASE)
    out: dict[str, Any] = {}
    for action_id in secret_table()["secret_actions"]:
        action = cat.get(action_id)
        if action is None:
            continue
        if action.response.kind == "primitive":
            out[action_id] = _token(action_id)
        else:  # GetOAuth (a Key/Value choice), SetOAuthState (CodeChallenge/State)
            props = ("Key", "Value") if action_id == "GetOAuth" else ("CodeChallenge", "State")
            out[action_id] = {p: _token(f"{action_id}.{p}") for p in props}
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


@dataclass
class Planted:
    emulator: Any
    #: Every planted value (Concealed members and secret answers).
    values: set[str] = field(default_factory=set)
    #: ``(action id, field)`` of every Concealed member planted, for coverage checks.
    fields: set[tuple[str, str]] = field(default_factory=set)
    answers: dict[str, Any] = field(default_factory=dict)
    #: Actions (and their required arguments) whose answers hold planted values.
    reads: dict[str, dict[str, Any]] = field(default_factory=dict)

    def leaks(self, *texts: str) -> set[str]:
        """The planted values found in ``texts``."""
        return {v for v in self.values for t in texts if v in t}


def _conceal_all(value: Any, planted: Planted, owner: str) -> Any:
    """``value`` with every Concealed* object in it given a fresh planted member.

    The emulator generates its settings from the schema, so a Concealed* field holds
    ``{"Concealed": ..., "Value"/"Contents": ...}``; which member is secret comes
    from the compiled table.
    """
    members = secret_table()["concealed_members"]
    if isinstance(value, list):
        return [_conceal_all(v, planted, owner) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if isinstance(v, dict) and "Concealed" in v:
            kind = "Pbx.ConcealedDataFile" if "Contents" in v else "Pbx.ConcealedPassword"
            token = _token(f"{owner}.{k}")
            v = {**v, "Concealed": False, members[kind][0]: token}
            planted.values.add(token)
            planted.fields.add((owner, k))
        else:
            v = _conceal_all(v, planted, owner)
        out[k] = v
    return out


def plant(emu: Any, fixed: dict[str, Any]) -> Planted:
    """Plant secrets in ``emu``, whose secret actions answer ``fixed`` (see the module docstring)."""
    cat = catalog(RELEASE)
    planted = Planted(emu, answers=fixed)
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=False) as c:
        for name in sorted(emu.state.singletons):
            get = next((a for a in cat if a.method == "GET" and a.path == f"/{name}"), None)
            patch = next((a for a in cat if a.method == "PATCH" and a.path == f"/{name}"), None)
            if get is None or patch is None:
                continue
            current = c.call(get.id)
            current.pop("@odata.context", None)
            changed = _conceal_all(current, planted, get.id)
            if changed != current:
                c.call(patch.id, body=changed)
                planted.reads[get.id] = {}
        for trunk in c.call("ListTrunk", select=["Id"])["value"]:
            empty = {"AuthPassword": {"Concealed": False, "Value": ""}}
            body = _conceal_all(empty, planted, "GetTrunk")
            c.call("UpdateTrunk", Id=trunk["Id"], body=body)
            planted.reads.setdefault("GetTrunk", {"Id": trunk["Id"]})
        planted.reads["ListTrunk"] = {}
        # Functions that answer a settings object generated from the schema
        # (GetDirSearchSettings, GetRestoreSettings): planted through fixed answers.
        owners = {o for f in secret_table()["concealed_fields"].values() for o in f["in"]}
        for action in cat:
            ref = (action.response.schema or {}).get("$ref", "").rsplit("/", 1)[-1]
            if action.method != "GET" or ref not in owners or action.id in planted.reads:
                continue
            if action.response.kind != "entity" or action.kind == "operation":
                continue
            args = _arguments(action)
            generated = c.call(action.id, **args)
            generated.pop("@odata.context", None)
            trial = Planted(emu)
            fixed[action.id] = _conceal_all(generated, trial, action.id)
            if not trial.leaks(json.dumps(c.call(action.id, **args))):
                del fixed[action.id]  # a domain handler answers it (InitTrunk): not planted
                continue
            planted.values |= trial.values
            planted.fields |= trial.fields
            planted.reads[action.id] = args
    for action_id, answer in fixed.items():
        planted.values.update(_strings(answer))
        planted.reads[action_id] = _arguments(cat.require(action_id))
    planted.values = {v for v in planted.values if v.startswith("PLANTED-")}
    return planted


def _arguments(action: Any) -> dict[str, Any]:
    """Arguments that satisfy ``action``'s required parameters and named body arguments."""
    args: dict[str, Any] = {
        p.name: 1 if p.type.startswith("Edm.Int") else "x" for p in action.params if p.required
    }
    if action.body is not None and action.body.required:
        args.update({w: {} for w in action.body.wrapped or ()})
    return args


@contextmanager
def echoing_error(emu: Any, action_id: str, secret: str) -> Iterator[str]:
    """``action_id`` fails with a 400 whose message quotes ``secret`` (as if the PBX
    echoed the request it refused); yields the quoted sentence's fixed part."""
    import httpx

    said = "is not accepted by the mail server"
    echo = f"MailPassword '{secret}' {said}"
    rule = {
        "operation": action_id,
        "status": 400,
        "body": {
            "error": {
                "code": "",
                "message": echo,
                "details": [{"code": "", "message": echo, "target": "MailPassword"}],
            }
        },
    }
    faults = f"{emu.url}/emulator/faults"
    httpx.post(faults, json=rule, auth=emu.control_auth).raise_for_status()
    try:
        yield said
    finally:
        httpx.delete(faults, auth=emu.control_auth).raise_for_status()


@contextmanager
def planted_emulator() -> Iterator[Planted]:
    """A private demo PBX with planted secrets (see the module docstring)."""
    fixed = answers()
    with running(own_config(version=RELEASE, options={"answers": fixed})) as emu:
        yield plant(emu, fixed)
