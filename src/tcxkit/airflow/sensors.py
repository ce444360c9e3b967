"""``ThreeCXSensor``: wait until an XAPI action's result satisfies a condition.

XAPI has no events or webhooks, so waiting means polling. The sensor defaults to
``mode="reschedule"``: between pokes it frees its worker slot instead of sleeping in it, which
matters for waits of minutes (a backup being written, a queue filling up). With
``deferrable=True`` the whole wait moves to the triggerer (:mod:`tcxkit.airflow.triggers`):
no worker process and no scheduler round trip per poke.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ..errors import UsageError
from ..redaction import redact
from ._compat import AirflowException, AirflowFailException, BaseSensorOperator, PokeReturnValue
from .conditions import Condition, check, evaluate
from .errors import translate_errors
from .hooks import ThreeCXHook
from .operators import query_options
from .pools import ConnectionPool, pool_for

__all__ = ["ThreeCXSensor"]


class ThreeCXSensor(ConnectionPool, BaseSensorOperator):
    """Poke ``action`` until ``condition`` holds over its result.

    :param action: operationId or snake/kebab name (``ListBackups``, ``list_queue``).
    :param parameters: path/function parameters, templated.
    :param condition: a callable ``f(result)`` (truthy = done; a non-bool return value becomes
        the XCom value) or a spec such as ``{"path": "value", "op": "nonempty"}``; see
        :mod:`tcxkit.airflow.conditions`. Default: the result is not empty.
    :param select, filter, orderby, expand, top, search: OData query options.
    :param threecx_conn_id: the ``threecx`` connection to use.
    :param deferrable: wait in the triggerer instead of a worker (the condition must be a
        spec, not a callable: only data travels to the triggerer).

    The XCom return value is what the condition matched (the first matching item for
    ``op="any"``), so a downstream task can use it, e.g. a backup's ``DownloadLink``.
    """

    template_fields: Sequence[str] = (
        "action",
        "parameters",
        "condition",
        "select",
        "filter",
        "orderby",
        "expand",
        "search",
    )
    template_fields_renderers = {"parameters": "json", "condition": "json"}
    ui_color = "#fff4e0"

    def __init__(
        self,
        *,
        action: str,
        parameters: dict[str, Any] | None = None,
        condition: Condition | None = None,
        select: str | list[str] | None = None,
        filter: str | None = None,
        orderby: str | list[str] | None = None,
        expand: str | list[str] | None = None,
        top: int | None = None,
        search: str | None = None,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        mode: str = "reschedule",
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        check(condition)
        if deferrable and callable(condition):
            raise UsageError(
                f"{kwargs.get('task_id', 'ThreeCXSensor')}: a deferrable sensor needs a "
                "condition spec, not a callable: the triggerer receives only data.",
                hint='Write the condition as a spec, e.g. {"path": "value", "op": "nonempty"}.',
            )
        pool_for(kwargs, threecx_conn_id)
        super().__init__(mode=mode, **kwargs)
        self.deferrable = deferrable
        self.action = action
        self.parameters = parameters or {}
        # Airflow calls callables found in template fields as templates; keep a callable aside
        # so only a spec (which may hold Jinja strings) is rendered.
        self.condition_callable = condition if callable(condition) else None
        self.condition = None if callable(condition) else condition
        self.select = select
        self.filter = filter
        self.orderby = orderby
        self.expand = expand
        self.top = top
        self.search = search
        self.threecx_conn_id = threecx_conn_id

    def _call_kwargs(self) -> dict[str, Any]:
        options = query_options(
            select=self.select,
            filter=self.filter,
            orderby=self.orderby,
            expand=self.expand,
            top=self.top,
            search=self.search,
        )
        return {**dict(self.parameters), **options}

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from .triggers import ThreeCXTrigger

        self.log.info("%s: handing the wait to the triggerer", self.action)
        self.defer(
            trigger=ThreeCXTrigger(
                threecx_conn_id=self.threecx_conn_id,
                action=self.action,
                call_kwargs=self._call_kwargs(),
                condition=self.condition,
                poke_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Back from the triggerer: the matched value, or the call's failure."""
        event = event or {}
        if event.get("status") == "done":
            self.log.info(
                "%s: condition holds after %s check(s) in the triggerer",
                self.action,
                event.get("pokes"),
            )
            return event.get("value")
        message = str(event.get("message") or f"unexpected trigger event {event!r}")
        raise AirflowFailException(message) if event.get("permanent") else AirflowException(message)

    def poke(self, context: Any) -> PokeReturnValue:
        with translate_errors():
            client = ThreeCXHook(threecx_conn_id=self.threecx_conn_id).get_conn()
            result = client.call(self.action, **self._call_kwargs())
            done, value = evaluate(self.condition_callable or self.condition, result)
        value = redact(value, self.action)  # XCom: secrets masked (tcxkit.redaction)
        self.log.info("%s: condition %s", self.action, "holds" if done else "not met yet")
        return PokeReturnValue(is_done=done, xcom_value=value if done else None)
