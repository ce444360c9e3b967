"""Where tcxkit's settings come from: the environment and configuration files.

The core reads settings here, once, with one meaning for every face (CLI, MCP,
fleets, Airflow): :mod:`.settings` parses booleans and turns TLS settings into
the client's ``verify=`` argument; :mod:`.profiles` and :mod:`.inventory` read
``config.toml`` and ``fleet.toml``; :mod:`.targets` lists every PBX a name can
select; :mod:`.connection` turns a run's :class:`~.options.Options` into a
:class:`~.connection.Connection` and client arguments::

    from tcxkit.config import Options, make_client, resolve

    opts = Options(profile="pbx01", inventory="fleet.toml")
    client = make_client(resolve(opts), opts)

Everything past the boolean reader loads on first use, so importing this stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .settings import FALSE_WORDS, TRUE_WORDS, env_bool, env_text, parse_bool, tls_verify

if TYPE_CHECKING:
    from .connection import Connection, client_args, make_async_client, make_client, resolve
    from .options import Options

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "Connection",
    "Options",
    "client_args",
    "env_bool",
    "env_text",
    "make_async_client",
    "make_client",
    "parse_bool",
    "resolve",
    "tls_verify",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "Connection": "connection",
        "Options": "options",
        "client_args": "connection",
        "make_async_client": "connection",
        "make_client": "connection",
        "resolve": "connection",
    },
)
