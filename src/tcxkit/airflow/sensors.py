"""``ThreeCXSensor``: wait until an XAPI action's result satisfies a condition.

XAPI has no events or webhooks, so waiting means polling. The sensor defaults to
``mode="reschedule"``: between pokes it frees its worker slot instead of sleeping in it, which
matters for waits of minutes (a backup being written, a queue filling up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._compat import BaseSensorOperator, PokeReturnValue
from .conditions import Condition, check, evaluate
from .errors import translate_errors
from .hooks import ThreeCXHook
from .operators import query_options

__all__ = ["ThreeCXSensor"]


class ThreeCXSensor(BaseSensorOperator):
    """Poke ``action`` until ``condition`` holds over its result.

    :param action: operationId or snake/kebab name (``ListBackups``, ``list_queue``).
    :param parameters: path/function parameters, templated.
    :param condition: a callable ``f(result)`` (truthy = done; a non-bool return value becomes
        the XCom value) or a spec such as ``{"path": "value", "op": "nonempty"}``; see
        :mod:`tcxkit.airflow.conditions`. Default: the result is not empty.
    :param select, filter, orderby, expand, top, search: OData query options.
    :param threecx_conn_id: the ``threecx`` connection to use.

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
        **kwargs: Any,
    ) -> None:
        check(condition)
        super().__init__(mode=mode, **kwargs)
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

    def poke(self, context: Any) -> PokeReturnValue:
        options = query_options(
            select=self.select,
            filter=self.filter,
            orderby=self.orderby,
            expand=self.expand,
            top=self.top,
            search=self.search,
        )
        with translate_errors():
            client = ThreeCXHook(threecx_conn_id=self.threecx_conn_id).get_conn()
            result = client.call(self.action, **dict(self.parameters), **options)
            done, value = evaluate(self.condition_callable or self.condition, result)
        self.log.info("%s: condition %s", self.action, "holds" if done else "not met yet")
        return PokeReturnValue(is_done=done, xcom_value=value if done else None)
