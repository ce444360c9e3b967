"""Generated answers honour every constraint of their schema, wrappers included.

The check is independent of the generator: ``openapi-schema-validator`` (OpenAPI 3.0
``nullable``, ``$ref``, ``allOf``/``anyOf``) with jsonschema's strict format checker
(RFC 3339 ``date-time``, ``time`` and ``date``, ``uuid``), the strictness Schemathesis
applies to responses.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_schema_validator import OAS30Validator

from tcxkit.catalog import catalog, load_spec
from tcxkit.emulator.responses import ValueGenerator

RELEASE = "20.0.10"
FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


def _errors(schema: dict[str, Any], value: Any, components: dict[str, Any]) -> list[str]:
    validator = OAS30Validator({**schema, "components": components}, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


def test_every_response_schema_and_type_of_the_release() -> None:
    """Every operation's response (381 in 20.0.10) and every named type (settings
    singletons and Init* templates are generated from types)."""
    components = load_spec(RELEASE)["components"]
    cat = catalog(RELEASE)
    generator = ValueGenerator(cat.schemas)
    cases = {a.id: a.response.schema for a in cat if a.response.schema}
    assert len(cases) >= 380
    cases.update({name: {"$ref": f"#/components/schemas/{name}"} for name in cat.schemas})
    failures = {}
    for seed, schema in cases.items():
        found = _errors(schema, generator.value(schema, seed, items=3), components)
        if found:
            failures[seed] = found[:3]
    assert failures == {}


def test_backup_schedule_time_is_null_where_format_and_pattern_disagree() -> None:
    """RFC 3339 ``time`` needs an offset that the spec's ``hh:mm:ss`` pattern forbids."""
    generator = ValueGenerator(catalog(RELEASE).schemas)
    schedule = generator.entity("Pbx.BackupSettings", "GetBackupSettings")["Schedule"]
    assert schedule["Time"] is None
    assert set(schedule) == {"Day", "RepeatHours", "RepeatMinutes", "ScheduleType", "Time"}


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        # limits on the wrapper of a nullable reference
        (
            {"allOf": [{"$ref": "#/components/schemas/Small"}], "nullable": True, "maximum": 3},
            lambda v: 1 <= v <= 3,
        ),
        # limits on the anyOf wrapper and inside the alternative
        (
            {"anyOf": [{"type": "integer", "minimum": 500}], "maximum": 510},
            lambda v: 500 <= v <= 510,
        ),
        # exclusive bounds (OpenAPI 3.0 booleans) and a multiple
        (
            {
                "type": "integer",
                "minimum": 10,
                "exclusiveMinimum": True,
                "maximum": 12,
                "exclusiveMaximum": True,
            },
            lambda v: v == 11,
        ),
        ({"type": "integer", "minimum": 7, "maximum": 30, "multipleOf": 7}, lambda v: v % 7 == 0),
        # a range entirely below zero, and one far above the readable 0..1000
        ({"type": "integer", "maximum": -5}, lambda v: v <= -5),
        ({"type": "number", "minimum": 5000.5}, lambda v: v >= 5000.5),
        # lengths and item counts from every level
        (
            {"allOf": [{"type": "string", "minLength": 12}], "maxLength": 14},
            lambda v: 12 <= len(v) <= 14,
        ),
        (
            {"type": "array", "items": {"type": "boolean"}, "minItems": 4, "maxItems": 5},
            lambda v: 4 <= len(v) <= 5,
        ),
        # enums narrowed by the wrapper
        (
            {"allOf": [{"$ref": "#/components/schemas/Colour"}], "enum": ["Blue", "Green"]},
            lambda v: v in ("Blue", "Green"),
        ),
    ],
)
def test_constraints_inside_wrappers(schema: dict[str, Any], check: Any) -> None:
    schemas = {
        "Small": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 5},
        "Colour": {"type": "string", "enum": ["Red", "Green", "Blue"]},
    }
    generator = ValueGenerator(schemas)
    for seed in ("a", "b", "c", "d", "e"):
        value = generator.value(schema, seed)
        assert check(value), (schema, value)
        assert _errors(schema, value, {"schemas": schemas}) == []
