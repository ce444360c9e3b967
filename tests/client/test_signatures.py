"""Actions as Python calls: every action has a signature, help works on a bound
action, and a wrong name or argument says what to do instead.
"""

from __future__ import annotations

import inspect

import pytest

from tcxkit import UsageError, ValidationError, catalog
from tcxkit.catalog import RELEASES
from tcxkit.pipeline import prepare

from .conftest import PBX

CAT = catalog("20.0.10")


def build(action: str, **args):
    return prepare(CAT.require(action), args, CAT)


@pytest.mark.parametrize("release", RELEASES)
def test_every_action_has_a_signature(release: str) -> None:
    from tcxkit.resources import signature_for

    for action in catalog(release):
        sig = signature_for(action)
        assert "kwargs" not in sig.parameters


def test_get_logs_of_old_releases_can_be_helped(pbx: PBX) -> None:
    with pbx.client(release="20.0.4") as c:
        ns = getattr(c, c.catalog.require("GetLogs").resource_python_name)
        method = ns.get_logs
        sig = inspect.signature(method)
    assert "top" in sig.parameters
    assert "GetLogs" in (method.__doc__ or "")


def test_help_on_a_bound_action(pbx: PBX) -> None:
    import pydoc

    with pbx.client(release="20.0.10") as c:
        text = pydoc.render_doc(c.users.update_user, renderer=pydoc.plaintext)
    assert "update_user(*, id: 'int', body: 'dict')" in text
    assert "PATCH" in text


def test_unknown_keyword_names_the_snake_case_body_argument() -> None:
    with pytest.raises(ValidationError) as err:
        build("RetreivePeersByNumbers", peer_request={"DnNumbers": ["1"]})
    text = str(err.value)
    assert "peer_request: unknown parameter (did you mean peers_request?)" in text
    assert "accepts: body, peers_request" in text


def test_misnamed_attributes_and_positional_values_say_what_to_do(pbx: PBX) -> None:
    with pbx.client(release="20.0.10") as c:
        with pytest.raises(AttributeError) as err:
            c.userz  # noqa: B018
        assert "Client has no resource 'userz' (did you mean users" in str(err.value)
        with pytest.raises(AttributeError) as err:
            c.users.get_usr  # noqa: B018
        assert "resource Users has no action 'get_usr' (did you mean get_user" in str(err.value)
        with pytest.raises(UsageError) as err:
            c.users.get_user(5)
    assert str(err.value).startswith(
        "get_user() takes its parameters by name, got 1 positional value(s)."
    )
    assert "get_user(id=...)" in err.value.hint
    assert err.value.exit_code == 2
    assert pbx.token_requests() == 0
