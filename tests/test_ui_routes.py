"""The media routes mounted beside Streamlit: the video with HTTP range requests, and its frame times."""

from __future__ import annotations

import asyncio
import json
from fractions import Fraction

import pytest
from starlette.applications import Starlette

from annotate.testing import make_clip
from annotate.ui import services
from annotate.ui.routes import media_routes


def request(path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """Call the routes as an ASGI server would; return (status, headers, body)."""
    app = Starlette(routes=media_routes())
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def rec(tmp_path, monkeypatch):
    from annotate.recordings import add_recording

    monkeypatch.setenv("ANNOTATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    import annotate.sample as sample

    monkeypatch.setattr(sample, "sample_dir", lambda: None)
    services.reset()
    times = [Fraction(0), Fraction(1, 25), Fraction(3, 25), Fraction(4, 25), Fraction(7, 25), Fraction(8, 25)]
    clip = make_clip(tmp_path / "vfr.mp4", frame_times=times, audio=False)
    recording, _ = add_recording(services.store(), services.settings(), clip)
    yield recording
    services.reset()


def test_media_answers_range_requests_with_the_file_bytes(rec):
    data = open(rec.path, "rb").read()
    status, headers, body = request(f"/cx/media/{rec.id}", {"Range": "bytes=100-299"})
    assert status == 206
    assert body == data[100:300]
    assert headers["content-range"] == f"bytes 100-299/{len(data)}"
    assert headers["content-type"] == "video/mp4" and headers["accept-ranges"] == "bytes"
    status, _, body = request(f"/cx/media/{rec.id}")
    assert status == 200 and body == data


def test_media_of_an_unknown_recording_is_404(rec):
    status, _, body = request("/cx/media/999")
    assert status == 404 and b"999" in body


def test_frames_are_the_real_frame_times(rec):
    status, _, body = request(f"/cx/frames/{rec.id}")
    assert status == 200
    payload = json.loads(body)
    assert payload["times"] == [0.0, 0.04, 0.12, 0.16, 0.28, 0.32]
    assert payload["offset"] == 0.0


def test_the_player_script_is_served_for_the_component_to_import():
    from annotate.ui.player import PLAYER_JS, player_js_version

    status, headers, body = request(f"/cx/static/player.js?v={player_js_version()}")
    assert status == 200 and body == PLAYER_JS.read_bytes()
    assert headers["content-type"].startswith("text/javascript") and "immutable" in headers["cache-control"]
