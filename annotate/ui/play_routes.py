"""HTTP route for the rendered files of the Play page (overlay videos, clips, reels).

``GET /cx/render/{name}`` streams a file from ``settings.render_dir`` with HTTP range
requests (Starlette's FileResponse), so the browser can seek in a long overlay video
without the server holding it in memory. Only plain file names made by
:mod:`annotate.app.playback` are served (``rec3-overlay-<digest>.mp4``, ``reel-…mp4``);
anything else is a 404. ``?download=NAME`` adds ``Content-Disposition: attachment``.

:func:`annotate.ui.routes.media_routes` includes :func:`render_routes`, and app.py gives those to ``st.App``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import AccessDeniedError
from . import services, signin

PREFIX = "/cx/render/"
_NAME = re.compile(r"^(?:rec\d+|reel)-[A-Za-z0-9_-]+\.mp4$")
_DOWNLOAD = re.compile(r"[^A-Za-z0-9._-]+")


def file_for(name: str) -> Path | None:
    """Return the rendered file called ``name`` in the render folder, or None if it is not one."""
    if not _NAME.match(name):
        return None
    folder = services.settings().render_dir.resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


async def rendered(request: Request) -> Response:
    """Serve a rendered video with range support (403 for an account without a role that renders)."""
    try:
        signin.require(request, "render")
    except AccessDeniedError as exc:
        return PlainTextResponse(str(exc), status_code=403)
    path = file_for(request.path_params["name"])
    if path is None:
        return PlainTextResponse("no such rendered video; render it again on the Play page", status_code=404)
    headers = {"Cache-Control": "private, max-age=86400"}  # names change when the content does
    wanted = request.query_params.get("download")
    if wanted:
        safe = _DOWNLOAD.sub("-", wanted).strip("-.") or path.name
        headers["Content-Disposition"] = f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe)}"
    return FileResponse(path, media_type="video/mp4", headers=headers)


def render_routes() -> list[Route]:
    """Return the route to mount beside Streamlit (see module docstring)."""
    return [Route(PREFIX + "{name}", rendered, methods=["GET", "HEAD"])]


def url_for(path: Path, download: str | None = None) -> str:
    """Return the URL of a rendered file (``download``: the file name the browser saves it as)."""
    url = PREFIX + quote(Path(path).name)
    return url + (f"?download={quote(download)}" if download else "")


