"""``POST /connect/token`` and the bearer check: the HTTP side of the PBX's OAuth.

Token issue and lookup live in :mod:`.auth`; this module reads the form, answers with the
PBX's token or OAuth error shapes, and decides whether a request's ``Authorization``
header carries a live token.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ..redaction import redact
from .admin import inject_fault, log_request
from .limits import MAX_TOKEN_BODY
from .wire import OAUTH_JSON, BodyTooLarge, json_response, oauth_error, read_body

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["TokenEndpoint"]


class TokenEndpoint:
    """The OAuth client-credentials endpoint of one emulated PBX."""

    def __init__(self, state: AppState):
        self.state = state

    async def token(self, request: Request) -> Response:
        """Issue a token for the configured client, or answer as the PBX does when refused."""
        s = self.state
        if s.faults:
            injected = await inject_fault(s, request)
            if injected is not None:
                return log_request(s, request, injected, None)
        ctype = request.headers.get("content-type", "")
        fields: dict[str, str] = {}
        try:
            raw = await read_body(request, MAX_TOKEN_BODY)
        except BodyTooLarge:
            return log_request(
                s,
                request,
                oauth_error(413, "invalid_request", "The token request is too large."),
                None,
            )
        if ctype.startswith("multipart/form-data"):
            form = await request.form()  # parses the capped body read above
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        elif ctype.startswith("application/x-www-form-urlencoded"):
            body = raw.decode("utf-8", "replace")
            fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        if not fields:
            return log_request(
                s,
                request,
                oauth_error(
                    400,
                    "invalid_request",
                    "The token request must be a form (application/x-www-form-urlencoded or "
                    "multipart/form-data) with client_id, client_secret and grant_type.",
                ),
                None,
            )
        grant = fields.get("grant_type")
        if grant != "client_credentials":
            return log_request(
                s,
                request,
                oauth_error(
                    400,
                    "unsupported_grant_type",
                    "The specified 'grant_type' is not supported: use grant_type=client_credentials."
                    if grant
                    else "The mandatory 'grant_type' parameter is missing: use grant_type=client_credentials.",
                ),
                None,
            )
        if (
            fields.get("client_id") != s.config.client_id
            or fields.get("client_secret") != s.config.client_secret
        ):
            return log_request(
                s,
                request,
                oauth_error(401, "unauthorized", "The request requires valid user authentication."),
                None,  # nothing of an unauthenticated request is kept
            )
        token = s.tokens.issue(s.config.client_id)
        return log_request(
            s,
            request,
            json_response(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": s.config.expires_in,
                    "access_token": token,
                    "refresh_token": None,
                },
                OAUTH_JSON,
                {"Cache-Control": "no-store", "Pragma": "no-cache"},
            ),
            redact(fields),  # authenticated now: kept, with the secret masked
        )
