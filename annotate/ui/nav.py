"""The app's pages, in menu order, as Streamlit Page objects (app.py registers them).

Each page is a file in ``annotate/ui/pages`` whose ``page()`` draws it; the
file calls ``page()`` when Streamlit runs it as the page script. Every page has
a stable URL (``/review``, ``/play``, ...): Streamlit serves its default page at
the root URL only, so the default is a hidden start page that switches to
Review, keeping the link's query parameters (``/?rec=3`` opens ``/review?rec=3``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import access

PAGES_DIR = Path(__file__).resolve().parent / "pages"
SPEC = (
    # url path, title, icon
    ("library", "Library", ":material/video_library:"),
    ("review", "Review", ":material/rate_review:"),  # "/" opens it: the latest recording, the sample on first run
    ("play", "Play", ":material/play_circle:"),
    ("analyse", "Analyse", ":material/insights:"),
    ("consensus", "Consensus", ":material/handshake:"),  # admins: settle two coders' differences
    ("users", "Users", ":material/group:"),  # admins only
    ("settings", "Settings", ":material/settings:"),
)
START = "review"
_PAGES: dict[str, "st.Page"] = {}


def _start() -> None:
    """The root URL: open the start page (Review, or the first page the account may open) with the same
    query parameters (``?rec=``, ``?t=``)."""
    user = access.current_user()
    first = next((url for url, _, _ in SPEC if url == START and access.visible(url, user)), None)
    first = first or next(url for url, _, _ in SPEC if access.visible(url, user))
    st.switch_page(page(first), query_params=st.query_params.to_dict())


def pages() -> list:
    """Return the pages the signed-in account may open (all of Library, Review, Play, Analyse, Users,
    Settings without accounts) and the hidden root page."""
    user = access.current_user()
    _PAGES.clear()
    for url, title, icon in SPEC:
        _PAGES[url] = st.Page(PAGES_DIR / f"{url}.py", title=title, icon=icon, url_path=url)
    shown = [p for url, p in _PAGES.items() if access.visible(url, user)]
    root = st.Page(_start, title="cx-annotate", url_path="start", default=True, visibility="hidden")
    return [*shown, root]


def page(url_path: str):
    """Return the registered Page for ``url_path`` (e.g. "review"), for st.page_link / st.switch_page."""
    if not _PAGES:
        pages()
    return _PAGES[url_path]


def can_open(url_path: str) -> bool:
    """Return True when the signed-in account may open the page at ``url_path`` (always without accounts)."""
    return access.visible(url_path, access.current_user())


def link(url_path: str, **params) -> str:
    """Return a relative link to a page with query parameters, e.g. ``review?rec=3&t=2.500``."""
    from urllib.parse import urlencode

    return url_path + (("?" + urlencode(params)) if params else "")
