"""HTTP routes mounted beside the Streamlit app (``st.App(..., routes=media_routes())`` in app.py).

- ``GET /cx/media/{id}``: the file the browser plays for recording ``id`` (its
  proxy if it has one), streamed from disk by Starlette's FileResponse, which
  answers HTTP range requests (206) so the player can seek; nothing is read
  into memory whole.
- ``GET /cx/frames/{id}``: ``{"times": [...], "offset": s}``, the played file's
  frame times in seconds from its first frame, so frame stepping walks the real
  frames on variable-frame-rate video.
- ``GET /cx/static/player.js``: the player component's script (fetched once,
  instead of travelling with every rerun).
- ``GET /cx/render/{name}``: the Play page's rendered files (:mod:`annotate.ui.play_routes`).
- ``POST /cx/commands/{id}``: the Review player's marks, ends, undos and
  deletes, ``{"token", "commands": [...], "since"?}``, applied for the review
  session the token names (:mod:`annotate.ui.marking`); answers the stored
  event list (or its changes since the list the player holds).
  403 for an unknown token or a token of another recording, 404 for an
  unknown recording, 400 for a body that is not such JSON.

Only registered recordings are served, by id; a path never comes from the URL.
"""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import AccessDeniedError, AnnotateError, NotFoundError
from ..media.sniff import sniff_container
from . import marking, services

_MEDIA_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "matroska": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mpegts": "video/mp2t",
    "ogg": "video/ogg",
}


def _lookup(rec_id: int):
    rec = services.store().get_recording(rec_id)
    return rec, services.playable(rec)


async def media(request: Request) -> Response:
    """Serve the playable file of a recording with range support."""
    try:
        rec, play = await run_in_threadpool(_lookup, int(request.path_params["rec_id"]))
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
        payload = await run_in_threadpool(_frames_payload, int(request.path_params["rec_id"]))
    except AnnotateError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    return JSONResponse(payload, headers={"Cache-Control": "private, max-age=86400"})


_PLAYER_JS = Path(__file__).resolve().parent / "player.js"


async def player_js(request: Request) -> Response:
    """Serve the player's script; a versioned URL may be cached for good."""
    cache = "public, max-age=31536000, immutable" if request.query_params.get("v") else "no-cache"
    return FileResponse(_PLAYER_JS, media_type="text/javascript", headers={"Cache-Control": cache})


async def commands(request: Request) -> Response:
    """Apply the Review player's commands; answer what the player lists (see :func:`marking.post_commands`)."""
    try:
        body = await request.json()
    except ValueError:
        return PlainTextResponse("the request body is not JSON; reload the page", status_code=400)
    if not isinstance(body, dict):
        return PlainTextResponse("the request body must be a JSON object; reload the page", status_code=400)
    rec_id = int(request.path_params["rec_id"])
    try:
        answer = await run_in_threadpool(
            marking.post_commands, rec_id, body.get("token"), body.get("commands"), body.get("since")
        )
    except AccessDeniedError as exc:
        return PlainTextResponse(str(exc), status_code=403)
    except NotFoundError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    except AnnotateError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def media_routes() -> list[Route]:
    """Return the routes app.py mounts next to Streamlit's own."""
    routes = [
        Route("/cx/media/{rec_id:int}", media, methods=["GET", "HEAD"]),
        Route("/cx/frames/{rec_id:int}", frames, methods=["GET"]),
        Route("/cx/static/player.js", player_js, methods=["GET", "HEAD"]),
        Route("/cx/commands/{rec_id:int}", commands, methods=["POST"]),
    ]
    try:  # the Play page's rendered files (overlay videos, reels), when that page is installed
        from .play_routes import render_routes
    except ModuleNotFoundError as exc:
        if not (exc.name or "").endswith("play_routes"):
            raise
    else:
        routes += render_routes()
    return routes
