"""State files: extends layering, ${ENV} secrets, and clear errors (no PBX needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcxkit.errors import StateFileError
from tcxkit.state import load_document


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_extends_layers_a_customer_file_over_the_standard(tmp_path: Path) -> None:
    _write(
        tmp_path / "standard.yaml",
        "parameters:\n  POLICY: {Value: strict, Description: MSP}\n"
        "office_hours: {TimeZoneId: Europe/London, Hours: {Type: OfficeHours}}\n",
    )
    (tmp_path / "customers").mkdir()
    _write(tmp_path / "customers" / "acme.yaml",
           "extends: ../standard.yaml\nparameters:\n  POLICY: {Value: relaxed}\n"
           "office_hours: {Hours: {IgnoreHolidays: true}}\nusers:\n  100: {FirstName: Ann}\n")  # fmt: skip
    doc = load_document(tmp_path / "customers" / "acme.yaml", env={})
    assert doc["parameters"] == {"POLICY": {"Value": "relaxed", "Description": "MSP"}}
    assert doc["office_hours"] == {
        "TimeZoneId": "Europe/London",
        "Hours": {"Type": "OfficeHours", "IgnoreHolidays": True},
    }
    assert doc["users"] == {"100": {"FirstName": "Ann"}}  # an unquoted number is the extension


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.yaml",
        "trunks:\n  '10000': {AuthPassword: '${TRUNK_PW}', Gateway: {Host: 'h-$${literal}'}}\n",
    )
    doc = load_document(path, env={"TRUNK_PW": "pw-123"})
    assert doc["trunks"]["10000"] == {"AuthPassword": "pw-123", "Gateway": {"Host": "h-${literal}"}}
    with pytest.raises(StateFileError) as err:
        load_document(path, env={})
    assert str(err.value) == (
        "trunks.10000.AuthPassword: the environment variable TRUNK_PW is not set.\n"
        "Set TRUNK_PW (for example from your CI's secret store) and run again."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "users:\n  '100': {VMPIN: '1234'}\n",
            "users '100': VMPIN is a secret; write it as ${ENV_NAME}",
        ),
        (
            "trunks:\n  '10000': {AuthPassword: {Concealed: false, Value: hunter2}}\n",
            "trunks '10000': AuthPassword.Value is a secret",
        ),
        # Whatever the YAML type: numbers, booleans, a concealed object's value.
        ("users:\n  '100': {VMPIN: 1234}\n", "users '100': VMPIN is a secret"),
        ("users:\n  '100': {VMPIN: 1234.5}\n", "users '100': VMPIN is a secret"),
        ("users:\n  '100': {AccessPassword: true}\n", "users '100': AccessPassword is a secret"),
        (
            "trunks:\n  '10000': {AuthPassword: {Concealed: true, Value: 1234}}\n",
            "trunks '10000': AuthPassword.Value is a secret",
        ),
        (
            "trunks:\n  '10000': {AuthPassword: 1234}\n",
            "trunks '10000': AuthPassword is a secret",
        ),
        (
            "users:\n  '100': {Phones: [{Settings: {Secret: 1234}}]}\n",
            "users '100': Phones[0].Settings.Secret is a secret",
        ),
        ("robots: {}\n", "unknown kind: robots."),
        ("- users\n", "a state file is a mapping of kinds, not a list."),
        ("users: [1]\n", "users must be a mapping, not a list."),
        ("users: {a: [\n", "is not valid YAML"),
        ("extends: a.yaml\n", "extends goes round in a circle: a.yaml -> a.yaml."),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "a.yaml", text)
    with pytest.raises(StateFileError) as err:
        load_document(path, env={})
    assert message in str(err.value)
    assert err.value.exit_code == 3
    assert "1234" not in str(err.value) and "hunter2" not in str(err.value)


def test_a_concealed_flag_is_not_a_secret_but_its_value_is(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.yaml",
        "trunks:\n  '10000': {AuthPassword: {Concealed: false, Value: '${TRUNK_PW}'}}\n",
    )
    doc = load_document(path, env={"TRUNK_PW": "s3cret"})
    assert doc["trunks"]["10000"]["AuthPassword"] == {"Concealed": False, "Value": "s3cret"}


def test_a_field_is_secret_by_its_schema_whatever_its_name() -> None:
    """``GbJson`` (a ``Pbx.ConcealedDataFile``) says nothing secret in its name."""
    from tcxkit import catalog
    from tcxkit.redaction import is_secret_key
    from tcxkit.state.fields import is_secret_field

    props = catalog().schemas["Pbx.LocationSettings"]["properties"]
    assert not is_secret_key("GbJson")
    assert is_secret_field("GbJson", props["GbJson"])
    assert is_secret_field("FtpPassword", props["FtpPassword"])
    assert not is_secret_field("FtpUserName", props.get("FtpUserName", {"type": "string"}))
    assert is_secret_field("VMPIN", None)
