"""Calls: active calls, the call log (stored segments) and the reports computed from it.

One call is several *segments* (3CX's word).  The emulator stores each segment once, in
one table holding the segment's ``Pbx.CallLogData`` and ``Pbx.CallHistoryView`` fields
(key ``SegmentId``, expression-indexed on ``StartTime``); two typed handles on that
table serve ``GetCallLogData`` and ``CallHistoryView``.  Every call report is
computed from those segments for its ``periodFrom``/``periodTo`` and then answers
``$filter``/``$orderby``/``$top``/``$skip``/``$count`` like any set (report functions
accept ``$top`` up to the report cap, 20 000 by default).

Conventions the reports rely on (documented in docs/emulator.md):

* ``SourceType``/``DestinationType`` use :data:`DN_TYPES` codes;
* an inbound external call has the trunk as ``SourceDn`` and the caller's number as
  ``SourceCallerId``; an outbound one has the trunk as ``DestinationDn``;
* a queue call has a segment *to the queue* whose ``actionDnDn`` names the agent who
  answered (empty when abandoned) and whose ``RingingDuration`` is the wait time;
* ``callsType``: 0 all, 1 answered only, 2 unanswered only; DN filters are
  comma-separated numbers, empty meaning all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ...results import rows_of
from ..files import make_csv
from ..registry import Reply, RequestContext, XapiError, handler, on_start
from .common import iso, iso_duration, parse_duration, query_rows, to_datetime

if TYPE_CHECKING:
    from ..state import AppState
    from ..store import EntitySet, QueryResult

__all__ = ["DN_TYPES", "call_history_set", "call_log_set"]

#: Codes for ``SourceType``/``DestinationType``/``ActionDnType`` in stored segments.
DN_TYPES: dict[str, int] = {
    "Extension": 0,
    "Queue": 1,
    "RingGroup": 2,
    "IVR": 3,
    "Fax": 4,
    "ExternalLine": 5,
    "Parking": 6,
}
EXT, QUEUE, TRUNK = DN_TYPES["Extension"], DN_TYPES["Queue"], DN_TYPES["ExternalLine"]


# -- the stored segments ---------------------------------------------------------------------

SEGMENTS_TABLE = "CallSegments"


def _open(state: AppState, type_name: str) -> EntitySet:
    """A handle on the one segments table, typed as ``type_name`` for OData validation."""
    props = state.generator.properties(state.catalog.schemas[type_name])
    return state.store.entity_set(
        SEGMENTS_TABLE,
        key="SegmentId",
        type_name=type_name,
        properties=set(props),
        indexes=("StartTime",),
    )


def call_log_set(state: AppState) -> EntitySet:
    """The segments as ``Pbx.CallLogData`` (key ``SegmentId``, indexed on ``StartTime``)."""
    es = state.extra.get("call_log")
    if es is None:
        es = state.extra["call_log"] = _open(state, "Pbx.CallLogData")
    return es


def call_history_set(state: AppState) -> EntitySet:
    """The same segments as ``Pbx.CallHistoryView``."""
    es = state.extra.get("call_history")
    if es is None:
        es = state.extra["call_history"] = _open(state, "Pbx.CallHistoryView")
    return es


def store_segments(state: AppState, rows: list[dict[str, Any]]) -> None:
    """Bulk-load generated segments (complete rows: keys set, date-times normal)."""
    call_log_set(state).insert_raw(rows)


@on_start
def _open_sets(state: AppState) -> None:
    call_log_set(state)
    call_history_set(state)


# -- parameters -------------------------------------------------------------------------------


def _period(ctx: RequestContext, start: str = "periodFrom", end: str = "periodTo") -> list[Any]:
    """``where`` conditions on StartTime for the request's period (400 when reversed)."""
    try:
        lo = to_datetime(ctx.params[start])
        hi = to_datetime(ctx.params[end])
    except (KeyError, ValueError):
        raise XapiError(
            400,
            f"{start}:\nWARNINGS.INVALID (give {start} and {end} as date-times, "
            "e.g. 2025-03-01T00:00:00Z)",
            [(start, "WARNINGS.INVALID")],
        ) from None
    if hi < lo:
        raise XapiError(
            400,
            f"{end}:\nWARNINGS.INVALID ({end} {iso(hi)} is before {start} {iso(lo)})",
            [(end, "WARNINGS.INVALID")],
        )
    # Half-open [from, to): both bounds are plain range tests the StartTime index serves.
    return [("StartTime", "ge", iso(lo)), ("StartTime", "lt", iso(hi))]


def _dn_list(value: Any) -> set[str]:
    """A comma-separated DN filter parameter as a set (empty = no filter)."""
    if value is None:
        return set()
    return {part.strip() for part in str(value).split(",") if part.strip()}


def _answered_filter(calls_type: Any) -> list[Any]:
    if calls_type == 1:
        return [("Answered", "eq", True)]
    if calls_type == 2:
        return [("Answered", "eq", False)]
    return []


_COLUMNS = (
    "StartTime",
    "SourceDn",
    "SourceType",
    "SourceCallerId",
    "SourceDisplayName",
    "DestinationDn",
    "DestinationType",
    "DestinationCallerId",
    "DestinationDisplayName",
    "actionDnDn",
    "Answered",
    "RingingDuration",
    "TalkingDuration",
    "CallHistoryId",
    "CdrId",
    "Direction",
)


def _segments(state: AppState, where: list[Any]) -> list[dict[str, Any]]:
    """Only the columns reports need, for the segments matching ``where`` (index-served)."""
    es = call_log_set(state)
    clauses, params = es.where_sql(where)
    cols = ", ".join(f"json_extract(data, '$.{c}')" for c in _COLUMNS)
    sql = f'SELECT {cols} FROM "{es.table}"'
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return [dict(zip(_COLUMNS, row, strict=True)) for row in state.store.execute(sql, params)]


def _reply(ctx: RequestContext, rows: Iterable[dict[str, Any]], item: str) -> Reply:
    """Rows as a report answer, or as a CSV file for the ``Download*`` twin."""
    if ctx.action.response.shape == "file":
        result = query_rows(ctx, rows, item, cap=ctx.config.report_cap)
        return Reply.file(
            make_csv(rows_of(result.body)), f"{ctx.action.id}.csv", "text/csv; charset=utf-8"
        )
    return query_rows(ctx, rows, item, cap=ctx.config.report_cap)


# -- call log ------------------------------------------------------------------------------------


def _call_log_where(ctx: RequestContext) -> list[Any]:
    p = ctx.params
    where = _period(ctx)
    if p.get("sourceFilter"):
        where.append(("SourceDn", "eq", str(p["sourceFilter"])))
    if p.get("destinationFilter"):
        where.append(("DestinationDn", "eq", str(p["destinationFilter"])))
    where += _answered_filter(p.get("callsType"))
    return where


def _segment_page(
    ctx: RequestContext, es: EntitySet, where: Any, *, capped: bool = True, encoded: bool = False
) -> QueryResult:
    """One page of segments in time order, with only the fields of ``es``'s type.

    Ordering by ``StartTime`` (then ``SegmentId``) lets the ``StartTime`` index return
    the period's rows already sorted, so a 100-row page reads 100 rows, not the period.
    ``encoded`` (JSON answers only, not CSV) serves rows from the set's encoded-row cache.
    """
    return es.query(
        ctx.options,
        where=where,
        max_top=ctx.config.report_cap if capped else None,
        order=("StartTime",),
        hide=_hidden(ctx.state, es),
        encoded=encoded,
    )


def _hidden(state: AppState, es: EntitySet) -> frozenset[str]:
    """Fields of the other view stored in the shared table, which ``es``'s type lacks."""
    cache: dict[str, frozenset[str]] = state.extra.setdefault("call_views_hidden", {})
    hidden = cache.get(es.type_name)
    if hidden is None:
        both = call_log_set(state).properties | call_history_set(state).properties  # type: ignore[operator]
        hidden = cache[es.type_name] = frozenset(both - (es.properties or frozenset()))
    return hidden


@handler("GetCallLogData")
@handler("GetOldCallLogData")
def get_call_log_data(ctx: RequestContext) -> Reply:
    """Segments in the period, with OData paging straight from the indexed table."""
    es = call_log_set(ctx.state)
    result = _segment_page(ctx, es, _call_log_where(ctx), encoded=True)
    _proxy_timeout(ctx, len(result.items))
    return ctx.collection(result.items, result.count)


def _proxy_timeout(ctx: RequestContext, rows: int) -> None:
    """504 for an answer the PBX would take too long to build (``report_timeout_rows``).

    A real PBX's front proxy gives up on long report pulls; modelling the time by the rows
    answered keeps tests independent of the machine's speed.
    """
    limit = ctx.config.report_timeout_rows
    if limit and rows > limit:
        raise XapiError(
            504,
            f"The report took too long ({rows} rows; this PBX answers at most {limit} in time). "
            "Ask for a shorter period or fewer rows ($top).",
        )


@handler("DownloadCallLog")
def download_call_log(ctx: RequestContext) -> Reply:
    es = call_log_set(ctx.state)
    result = _segment_page(ctx, es, _call_log_where(ctx))
    return Reply.file(make_csv(result.items), "CallLog.csv", "text/csv; charset=utf-8")


@handler("ListCallHistoryView")
def list_call_history(ctx: RequestContext) -> Reply:
    es = call_history_set(ctx.state)
    result = _segment_page(ctx, es, (), capped=False, encoded=True)
    return ctx.collection(result.items, result.count)


@handler("DownloadCallHistory")
def download_call_history(ctx: RequestContext) -> Reply:
    es = call_history_set(ctx.state)
    result = _segment_page(ctx, es, ())
    return Reply.file(make_csv(result.items), "CallHistory.csv", "text/csv; charset=utf-8")


# -- aggregates ------------------------------------------------------------------------------------


@handler("GetExtensionStatisticsData")
@handler("DownloadExtensionStatistics")
def extension_statistics(ctx: RequestContext) -> Reply:
    """Per extension: answered/unanswered inbound and outbound counts and talk time."""
    wanted = _dn_list(ctx.params.get("extensionFilter"))
    stats: dict[str, dict[str, Any]] = {}
    users = {u["Number"]: u for u in ctx.entity_set("Peers").find(Type="Extension")}

    def row(dn: str, name: str | None) -> dict[str, Any]:
        if dn not in stats:
            stats[dn] = {
                "Dn": dn,
                "DisplayName": name or (users.get(dn) or {}).get("Name") or dn,
                "InboundAnsweredCount": 0,
                "InboundAnsweredTalkingDur": 0.0,
                "InboundUnansweredCount": 0,
                "OutboundAnsweredCount": 0,
                "OutboundAnsweredTalkingDur": 0.0,
                "OutboundUnansweredCount": 0,
            }
        return stats[dn]

    for seg in _segments(ctx.state, _period(ctx)):
        talk = parse_duration(seg["TalkingDuration"])
        if seg["DestinationType"] == EXT and (not wanted or seg["DestinationDn"] in wanted):
            r = row(seg["DestinationDn"], seg["DestinationDisplayName"])
            if seg["Answered"]:
                r["InboundAnsweredCount"] += 1
                r["InboundAnsweredTalkingDur"] += talk
            else:
                r["InboundUnansweredCount"] += 1
        if seg["SourceType"] == EXT and (not wanted or seg["SourceDn"] in wanted):
            r = row(seg["SourceDn"], seg["SourceDisplayName"])
            if seg["Answered"]:
                r["OutboundAnsweredCount"] += 1
                r["OutboundAnsweredTalkingDur"] += talk
            else:
                r["OutboundUnansweredCount"] += 1
    rows = sorted(stats.values(), key=lambda r: r["Dn"])
    for r in rows:
        r["InboundAnsweredTalkingDur"] = iso_duration(r["InboundAnsweredTalkingDur"])
        r["OutboundAnsweredTalkingDur"] = iso_duration(r["OutboundAnsweredTalkingDur"])
    return _reply(ctx, rows, "Pbx.ExtensionStatistics")


def _queue_segments(ctx: RequestContext) -> list[dict[str, Any]]:
    wanted = _dn_list(ctx.params.get("queueDns"))
    where = [*_period(ctx), ("DestinationType", "eq", QUEUE)]
    return [s for s in _segments(ctx.state, where) if not wanted or s["DestinationDn"] in wanted]


def _peer_names(ctx: RequestContext) -> dict[str, str]:
    return {p["Number"]: p["Name"] for p in ctx.entity_set("Peers").all()}


@handler("GetQueuePerformanceOverviewData")
@handler("DownloadQueuePerformanceOverview")
def queue_performance_overview(ctx: RequestContext) -> Reply:
    """Per queue and agent: calls the queue received, answered by the agent, dropped."""
    names = _peer_names(ctx)
    received: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    per_agent: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for seg in _queue_segments(ctx):
        q = seg["DestinationDn"]
        received[q] += 1
        if seg["Answered"] and seg["actionDnDn"]:
            cell = per_agent[(q, seg["actionDnDn"])]
            cell[0] += 1
            cell[1] += parse_duration(seg["TalkingDuration"])
        else:
            dropped[q] += 1
    queues = {p["Number"]: p for p in ctx.entity_set("Queues").all()}
    rows = []
    order = 0
    for q in sorted(set(received) | set(queues)):
        agents = {a["Number"] for a in (queues.get(q) or {}).get("Agents") or []}
        agents |= {a for (qq, a) in per_agent if qq == q}
        for agent in sorted(agents):
            count, talk = per_agent.get((q, agent), [0, 0.0])
            order += 1
            rows.append(
                {
                    "SortOrder": order,
                    "QueueDn": q,
                    "QueueDisplayName": names.get(q, q),
                    "QueueReceivedCount": received.get(q, 0),
                    "ExtensionDn": agent,
                    "ExtensionDisplayName": names.get(agent, agent),
                    "ExtensionAnsweredCount": int(count),
                    "ExtensionDroppedCount": dropped.get(q, 0),
                    "TalkTime": iso_duration(talk),
                }
            )
    return _reply(ctx, rows, "Pbx.QueuePerformanceOverview")


@handler("GetQueuePerformanceTotalsData")
@handler("DownloadQueuePerformanceTotals")
def queue_performance_totals(ctx: RequestContext) -> Reply:
    """Per queue: received, answered by agents, dropped (abandoned)."""
    names = _peer_names(ctx)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for seg in _queue_segments(ctx):
        cell = totals[seg["DestinationDn"]]
        cell[0] += 1
        cell[1 if seg["Answered"] else 2] += 1
    rows = [
        {
            "QueueDn": q,
            "QueueDisplayName": names.get(q, q),
            "QueueReceivedCount": c[0],
            "ExtensionAnsweredCount": c[1],
            "ExtensionDroppedCount": c[2],
        }
        for q, c in sorted(totals.items())
    ]
    return _reply(ctx, rows, "Pbx.QueuePerformanceTotals")


@handler("GetAbandonedQueueCallsData")
@handler("DownloadAbandonedQueueCalls")
def abandoned_queue_calls(ctx: RequestContext) -> Reply:
    """Queue calls nobody answered, with the caller and how long they waited."""
    names = _peer_names(ctx)
    min_wait = (
        parse_duration(ctx.params.get("waitInterval")) if ctx.params.get("waitInterval") else 0
    )
    rows = []
    for seg in _queue_segments(ctx):
        wait = parse_duration(seg["RingingDuration"])
        if seg["Answered"] or wait < min_wait:
            continue
        rows.append(
            {
                "CallHistoryId": seg["CallHistoryId"],
                "CallTime": seg["StartTime"],
                "CallTimeForCsv": seg["StartTime"],
                "CallerId": seg["SourceCallerId"],
                "QueueDn": seg["DestinationDn"],
                "QueueDisplayName": names.get(seg["DestinationDn"], seg["DestinationDn"]),
                "ExtensionDn": "",
                "ExtensionDisplayName": "",
                "IsLoggedIn": True,
                "PollingAttempts": 1 + int(wait // 20),
                "WaitTime": iso_duration(wait),
            }
        )
    return _reply(ctx, rows, "Pbx.AbandonedQueueCalls")


def _trunk_calls(ctx: RequestContext, inbound: bool) -> list[dict[str, Any]]:
    trunks = _dn_list(ctx.params.get("trunkDns"))
    side = "SourceType" if inbound else "DestinationType"
    where = [*_period(ctx), (side, "eq", TRUNK), *_answered_filter(ctx.params.get("callsType"))]
    names = _peer_names(ctx)
    rows = []
    for seg in _segments(ctx.state, where):
        trunk = seg["SourceDn"] if inbound else seg["DestinationDn"]
        if trunks and trunk not in trunks:
            continue
        talk = parse_duration(seg["TalkingDuration"])
        ring = parse_duration(seg["RingingDuration"])
        row = {
            "CallHistoryId": seg["CallHistoryId"],
            "CdrId": seg["CdrId"],
            "StartTime": seg["StartTime"],
            "SourceDn": seg["SourceDn"],
            "SourceCallerId": seg["SourceCallerId"],
            "SourceDisplayName": seg["SourceDisplayName"],
            "DestinationDn": seg["DestinationDn"],
            "DestinationDisplayName": seg["DestinationDisplayName"],
            "TrunkNumber": trunk,
            "TrunkName": names.get(trunk, trunk),
            "Status": "Answered" if seg["Answered"] else "Unanswered",
            "RingingDuration": iso_duration(ring),
            "TalkingDuration": iso_duration(talk),
            "CallDuration": iso_duration(ring + talk),
            "QualityReport": False,
        }
        if inbound:
            row["DestinationCallerId"] = seg["DestinationCallerId"]
            row["Did"] = seg["DestinationCallerId"] or ""
        else:
            row["DestinationCalleeId"] = seg["DestinationCallerId"]
            row["Answered"] = bool(seg["Answered"])
            row["CallCost"] = 0
        rows.append(row)
    return rows


@handler("GetInboundCalls")
@handler("DownloadGetInboundCalls")
def inbound_calls(ctx: RequestContext) -> Reply:
    return _reply(ctx, _trunk_calls(ctx, True), "Pbx.InboundCall")


@handler("GetOutboundCalls")
@handler("DownloadGetOutboundCalls")
def outbound_calls(ctx: RequestContext) -> Reply:
    return _reply(ctx, _trunk_calls(ctx, False), "Pbx.OutboundCall")
