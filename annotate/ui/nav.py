"""The app's pages, in menu order, as Streamlit Page objects (app.py registers them).

Each page is a file in ``annotate/ui/pages`` whose ``page()`` draws it; the
file calls ``page()`` when Streamlit runs it as the page script.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent / "pages"
SPEC = (
    # url path, title, icon, default
    ("library", "Library", ":material/video_library:", False),
    ("review", "Review", ":material/rate_review:", True),  # opens the latest recording: the sample on first run
    ("play", "Play", ":material/play_circle:", False),
    ("analyse", "Analyse", ":material/insights:", False),
    ("settings", "Settings", ":material/settings:", False),
)
_PAGES: dict[str, "st.Page"] = {}


def pages() -> list:
    """Return the pages Library, Review (the default), Play, Analyse, Settings."""
    for url, title, icon, default in SPEC:
        _PAGES[url] = st.Page(PAGES_DIR / f"{url}.py", title=title, icon=icon, url_path=url, default=default)
    return list(_PAGES.values())


def page(url_path: str):
    """Return the registered Page for ``url_path`` (e.g. "review"), for st.page_link / st.switch_page."""
    if not _PAGES:
        pages()
    return _PAGES[url_path]
