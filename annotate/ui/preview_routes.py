"""HTTP routes for what the Review player shows around the video: filmstrip, waveform (:mod:`annotate.preview`)
and transcript (:mod:`annotate.transcripts`).

- ``GET /cx/filmstrip/{id}``: the recording's filmstrip sprite (JPEG).
- ``GET /cx/filmstrip/{id}/index``: its index (tile size, columns, each tile's frame and exact time), JSON.
- ``GET /cx/peaks/{id}?start=S&end=S&n=N``: at most ``N`` (1..4000, default 1000) audio
  peaks covering ``S``..``S`` seconds from the first frame, JSON (:func:`annotate.preview.read_peaks`).
- ``GET /cx/transcript/{id}``: the recording's transcript, ``{"id", "lines": [[start_s, end_s, speaker,
  text], ...]}`` in time order (``id`` null and no lines when it has none), read a page at a time from the store.

Each asks for the ``media`` permission first (403 otherwise; without a session the
sign-in middleware has already answered 401); an unknown recording, or one whose
preview is not made yet, is a 404 with one line; a query that is not numbers a 400.
Only files named by the recording's content hash are read: no path comes from the URL.
"""

from __future__ import annotations

import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import AccessDeniedError, AnnotateError, ValidationError
from ..preview import preview_paths, read_index, read_peaks
from . import services, signin

MAX_PEAKS = 4000
_CACHE = {"Cache-Control": "private, max-age=86400"}  # named by content hash: a file never changes


def _paths(request: Request) -> dict:
    rec = services.store().get_recording(services.recording_id(str(request.path_params.get("rec_id", ""))))
    return preview_paths(services.settings(), rec.content_hash)


def _number(request: Request, name: str, default: float | None) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"'{name}' must be a number of seconds (or peaks) of 0 or more, not {text[:24]!r}")
    return value


def _not_made(what: str) -> JSONResponse:
    return JSONResponse({"error": f"the {what} of this recording is not made yet; it is on the queue"}, status_code=404)


async def _answer(request: Request, make) -> Response:
    """Run ``make(paths)`` in a thread after the access check; turn our errors into one-line answers."""
    try:
        signin.require(request, "media")
        return await run_in_threadpool(lambda: make(_paths(request)))
    except AccessDeniedError as exc:
        return JSONResponse({"error": str(exc)}, status_code=403)
    except ValidationError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except AnnotateError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)


async def sprite(request: Request) -> Response:
    """Serve the filmstrip sprite."""
    def make(paths):
        return FileResponse(paths["sprite"], media_type="image/jpeg", headers=_CACHE) if paths["sprite"].is_file() \
            else _not_made("filmstrip")
    return await _answer(request, make)


async def index(request: Request) -> Response:
    """Serve the filmstrip's index."""
    def make(paths):
        if not paths["index"].is_file():
            return _not_made("filmstrip")
        return JSONResponse(read_index(paths["index"]).to_dict(), headers=_CACHE)
    return await _answer(request, make)


async def peaks(request: Request) -> Response:
    """Serve the audio peaks of a stretch of the recording."""
    def make(paths):
        start = _number(request, "start", 0.0)
        end = _number(request, "end", None)
        n = int(min(max(_number(request, "n", 1000.0), 1), MAX_PEAKS))
        if not paths["peaks"].is_file():
            return _not_made("waveform")
        return JSONResponse(read_peaks(paths["peaks"], start, end, n).to_dict(), headers=_CACHE)
    return await _answer(request, make)


async def transcript(request: Request) -> Response:
    """Serve the recording's transcript lines (not cached: an import replaces them)."""
    def make(_paths):
        rec_id = services.recording_id(str(request.path_params.get("rec_id", "")))
        store = services.store()
        info = store.transcripts.info(rec_id)
        lines = [[ln.start_s, ln.end_s, ln.speaker, ln.text] for ln in store.transcripts.lines(rec_id)]
        return JSONResponse({"id": info.id if info else None, "lines": lines}, headers={"Cache-Control": "no-store"})
    return await _answer(request, make)


def preview_routes() -> list[Route]:
    """Return the routes to mount beside Streamlit (see the module docstring)."""
    return [
        Route("/cx/filmstrip/{rec_id}", sprite, methods=["GET", "HEAD"]),
        Route("/cx/filmstrip/{rec_id}/index", index, methods=["GET"]),
        Route("/cx/peaks/{rec_id}", peaks, methods=["GET"]),
        Route("/cx/transcript/{rec_id}", transcript, methods=["GET"]),
    ]


def urls(rec_id: int) -> dict[str, str]:
    """Return the player's URLs of a recording's filmstrip, its index and its peaks."""
    return {"sprite": f"/cx/filmstrip/{rec_id}", "index": f"/cx/filmstrip/{rec_id}/index", "peaks": f"/cx/peaks/{rec_id}"}


def transcript_url(rec_id: int) -> str:
    """Return the URL of a recording's transcript lines."""
    return f"/cx/transcript/{rec_id}"
