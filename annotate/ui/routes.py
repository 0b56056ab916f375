"""HTTP routes mounted beside the Streamlit app (``st.App(..., routes=media_routes())`` in app.py).

- ``GET /cx/media/{id}``: the file the browser plays for recording ``id`` (its
  proxy if it has one), streamed from disk by Starlette's FileResponse, which
  answers HTTP range requests (206) so the player can seek; nothing is read
  into memory whole.
- ``GET /cx/frames/{id}``: ``{"times": [...], "offset": s}``, the played file's
  frame times in seconds from its first frame, so frame stepping walks the real
  frames on variable-frame-rate video.
- ``GET /cx/static/{name}.js``: the components' scripts (:mod:`annotate.ui.scripts`:
  fetched once, instead of travelling with every rerun); 404 for any other name.
- ``GET /cx/render/{name}``: the Play page's rendered files (:mod:`annotate.ui.play_routes`).
- ``GET /cx/filmstrip/{id}``, ``/cx/peaks/{id}``: the player's filmstrip and waveform (:mod:`annotate.ui.preview_routes`).
- ``POST /cx/commands/{id}``: the Review player's marks, ends, undos and
  deletes, ``{"commands": [...], "since"?}``, applied for the review session
  named by the token in the ``X-CX-Token`` header (:mod:`annotate.ui.marking`);
  answers the stored event list (or its changes since the list the player
  holds). The token is checked before any of the body is read: 403 for a
  missing or unknown token or a token of another recording. Then the body is
  read in chunks up to :data:`MAX_COMMANDS_BYTES`: 413 for a declared
  ``Content-Length`` above it (nothing read) or a body that grows past it
  (chunked or lying: reading stops there), 400 for a ``Content-Length`` that is
  not a number or a body that is not such JSON (also JSON nested too deeply to
  parse), 404 for an unknown recording.

- ``POST /cx/position/{id}``: ``{"t": seconds}``, where the review session's reviewer is (the player sends it
  while playing, on pause and when the page is left; the Review page offers to resume there). Same token
  rule as the commands; 204 when stored, 400 for anything but a number of seconds, 413 past 1 kB.

Only registered recordings are served, by id; a path never comes from the URL.
An id that is not a whole number a recording can have (digits, at most
2**63 - 1) is answered 404 like an unknown one (:func:`_rec_id`).
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import AccessDeniedError, AnnotateError, NotFoundError
from ..media.sniff import sniff_container
from . import marking, scripts, services, signin
from .play_routes import render_routes
from .preview_routes import preview_routes

_MEDIA_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "matroska": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mpegts": "video/mp2t",
    "ogg": "video/ogg",
}


MAX_COMMANDS_BYTES = 4 * 1024 * 1024  # a batch of commands is a few kB; a few MB leaves room for a long queue
TOKEN_HEADER = "x-cx-token"


def _rec_id(request: Request) -> int:
    """Return the recording id in the URL; raises NotFoundError for anything no recording can have."""
    return services.recording_id(str(request.path_params.get("rec_id", "")))


def _lookup(rec_id: int):
    rec = services.store().get_recording(rec_id)
    return rec, services.playable(rec)


async def media(request: Request) -> Response:
    """Serve the playable file of a recording with range support."""
    try:
        signin.require(request, "media")
        rec, play = await run_in_threadpool(_lookup, _rec_id(request))
    except AccessDeniedError as exc:
        return PlainTextResponse(str(exc), status_code=403)
    except AnnotateError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    if not play.exists:
        return PlainTextResponse(f"{play.path.name} is missing on the server; add the recording again", status_code=404)
    kind = await run_in_threadpool(sniff_container, play.path)
    return FileResponse(
        play.path,
        media_type=_MEDIA_TYPES.get(kind or "", "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=86400"},
    )


def _frames_payload(rec_id: int) -> dict:
    rec, play = _lookup(rec_id)
    times = services.frame_times(play.path)
    return {"times": [round(float(t), 6) for t in times], "offset": play.start_offset_s}


async def frames(request: Request) -> Response:
    """Serve the played file's frame times as JSON."""
    try:
        signin.require(request, "media")
        payload = await run_in_threadpool(_frames_payload, _rec_id(request))
    except AccessDeniedError as exc:
        return JSONResponse({"error": str(exc)}, status_code=403)
    except AnnotateError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    return JSONResponse(payload, headers={"Cache-Control": "private, max-age=86400"})


async def script(request: Request) -> Response:
    """Serve a component's script; a versioned URL may be cached for good, the modules it imports are revalidated."""
    path = scripts.script_path(str(request.path_params.get("name", "")))
    if path is None:
        return PlainTextResponse("no such script", status_code=404)
    cache = "public, max-age=31536000, immutable" if request.query_params.get("v") else "no-cache"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": cache})


class _BodyRefused(Exception):
    """A request body the command route does not read (on): ``status`` and one-line ``message`` say why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def _read_capped(request: Request, limit: int) -> bytes:
    """Return the request body, read in chunks; raises _BodyRefused (413, 400) past ``limit`` bytes.

    A declared Content-Length above ``limit`` is refused before anything is
    read; without one (chunked), or with one that lies, reading stops at the
    first chunk that takes the total past ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.strip().isascii() and declared.strip().isdigit()):
            raise _BodyRefused(400, "the request's Content-Length is not a number; reload the page")
        if int(declared) > limit:
            raise _BodyRefused(413, f"the commands sent are larger than {limit // (1024 * 1024)} MB; reload the page")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyRefused(413, f"the commands sent are larger than {limit // (1024 * 1024)} MB; reload the page")
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(exc: Exception) -> Response:
    """Return the one-line answer of a posting route that refuses: the body's status, 403, 404 or 400."""
    if isinstance(exc, _BodyRefused):
        status = exc.status
    else:
        status = 403 if isinstance(exc, AccessDeniedError) else 404 if isinstance(exc, NotFoundError) else 400
    return PlainTextResponse(str(exc), status_code=status)


def _parse_commands(raw: bytes) -> dict:
    """Return the JSON object in ``raw``; raises _BodyRefused (400) for anything else."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply ("[" * 100000)
        raise _BodyRefused(400, "the request body is not JSON the player sends; reload the page") from None
    if not isinstance(body, dict):
        raise _BodyRefused(400, "the request body must be a JSON object; reload the page")
    return body


async def commands(request: Request) -> Response:
    """Apply the Review player's commands; answer what the player lists (see :func:`marking.post_commands`).

    The token (header) is checked first and the body read with a cap, so a
    stranger cannot make the server read or parse a large body.
    """
    try:
        signin.require(request, "mark")
        rec_id = _rec_id(request)
        token = request.headers.get(TOKEN_HEADER)
        marking.REGISTRY.lookup(token, rec_id)
        body = _parse_commands(await _read_capped(request, MAX_COMMANDS_BYTES))
        answer = await run_in_threadpool(marking.post_commands, rec_id, token, body.get("commands"), body.get("since"))
    except (_BodyRefused, AnnotateError) as exc:
        return _refused(exc)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


MAX_POSITION_BYTES = 1024


async def position(request: Request) -> Response:
    """Remember where the review session's reviewer is in the recording (``{"t": seconds}``); 204 when stored.

    The same token rule as the command route, checked before the (capped) body is read.
    """
    try:
        signin.require(request, "review")
        rec_id = _rec_id(request)
        session = marking.REGISTRY.lookup(request.headers.get(TOKEN_HEADER), rec_id)
        t = _parse_commands(await _read_capped(request, MAX_POSITION_BYTES)).get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t < 10**7:
            raise _BodyRefused(400, "the position must be a number of seconds; reload the page")
        await run_in_threadpool(services.store().positions.remember, rec_id, session.reviewer, float(t))
    except (_BodyRefused, AnnotateError) as exc:
        return _refused(exc)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def media_routes() -> list[Route]:
    """Return the routes app.py mounts next to Streamlit's own."""
    routes = [
        Route("/cx/media/{rec_id}", media, methods=["GET", "HEAD"]),
        Route("/cx/frames/{rec_id}", frames, methods=["GET"]),
        Route(scripts.STATIC_PREFIX + "{name}", script, methods=["GET", "HEAD"]),
        Route("/cx/commands/{rec_id}", commands, methods=["POST"]),
        Route("/cx/position/{rec_id}", position, methods=["POST"]),
    ]
    return routes + render_routes() + preview_routes()  # the Play page's rendered files; filmstrip and waveform
