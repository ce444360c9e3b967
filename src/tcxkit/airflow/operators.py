"""``ThreeCXOperator``: run one XAPI action as an Airflow task.

Small results become the task's XCom return value. Large ones (``paginate=True`` with an
``output_path``, any result written to ``output_path``, and every file download) go to a file,
and the XCom value is only a summary ``{"path", "count", "format"}``: XCom rows live in the
metadata database and are not meant to carry exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.options import QUERY_OPTION_NAMES
from ..errors import UsageError
from ..redaction import redact, secret_values
from ..results import records_of
from ._compat import BaseOperator
from ._output import format_for, write_records
from .errors import translate_errors
from .hooks import ThreeCXHook
from .pools import ConnectionPool, pool_for

if TYPE_CHECKING:
    from ..catalog import Action
    from ..client import Client

__all__ = ["ThreeCXOperator", "query_options", "records_of"]


def query_options(**options: Any) -> dict[str, Any]:
    """The OData options that were actually given (``None`` means "not set")."""
    return {name: value for name, value in options.items() if value is not None}


class ThreeCXOperator(ConnectionPool, BaseOperator):
    """Call a 3CX XAPI action (any operationId from the catalog, e.g. ``ListUser``).

    :param action: operationId, snake_case or kebab-case name (``ListUser``, ``list_user``).
    :param parameters: path/function parameters by spec name or snake_case
        (``{"periodFrom": "{{ data_interval_start.isoformat() }}"}``).
    :param body: request body; for OData actions either the wrapped form or the inner object.
    :param select, filter, orderby, expand, top, skip, count, search: OData query options.
    :param paginate: fetch every page (``top`` is then the total wanted, not a page size).
    :param page_size: page size when paginating (capped by the PBX's limits).
    :param output_path: write the result there instead of to XCom (required for file results).
    :param output_format: ``jsonl``, ``csv`` or ``json``; inferred from the suffix, else JSONL.
    :param threecx_conn_id: the ``threecx`` connection to use.
    """

    template_fields: Sequence[str] = (
        "action",
        "parameters",
        "body",
        "select",
        "filter",
        "orderby",
        "expand",
        "search",
        "output_path",
    )
    template_fields_renderers = {"parameters": "json", "body": "json"}
    ui_color = "#e6f2ff"

    def __init__(
        self,
        *,
        action: str,
        parameters: dict[str, Any] | None = None,
        body: Any = None,
        select: str | list[str] | None = None,
        filter: str | None = None,
        orderby: str | list[str] | None = None,
        expand: str | list[str] | None = None,
        top: int | None = None,
        skip: int | None = None,
        count: bool | None = None,
        search: str | None = None,
        paginate: bool = False,
        page_size: int | None = None,
        output_path: str | None = None,
        output_format: str | None = None,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        super().__init__(**kwargs)
        self.action = action
        self.parameters = parameters or {}
        self.body = body
        self.select = select
        self.filter = filter
        self.orderby = orderby
        self.expand = expand
        self.top = top
        self.skip = skip
        self.count = count
        self.search = search
        self.paginate = paginate
        self.page_size = page_size
        self.output_path = output_path
        self.output_format = output_format
        self.threecx_conn_id = threecx_conn_id

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render, then register the secrets of ``parameters``/``body`` with Airflow's
        masker: the rendered fields are stored for the UI and may reach the task log, and
        Airflow judges by field name only (a ``Certificate``'s ``Contents`` is secret by
        its Concealed* schema, see :mod:`tcxkit.redaction`)."""
        super().render_template_fields(context, jinja_env)
        sent = secret_values({"parameters": self.parameters, "body": self.body})
        if sent:
            from airflow.sdk.log import mask_secret

            for value in sent:
                mask_secret(value)

    def _call_kwargs(self) -> dict[str, Any]:
        if not isinstance(self.parameters, dict):
            raise UsageError(
                f"{self.task_id}: parameters must be a mapping of parameter name to value, "
                f"got {type(self.parameters).__name__}.",
                hint='Example: parameters={"Number": "100"}.',
            )
        kwargs: dict[str, Any] = dict(self.parameters)
        kwargs.update(query_options(**{name: getattr(self, name) for name in QUERY_OPTION_NAMES}))
        if self.body is not None:
            kwargs["body"] = self.body
        return kwargs

    def execute(self, context: Any) -> Any:
        hook = ThreeCXHook(threecx_conn_id=self.threecx_conn_id)
        with translate_errors():
            client = hook.get_conn()
            kwargs = self._call_kwargs()
            spec = client.catalog.get(self.action)
            if spec is None:
                # Let the client explain: unknown name (with suggestions) or not in this release.
                return redact(client.call(self.action, **kwargs), self.action)
            if spec.response.shape == "file":
                return self._download(client, spec, kwargs)
            # XCom, exports and logs get secrets masked (tcxkit.redaction): Airflow
            # keeps XCom in its database and shows it in the UI; there is no way out.
            if self.paginate:
                items = (
                    redact(i) for i in client.paginate(spec.id, page_size=self.page_size, **kwargs)
                )
                if self.output_path:
                    return self._write(items)
                rows = list(items)
                self.log.info("%s returned %d items", spec.id, len(rows))
                return rows
            result = redact(client.call(spec.id, **kwargs), spec.id)
            if self.output_path:
                return self._write(records_of(result))
            return result

    def _write(self, records: Iterable[Any]) -> dict[str, Any]:
        assert self.output_path is not None
        fmt = format_for(self.output_path, self.output_format)
        count = write_records(self.output_path, records, fmt)
        path = str(Path(self.output_path).resolve())
        self.log.info("Wrote %d records to %s (%s)", count, path, fmt)
        return {"path": path, "count": count, "format": fmt}

    def _download(self, client: Client, spec: Action, kwargs: dict[str, Any]) -> dict[str, Any]:
        if not self.output_path:
            raise UsageError(
                f"{spec.id} returns a file, which does not belong in XCom.",
                hint=f"Set output_path on task {self.task_id!r} to where the file should go.",
            )
        target = Path(self.output_path).resolve()
        # The task owns output_path: a retry replaces what an earlier try left. The
        # client's download is atomic itself (a unique temporary file, then a replace).
        result = client.download(spec.id, target, overwrite=True, **kwargs)
        if result.path is None:  # 204: the action was done and sent no file (DropCall)
            self.log.info("%s: done (no content); nothing written to %s", spec.id, target)
            return {"path": None, "count": 0, "format": "none", "bytes": 0,
                    "content_type": None, "filename": None}  # fmt: skip
        size = target.stat().st_size
        self.log.info("Downloaded %s (%d bytes) to %s", spec.id, size, target)
        return {
            "path": str(target),
            "count": 1,
            "format": "file",
            "bytes": size,
            "content_type": getattr(result, "content_type", None),
            "filename": getattr(result, "filename", None),
        }
