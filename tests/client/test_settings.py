"""tcxkit.config: the one reader of boolean settings, and the client's ``verify=``."""

from __future__ import annotations

import pytest

from tcxkit.config import env_bool, parse_bool, tls_verify
from tcxkit.errors import ConfigurationError


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on", " On\n", True])
def test_true_words(text: object) -> None:
    assert parse_bool(text, "X") is True


@pytest.mark.parametrize("text", ["0", "false", "False", "NO", "off", False])
def test_false_words(text: object) -> None:
    assert parse_bool(text, "X") is False


@pytest.mark.parametrize("text", ["", " ", "maybe", "y", "n", "t", "2", 1, None, "disable"])
def test_anything_else_is_an_error_naming_the_setting(text: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_bool(text, "TCX_INSECURE")
    assert caught.value.message == f"TCX_INSECURE must be true or false, got {text!r}."
    assert caught.value.exit_code == 2


def test_unset_is_the_default_set_is_parsed() -> None:
    assert env_bool("TCX_X", environ={}) is False
    assert env_bool("TCX_X", True, environ={}) is True
    assert env_bool("TCX_X", True, environ={"TCX_X": "off"}) is False
    with pytest.raises(ConfigurationError, match="TCX_X must be true or false, got ''"):
        env_bool("TCX_X", environ={"TCX_X": ""})


def test_verify_off_only_for_an_explicit_true() -> None:
    assert tls_verify(environ={}) is True
    assert tls_verify(environ={"TCX_INSECURE": "no"}) is True
    assert tls_verify(environ={"TCX_INSECURE": "yes"}) is False
    assert tls_verify(insecure=True, environ={}) is False
    assert tls_verify(configured_insecure=True, environ={"TCX_INSECURE": "0"}) is False
    with pytest.raises(ConfigurationError, match="TCX_INSECURE"):
        tls_verify(environ={"TCX_INSECURE": "False-ish"})


def test_ca_bundle_flag_then_environment_then_configuration() -> None:
    env = {"TCX_CA_BUNDLE": "/env.pem"}
    assert tls_verify(ca_bundle="/flag.pem", configured_ca="/cfg.pem", environ=env) == "/flag.pem"
    assert tls_verify(configured_ca="/cfg.pem", environ=env) == "/env.pem"
    assert tls_verify(configured_ca="/cfg.pem", environ={}) == "/cfg.pem"
    assert tls_verify(ca_bundle="/flag.pem", url="http://pbx.lan", environ={}) is False
