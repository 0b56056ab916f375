"""Call an ASGI app in process, as a server would, without an HTTP client library.

Used by the route tests; nothing in the application imports it.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any, Awaitable, Callable

# An ASGI application: app(scope, receive, send)
ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def asgi_request(
    app: ASGIApp,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
    json: Any = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to ``app``; return (status, response headers, body).

    ``path`` may carry a query string. ``json`` is sent as an
    ``application/json`` body. The scope says ASGI spec 2.4, so responses do
    not wait for a client disconnect that an in-process call never sends.
    """
    headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    body = body or b""
    if body:
        headers.setdefault("Content-Length", str(len(body)))
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    sent: list[dict] = []
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect: the response finishes first
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, data
