"""Where tcxkit's settings come from: the environment and configuration files.

The core reads settings here, once, with one meaning for every face (CLI, MCP,
fleets, Airflow): :mod:`tcxkit.config.settings` parses booleans and turns TLS
settings into the client's ``verify=`` argument.
"""

from __future__ import annotations

from .settings import FALSE_WORDS, TRUE_WORDS, env_bool, env_text, parse_bool, tls_verify

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "env_bool", "env_text", "parse_bool", "tls_verify"]
