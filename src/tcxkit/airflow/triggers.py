"""``ThreeCXTrigger``: the wait of a deferrable ``ThreeCXSensor``, run by the triggerer.

A sensor in ``reschedule`` mode still costs a worker process and a trip through the scheduler
for every poke; deferred, the wait is one coroutine among thousands in the triggerer, and no
worker slot is held. The trigger polls with :class:`tcxkit.AsyncClient` (one pipeline with
the sync client), reading the connection and sharing the token through the same store as the
tasks: connection look-ups and the Airflow token store run in threads, never on the
triggerer's event loop.

Only what can be serialized travels to the triggerer: the action, its (rendered) arguments
and a condition *spec*; a callable condition cannot, and ``deferrable=True`` refuses one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from ..errors import TcxError
from ..redaction import redact
from ._compat import BaseTrigger, TriggerEvent
from .conditions import evaluate
from .errors import ThreeCXPermanentError, to_airflow_error

__all__ = ["ThreeCXTrigger"]


class ThreeCXTrigger(BaseTrigger):
    """Call ``action`` every ``poke_interval`` seconds until ``condition`` holds.

    Fires once: ``{"status": "done", "value": <what matched>, "pokes": n}``, or
    ``{"status": "error", "message": ..., "permanent": bool}`` when a call fails (the sensor
    then fails the task the way the operator would, retryable or not).
    """

    def __init__(
        self,
        *,
        threecx_conn_id: str,
        action: str,
        call_kwargs: dict[str, Any],
        condition: Any,
        poke_interval: float,
    ) -> None:
        super().__init__()
        self.threecx_conn_id = threecx_conn_id
        self.action = action
        self.call_kwargs = call_kwargs
        self.condition = condition
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "threecx_conn_id": self.threecx_conn_id,
                "action": self.action,
                "call_kwargs": self.call_kwargs,
                "condition": self.condition,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ..client import AsyncClient
        from .hooks import ThreeCXHook

        pokes = 0
        try:
            hook = ThreeCXHook(threecx_conn_id=self.threecx_conn_id)
            settings = await asyncio.to_thread(hook.settings)  # a connection look-up blocks
            async with AsyncClient(**settings) as client:
                while True:
                    pokes += 1
                    result = await client.call(self.action, **self.call_kwargs)
                    done, value = evaluate(self.condition, result)
                    self.log.info(
                        "%s: condition %s (check %d, in the triggerer)",
                        self.action,
                        "holds" if done else "not met yet",
                        pokes,
                    )
                    if done:
                        value = redact(value, self.action)  # becomes XCom: masked
                        yield TriggerEvent({"status": "done", "value": value, "pokes": pokes})
                        return
                    await asyncio.sleep(self.poke_interval)
        except TcxError as exc:
            permanent = isinstance(to_airflow_error(exc), ThreeCXPermanentError)
            yield TriggerEvent({"status": "error", "message": str(exc), "permanent": permanent})
