"""State files: YAML in and out, ``extends:`` layering and ``${ENV}`` secrets.

A file is a mapping from kind (``users``, ``queues``, ...) to objects by key;
``office_hours`` is one object.  ``extends: base.yaml`` (a path relative to the
file, or a list of them) layers the file over its bases: objects merge key by
key and field by field, the file winning; lists are replaced whole.  Only the
kinds, objects and fields a file (with its bases) names are managed.

Secrets never sit in a file: a secret field (by name or by schema, see
:mod:`.fields`), whatever its YAML type, must be a ``${ENV_NAME}`` reference,
resolved from the environment when the file is loaded (``$${...}`` is a
literal ``${...}``).  Errors name the file, the field
and the variable, never a value.

PyYAML is imported here only (its safe loader and dumper, libyaml's when built with it), so the rest of
tcxkit and ``3cx --help`` never load it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import StateFileError
from .fields import entity_schema, literal_secrets
from .kinds import KINDS, Kind, kind_names
from .shape import merged

__all__ = ["dump_document", "load_document", "merge_documents", "resolve_env"]

_MAX_DEPTH = 16  # extends chains longer than this are a mistake (or a cycle)
_REF = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_META = ("version", "extends")
_BY_NAME = {k.name: k for k in KINDS}


def _yaml() -> Any:
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - the cli and state extras bring it
        raise StateFileError(
            "Reading and writing state files needs PyYAML.",
            hint="pip install 'tcxkit[state]' (the cli extra includes it).",
        ) from None
    return yaml


def dump_document(doc: Mapping[str, Any], header: str = "") -> str:
    """YAML text of a document, kinds in dependency order, keys as written."""
    yaml = _yaml()
    # libyaml's safe dumper when PyYAML was built with it: the same output, several times faster.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(dict(doc), Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + body


def _parse(path: Path) -> dict[str, Any]:
    yaml = _yaml()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StateFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise StateFileError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StateFileError(
            f"{path}: a state file is a mapping of kinds, not a {type(data).__name__}."
        )
    return data


def _check(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Kinds known, objects keyed by text, secrets only as ${ENV} references."""
    unknown = [k for k in data if k not in _BY_NAME and k not in _META]
    if unknown:
        raise StateFileError(
            f"{path}: unknown kind{'s' if len(unknown) > 1 else ''}: {', '.join(map(str, unknown))}.",
            hint="Kinds: " + ", ".join(kind_names()) + ".",
        )
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in _META:
            continue
        kind = _BY_NAME[name]
        value = {} if value is None else value
        if not isinstance(value, dict):
            raise StateFileError(f"{path}: {name} must be a mapping, not a {type(value).__name__}.")
        if kind.singleton:
            _check_secrets(path, name, kind, value)
            out[name] = value
            continue
        objects: dict[str, Any] = {}
        for key, body in value.items():
            body = {} if body is None else body
            if not isinstance(body, dict):
                raise StateFileError(f"{path}: {name} {key!r} must be a mapping of fields.")
            _check_secrets(path, f"{name} {key!r}", kind, body)
            objects[str(key)] = body  # `100:` in YAML is the extension "100"
        out[name] = objects
    return out


def _check_secrets(path: Path, where: str, kind: Kind, body: dict[str, Any]) -> None:
    """Every value under a secret field (``AuthPassword: {Value: ...}`` too, and numbers
    such as ``VMPIN: 1234``) is a ``${ENV}`` reference; :mod:`.fields` decides what is secret."""
    from ..catalog import catalog

    cat = catalog()  # the schemas of the newest release: which fields are concealed
    schema = entity_schema(kind, cat)
    for trail in literal_secrets(cat.schema_index, schema, body, is_empty_ref):
        raise StateFileError(
            f"{path}: {where}: {trail} is a secret; write it as ${{ENV_NAME}} and set "
            "that variable, never the value itself.",
        )


def is_empty_ref(value: Any) -> bool:
    """None, "" or exactly one ``${NAME}`` reference: what a secret field may hold."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", value))


def merge_documents(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` layered over ``base``: kinds and objects merge, fields of ``top`` win."""
    out = {k: v for k, v in base.items()}
    for name, value in top.items():
        if name not in out:
            out[name] = value
        elif _BY_NAME[name].singleton:
            out[name] = merged(out[name], value)
        else:
            objects = dict(out[name])
            for key, body in value.items():
                objects[key] = merged(objects.get(key, {}), body)
            out[name] = objects
    return out


def _load(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise StateFileError(f"extends goes round in a circle: {chain}.")
    if len(seen) >= _MAX_DEPTH:
        raise StateFileError(f"{path}: extends is nested more than {_MAX_DEPTH} deep.")
    data = _parse(path)
    bases = data.get("extends") or []
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise StateFileError(f"{path}: extends is a file name or a list of file names.")
    doc: dict[str, Any] = {}
    for base in bases:
        doc = merge_documents(doc, _load(path.parent / base, (*seen, path)))
    return merge_documents(doc, _check(path, data))


def resolve_env(value: Any, env: Mapping[str, str], where: str = "") -> Any:
    """``value`` with ``${NAME}`` replaced from ``env`` (``$${NAME}`` stays literal)."""
    if isinstance(value, dict):
        return {
            k: resolve_env(v, env, f"{where}.{k}" if where else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_env(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "${" + m.group(2) + "}"
        name = m.group(2)
        if name not in env:
            raise StateFileError(
                f"{where}: the environment variable {name} is not set.",
                hint=f"Set {name} (for example from your CI's secret store) and run again.",
            )
        return env[name]

    return _REF.sub(sub, value)


def load_document(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A state file with its ``extends`` bases merged and ``${ENV}`` references resolved."""
    doc = _load(Path(path), ())
    env = os.environ if env is None else env
    return {name: resolve_env(value, env, name) for name, value in doc.items()}
