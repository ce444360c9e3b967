"""The built-in answer for an operation that no domain module handles.

Entity sets and singletons are backed by the store (list, get by key or alternate key,
create, patch, delete, navigation collections); functions and actions answer with values
generated from their response schema; downloads return real files (CSV, WAV, XML, JSON)
and ``Backups/Pbx.Backup`` writes a real zip.  :class:`GenericBehaviour` is a part of
:class:`~.state.AppState` (``state.behaviour``); domain handlers reach it as
``ctx.generic()``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..catalog import Action
from ..results import rows_of
from .files import file_name_problem, make_csv, make_wav, make_zip
from .odata import project
from .registry import Reply, RequestContext, XapiError
from .store import DuplicateKeyError, StoreError
from .validate import REQUIRED
from .wire import API_PREFIX, dumps

if TYPE_CHECKING:
    from .state import AppState, SetInfo

__all__ = ["GenericBehaviour", "backup_archive", "backup_name", "created"]


def _generated_words(a: Action) -> str:
    """How :meth:`GenericBehaviour._generated_reply` answers ``a``, in words."""
    if a.response.shape == "none" or not a.response.schema:
        return f"empty answer ({a.response.status if a.response.status != 200 else 204})"
    if a.response.shape == "collection":
        return f"collection of generated {a.response.item or 'values'}"
    return "value generated from the response schema"


class GenericBehaviour:
    """Store-backed and generated answers for one emulated PBX.

    A part of :class:`~.state.AppState` (``state.behaviour``), not a base: it reads the
    state's model of the release (sets, singletons, generator, config) through
    ``self.state`` and keeps only what is its own, the generated values per operation.
    """

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._generated: dict[str, Any] = {}

    # -- generic behaviour --------------------------------------------------------------
    def generic(self, ctx: RequestContext) -> Reply:
        """The built-in answer for an operation (see the module docstring)."""
        a = ctx.action
        if a.id == "Backup":
            return self._backup(ctx)
        if a.response.shape == "file":
            return self._file(ctx)
        if a.kind == "operation":
            return self._operation(ctx)
        if a.method == "GET" and a.response.shape == "collection":
            return self._collection_from_type(ctx, a.response.item)
        return self._generated_reply(ctx)

    def explain(self, a: Action) -> str:
        """Which branch of :meth:`generic` answers ``a``, in words (for the route table).

        Mirrors :meth:`generic` and :meth:`_operation` decision by decision, from what is
        known before a request arrives (the release's sets and singletons); keep the two
        in step.  docs/emulator-routes.md is generated from it.
        """
        if a.id == "Backup":
            return "backup: writes a real zip into the store"
        if a.response.shape == "file":
            return "file: a real file (CSV, WAV, XML, JSON) from the store or made up"
        if a.kind != "operation":
            if a.method == "GET" and a.response.shape == "collection":
                return f"collection of generated {a.response.item or 'values'}"
            return _generated_words(a)
        segs = a.path.strip("/").split("/")
        pparams = [p for p in a.params if p.location == "path"]
        head = segs[0].split("(", 1)[0]
        singleton = len(segs) == 1 and not pparams and head in self.state.singletons
        if singleton and a.method in ("GET", "PATCH"):
            return f"singleton {head} in the store ({'read' if a.method == 'GET' else 'merge'})"
        if a.method == "GET" and a.response.shape == "collection":
            if not pparams and a.path.strip("/") in self.state.sets:
                return f"list of {head} from the store ($filter, $orderby, $top, ...)"
            return f"navigation {head}/{segs[-1]} from the store"
        if head not in self.state.sets:
            return _generated_words(a)
        if a.method == "POST" and not pparams:
            return f"create in {head} (store)"
        verb = {"GET": "read", "PATCH": "update", "DELETE": "delete"}.get(a.method)
        return f"{verb} one {head} row (store)" if verb else _generated_words(a)

    def _operation(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        segs = a.path.strip("/").split("/")
        pparams = [p for p in a.params if p.location == "path"]
        head = segs[0].split("(", 1)[0]
        if len(segs) == 1 and not pparams and head in self.state.singletons:
            if a.method == "GET":
                return Reply(200, project(self.state.singleton(head), ctx.options))
            if a.method == "PATCH":
                self.state.set_singleton(head, {**self.state.singleton(head), **(ctx.body or {})})
                return Reply(204)
        if a.method == "GET" and a.response.shape == "collection":
            if not pparams and a.path.strip("/") in self.state.sets:
                return self._list(ctx, a.path.strip("/"))
            return self._navigation(ctx, head, segs[-1])
        info = self.state.sets.get(head)
        if info is None:
            return self._generated_reply(ctx)
        es = self.state.entity_set(head)
        if a.method == "POST" and not pparams:
            return self._create(ctx, info, es)
        row = self._lookup(ctx, info, es)
        if a.method == "GET":
            es.check(ctx.options)
            return Reply(200, es.shape(row, ctx.options))
        if a.method == "PATCH":
            patch = dict(ctx.body or {})
            for alt in info.alt_keys:
                if alt in patch and patch[alt] != row.get(alt):
                    raise ctx.fail(400, (alt, "WARNINGS.XAPI.FORBIDDEN_CHANGE"))
            try:
                es.update(row[info.key], patch)
            except StoreError:
                raise ctx.fail(400, (info.key, "WARNINGS.XAPI.FORBIDDEN_CHANGE")) from None
            return Reply(204)
        if a.method == "DELETE":
            es.delete(row[info.key])
            return Reply(204)
        return self._generated_reply(ctx)

    def _lookup(self, ctx: RequestContext, info: SetInfo, es: Any) -> dict[str, Any]:
        params = ctx.params
        if info.key in params:
            row = es.get(params[info.key])
            target = info.key
        else:
            alt = next((k for k in info.alt_keys if k in params), None)
            if alt is None:
                raise ctx.fail(404, message="No key in the request path.")
            row = es.find_one(**{alt: params[alt]})
            target = alt
        if row is None:
            raise ctx.fail(404, (target, "WARNINGS.XAPI.NOT_FOUND"))
        return row

    def _create(self, ctx: RequestContext, info: SetInfo, es: Any) -> Reply:
        """POST to a set: the whole new entity, defaults filled in, with a server-assigned key.

        The server assigns integer and GUID keys, whatever the body says.

        A PBX's tables take their keys from database sequences; an ``Id`` in the body
        (``Id: 0`` from an ``Init*`` template, or a copied row) is ignored, not refused,
        so GET-modify-POST round trips work.  Text keys (a backup's file name) are the
        client's to choose.
        """
        body = dict(ctx.body or {})
        if info.key_type != "str":
            body.pop(info.key, None)
        for alt in info.alt_keys:
            if body.get(alt) is not None and es.find_one(**{alt: body[alt]}) is not None:
                raise ctx.fail(400, (alt, "WARNINGS.XAPI.ALREADY_IN_USE"))
        if info.key_type == "str" and not body.get(info.key):
            raise ctx.fail(400, (info.key, REQUIRED))
        try:
            row = es.insert(self.state.with_defaults(info.name, body))
        except DuplicateKeyError:
            raise ctx.fail(400, (info.key, "WARNINGS.XAPI.DUPLICATE")) from None
        except StoreError as exc:
            raise ctx.fail(400, (info.key, "WARNINGS.INVALID"), message=str(exc)) from None
        return Reply(201, row)

    def _list(self, ctx: RequestContext, set_name: str) -> Reply:
        es = self.state.entity_set(set_name)
        computed = not ctx.action.on_entity_set  # a function's or action's result
        result = es.query(ctx.options, max_top=self.state.config.report_cap if computed else None)
        return self.collection_reply(ctx, result.items, result.count, context=set_name)

    def _navigation(self, ctx: RequestContext, head: str, prop: str) -> Reply:
        """``Groups(5)/Members``: the parent's collection property, paged in memory."""
        info = self.state.sets.get(head)
        if info is not None:
            parent = self._lookup(ctx, info, self.state.entity_set(head))
            items = parent.get(prop) or []
        elif head in self.state.singletons:
            items = self.state.singleton(head).get(prop) or []
        else:
            items = []
        return self._page(ctx, list(items))

    def _page(self, ctx: RequestContext, items: list[dict[str, Any]]) -> Reply:
        opts = ctx.options
        total = len(items)
        end = None if opts.top is None else opts.skip + opts.top
        if not ctx.action.on_entity_set:
            cap = self.state.config.report_cap
            end = cap if end is None else min(end, opts.skip + cap)
        page = [project(i, opts) if isinstance(i, dict) else i for i in items[opts.skip : end]]
        return self.collection_reply(ctx, page, total if opts.count else None)

    def _collection_from_type(self, ctx: RequestContext, item: str | None) -> Reply:
        set_name = self.state.type_sets.get(item or "")
        if set_name is not None:
            return self._list(ctx, set_name)
        return self._page(ctx, list(rows_of(self._generate(ctx.action))))

    def _generate(self, action: Action) -> Any:
        cached = self._generated.get(action.id)
        if cached is None:
            cached = self.state.generator.value(action.response.schema, action.id, items=3)
            self._generated[action.id] = cached
        return cached

    def _generated_reply(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        kind = a.response.shape
        if kind == "none" or not a.response.schema:
            return Reply(a.response.status if a.response.status != 200 else 204)
        if kind == "collection":
            return self._collection_from_type(ctx, a.response.item)
        # ``options={"answers": {"APIToken": "..."}}``: a test's own answer (the value of a
        # primitive, the object of an entity), e.g. a secret it then looks for in outputs.
        answers = self.state.config.options.get("answers")
        if isinstance(answers, dict) and a.id in answers:
            value = answers[a.id]
            return Reply(
                a.response.status or 200, {"value": value} if kind == "primitive" else value
            )
        return Reply(a.response.status or 200, self._generate(a))

    def collection_reply(
        self,
        ctx: RequestContext,
        items: list[Any],
        count: int | None = None,
        *,
        context: str | None = None,
    ) -> Reply:
        base = ctx.base_url
        body: dict[str, Any] = {
            "@odata.context": f"{base}{API_PREFIX}/$metadata#{context or _context_name(ctx.action)}"
        }
        if count is not None:
            body["@odata.count"] = count
        body["value"] = items
        return Reply(200, body)

    # -- files ----------------------------------------------------------------------------
    def _file(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        name = a.id
        if a.response.item:
            rows = self._rows_for(ctx, a.response.item)
            return Reply.file(make_csv(rows), f"{_file_stem(name)}.csv", "text/csv")
        if "Recording" in name or "Greeting" in name or "Playlist" in name:
            label = next(iter(ctx.params.values()), "file")
            return Reply.file(make_wav(1.0), f"{_file_stem(name)}-{label}.wav", "audio/x-wav")
        if a.method == "POST":
            return Reply(a.response.status or 200, b"", "text/plain")
        if "Script" in name:
            return Reply.file(
                b"# generated by the tcxkit emulator\r\n", f"{name}.ps1", "text/plain"
            )
        if "Trunk" in name:
            xml = b'<?xml version="1.0" encoding="utf-8"?><Trunk emulated="true"/>'
            return Reply.file(xml, f"trunk-{ctx.params.get('Id', 0)}.xml", "application/xml")
        if "Policy" in name:
            return Reply.file(
                dumps({"Version": "2012-10-17", "Statement": []}), "policy.json", "application/json"
            )
        rows = [
            self.state.generator.value(
                {"type": "object", "properties": {"Name": {"type": "string"}}}, name
            )
        ]
        return Reply.file(make_csv(rows), f"{_file_stem(name)}.csv", "text/csv")

    def _rows_for(self, ctx: RequestContext, item: str) -> list[dict[str, Any]]:
        set_name = self.state.type_sets.get(item)
        if set_name is not None:
            opts = ctx.options
            return (
                self.state.entity_set(set_name)
                .query(opts, max_top=self.state.config.report_cap)
                .items
            )
        return list(rows_of(self._generate(ctx.action)))

    def _backup(self, ctx: RequestContext) -> Reply:
        """``Backups/Pbx.Backup``: write a real zip and list it under Backups."""
        desc = (ctx.body or {}).get("description") or {}
        stem = backup_name(desc, f"backup-{int(time.time())}")
        file_name = stem if stem.endswith(".zip") else f"{stem}.zip"
        archive = backup_archive(self.state, desc)
        self.state.extra.setdefault("backup_files", {})[file_name] = archive
        es = self.state.entity_set("Backups")
        row = {
            "FileName": file_name,
            "CreationTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Size": len(archive),
            "DownloadLink": f"/backups/{quote(file_name)}",
        }
        if es.get(file_name) is None:
            es.insert(row)
        else:
            es.replace(file_name, row)
        return Reply(204)


def created(ctx: RequestContext, reply: Reply) -> Reply:
    """A create's answer as an OData service gives it, for every set and handler.

    ``201`` carries the whole entity and a ``Location`` (OData 4.01 part 1, 11.4.2);
    with ``Prefer: return=minimal`` it becomes ``204`` with ``Preference-Applied``,
    ``Location`` and ``OData-EntityId`` naming the new entity (part 1, 8.2.8.7).
    """
    if reply.status != 201 or ctx.method != "POST" or not isinstance(reply.body, dict):
        return reply
    set_name = ctx.action.path.strip("/")
    info = ctx.state.sets.get(set_name)
    if info is None or reply.body.get(info.key) is None:
        return reply
    key = reply.body[info.key]
    literal = (
        f"'{quote(str(key).replace(chr(39), chr(39) * 2))}'" if info.key_type == "str" else key
    )
    location = f"{ctx.base_url}{API_PREFIX}/{set_name}({literal})"
    headers = {**reply.headers, "Location": location}
    prefer = ctx.headers.get("prefer", "").replace(" ", "").lower().split(",")
    if "return=minimal" in prefer:
        headers.update({"Preference-Applied": "return=minimal", "OData-EntityId": location})
        return Reply(204, headers=headers)
    if "return=representation" in prefer:
        headers["Preference-Applied"] = "return=representation"
    return Reply(reply.status, reply.body, reply.content_type, headers)


def backup_name(description: Any, default: str) -> str:
    """A backup's ``Name`` (``default`` when none is given), refused with 400 unless it
    can become a file as it is: it names the archive and its download link."""
    name = description.get("Name") if isinstance(description, dict) else None
    if name is None or name == "":
        return default
    problem = file_name_problem(str(name))
    if problem is not None:
        raise XapiError(
            400,
            f"description.Name:\nWARNINGS.XAPI.INVALID (the backup name {str(name)[:80]!r} "
            f"cannot be a file name: {problem})",
            [("description.Name", "WARNINGS.XAPI.INVALID")],
        )
    return str(name)


def backup_archive(state: AppState, description: dict[str, Any]) -> bytes:
    """A small but real backup zip: a manifest and the settings singletons."""
    manifest = {
        "Product": "3CX Phone System (tcxkit emulator)",
        "Version": state.config.build,
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Contents": description.get("Contents"),
    }
    return make_zip({"manifest.json": dumps(manifest), "pbx/settings.json": dumps({})})


def _context_name(action: Action) -> str:
    if action.response.item:
        return f"Collection({action.response.item})"
    return action.path.strip("/").split("(", 1)[0]


def _file_stem(operation_id: str) -> str:
    for prefix in ("Download", "Export", "Get"):
        if operation_id.startswith(prefix) and len(operation_id) > len(prefix):
            return operation_id[len(prefix) :]
    return operation_id
