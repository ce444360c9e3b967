"""The provider is discovered by Airflow and declares the ``threecx`` connection type."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from airflow.providers_manager import ProvidersManager

from tcxkit.airflow import ThreeCXHook, ThreeCXOperator, ThreeCXSensor, get_provider_info
from tcxkit.catalog import RELEASES


def test_provider_info_matches_airflow_schema() -> None:
    schema = json.loads((resources.files("airflow") / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_release_choices_follow_the_shipped_catalogs() -> None:
    info = get_provider_info()
    field = info["connection-types"][0]["conn-fields"]["release"]
    assert field["schema"]["enum"] == ["auto", *RELEASES]
    assert field["schema"]["default"] == "auto"


def test_providers_manager_lists_tcxkit() -> None:
    pm = ProvidersManager()
    assert "tcxkit" in pm.providers
    provider = pm.providers["tcxkit"]
    assert provider.data["name"] == "3CX (tcxkit)"


def test_connection_type_resolves_to_the_hook() -> None:
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook_info = ProvidersManagerTaskRuntime().hooks["threecx"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "tcxkit.airflow.hooks.ThreeCXHook"
    assert hook_info.connection_id_attribute_name == "threecx_conn_id"
    assert hook_info.hook_name == "3CX"
    assert ThreeCXHook.conn_type == "threecx"


def test_connection_form_fields_and_behaviour() -> None:
    pm = ProvidersManager()
    widgets = pm.connection_form_widgets
    for field in ("verify_tls", "allow_http", "release", "ca_bundle", "timeout", "token_store"):
        assert f"extra__threecx__{field}" in widgets
    assert widgets["extra__threecx__release"].field["value"] == "auto"
    assert widgets["extra__threecx__token_store"].field["value"] == "airflow"
    behaviour = pm.field_behaviours["threecx"]
    assert behaviour["relabeling"] == {
        "host": "Base URL",
        "login": "Client ID",
        "password": "API key",
    }
    assert "port" in behaviour["hidden_fields"]


def test_operator_and_sensor_modules_are_declared() -> None:
    info = get_provider_info()
    from tcxkit.airflow import (
        ThreeCXBackupOperator,
        ThreeCXCallsExportOperator,
        ThreeCXHealthCheckOperator,
        ThreeCXRecordingsArchiveOperator,
        ThreeCXStatePlanOperator,
        ThreeCXUpdateOperator,
    )

    assert info["operators"][0]["python-modules"] == [
        ThreeCXOperator.__module__,
        ThreeCXStatePlanOperator.__module__,
        ThreeCXHealthCheckOperator.__module__,
        ThreeCXBackupOperator.__module__,
        ThreeCXCallsExportOperator.__module__,
        ThreeCXRecordingsArchiveOperator.__module__,
        ThreeCXUpdateOperator.__module__,
    ]
    from tcxkit.airflow import ThreeCXEventSensor, ThreeCXEventTrigger

    assert info["sensors"][0]["python-modules"] == [
        ThreeCXSensor.__module__,
        ThreeCXEventSensor.__module__,
    ]
    assert ThreeCXEventTrigger.__module__ in info["triggers"][0]["python-modules"]


@pytest.mark.parametrize("field", ["action", "parameters", "body", "filter", "output_path"])
def test_operator_template_fields(field: str) -> None:
    assert field in ThreeCXOperator.template_fields


def test_store_operators_render_every_store_field_from_params() -> None:
    """A DAG param names the store's credentials connection for every store operator (the
    update operator once left storage_conn_id unrendered: a literal '{{ ... }}' looked up)."""
    from tcxkit.airflow import (
        ThreeCXBackupOperator,
        ThreeCXRecordingsArchiveOperator,
        ThreeCXUpdateOperator,
    )

    params = {"target": "/srv/backups", "store": "backup_store", "pbx": "threecx_pbx01"}
    for cls in (ThreeCXBackupOperator, ThreeCXRecordingsArchiveOperator, ThreeCXUpdateOperator):
        op = cls(
            task_id="t",
            target="{{ params.target }}",
            storage_conn_id="{{ params.store }}",
            threecx_conn_id="{{ params.pbx }}",
        )
        op.render_template_fields({"params": params})
        rendered = (op.target, op.storage_conn_id, op.threecx_conn_id)
        assert rendered == ("/srv/backups", "backup_store", "threecx_pbx01"), cls.__name__


def test_sensor_defaults_to_reschedule_mode() -> None:
    sensor = ThreeCXSensor(task_id="s", action="ListBackups")
    assert sensor.mode == "reschedule"
    assert "condition" in ThreeCXSensor.template_fields
