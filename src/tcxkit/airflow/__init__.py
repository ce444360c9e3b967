"""Apache Airflow provider for tcxkit: a ``threecx`` connection type, a hook, an operator, a sensor.

Airflow finds this package through the ``apache_airflow_provider`` entry point, which calls
:func:`get_provider_info`. That function must stay importable without Airflow and cheap:
Airflow calls it for every provider at start-up, so it returns plain data and imports nothing
heavy. The hook, operator and sensor are loaded lazily on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attributes
from .._version import __version__

if TYPE_CHECKING:
    from .backups import ThreeCXBackupOperator
    from .events import ThreeCXEventSensor, ThreeCXEventTrigger
    from .exports import ThreeCXCallsExportOperator
    from .health import ThreeCXHealthCheckOperator
    from .hooks import ThreeCXHook
    from .operators import ThreeCXOperator
    from .recordings import ThreeCXRecordingsArchiveOperator
    from .sensors import ThreeCXSensor
    from .state import ThreeCXStateApplyOperator, ThreeCXStatePlanOperator
    from .updates import ThreeCXUpdateOperator

__all__ = [
    "CONN_TYPE",
    "ThreeCXBackupOperator",
    "ThreeCXCallsExportOperator",
    "ThreeCXEventSensor",
    "ThreeCXEventTrigger",
    "ThreeCXHealthCheckOperator",
    "ThreeCXHook",
    "ThreeCXOperator",
    "ThreeCXRecordingsArchiveOperator",
    "ThreeCXSensor",
    "ThreeCXStateApplyOperator",
    "ThreeCXStatePlanOperator",
    "ThreeCXUpdateOperator",
    "get_provider_info",
]

CONN_TYPE = "threecx"
"""The connection type id, as used in ``AIRFLOW_CONN_*`` URIs (``threecx://...``)."""

_INTEGRATION = "3CX"

# Kept literal (not imported from tcxkit.catalog) so provider discovery reads no package data.
_RELEASE_CHOICES = ["auto", "20.0.4", "20.0.5", "20.0.6", "20.0.7", "20.0.8", "20.0.9", "20.0.10"]


def _conn_fields() -> dict[str, dict[str, Any]]:
    """Extra fields of the connection form (Airflow >= 3.2 reads them without importing the hook)."""
    return {
        "verify_tls": {
            "label": "Verify TLS certificate",
            "schema": {"type": ["boolean", "null"], "default": True},
            "description": "Turn off only for a lab PBX with a self-signed certificate.",
        },
        "allow_http": {
            "label": "Allow plain HTTP",
            "schema": {"type": ["boolean", "null"], "default": False},
            "description": "Send the API key over http:// to a PBX other than this machine "
            "(unencrypted; trusted networks only).",
        },
        "release": {
            "label": "3CX release",
            "schema": {"type": ["string", "null"], "default": "auto", "enum": _RELEASE_CHOICES},
            "description": "XAPI catalog to use; 'auto' asks the PBX which version it runs.",
        },
        "ca_bundle": {
            "label": "CA bundle path",
            "schema": {"type": ["string", "null"]},
            "description": "PEM file of the CA that signed the PBX certificate (private CAs).",
        },
        "timeout": {
            "label": "Timeout (seconds)",
            "schema": {"type": ["number", "null"], "default": 30},
        },
        "token_store": {
            "label": "Token store",
            "schema": {
                "type": ["string", "null"],
                "default": "airflow",
                "enum": ["airflow", "file", "none"],
            },
            "description": "Where workers share the PBX's single token; 'airflow' (a Variable) "
            "reaches every worker of the deployment.",
        },
    }


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow's ProvidersManager (the entry point target)."""
    return {
        "package-name": "tcxkit",
        "name": "3CX (tcxkit)",
        "description": "Run any 3CX V20 Configuration API (XAPI) action from Airflow tasks.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://www.3cx.com/docs/configuration-rest-api/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": ["tcxkit.airflow.hooks"]}],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "tcxkit.airflow.operators",
                    "tcxkit.airflow.state",
                    "tcxkit.airflow.health",
                    "tcxkit.airflow.backups",
                    "tcxkit.airflow.exports",
                    "tcxkit.airflow.recordings",
                    "tcxkit.airflow.updates",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["tcxkit.airflow.sensors", "tcxkit.airflow.events"],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["tcxkit.airflow.triggers", "tcxkit.airflow.events"],
            }
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "tcxkit.airflow.hooks.ThreeCXHook",
                "hook-name": "3CX",
                "conn-fields": _conn_fields(),
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "Base URL",
                        "login": "Client ID",
                        "password": "API key",
                    },
                    "placeholders": {
                        "host": "https://pbx.example.com:5001",
                        "login": "airflow-service",
                        "password": "the API key shown once when the client was created",
                        "extra": '{"verify_tls": true, "release": "auto"}',
                    },
                },
            }
        ],
    }


_LAZY = {
    "ThreeCXBackupOperator": "backups",
    "ThreeCXCallsExportOperator": "exports",
    "ThreeCXRecordingsArchiveOperator": "recordings",
    "ThreeCXUpdateOperator": "updates",
    "ThreeCXEventSensor": "events",
    "ThreeCXEventTrigger": "events",
    "ThreeCXHook": "hooks",
    "ThreeCXOperator": "operators",
    "ThreeCXSensor": "sensors",
    "ThreeCXStatePlanOperator": "state",
    "ThreeCXHealthCheckOperator": "health",
    "ThreeCXStateApplyOperator": "state",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
