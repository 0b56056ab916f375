"""cx-annotate browser app: registers the pages; the widgets live in annotate/ui/pages.

``streamlit run app.py`` (or ``annotate serve``) imports this file as an ASGI app:
the ``st.App`` below serves this same file as the Streamlit script, plus the media
routes the player needs (the video with HTTP range requests, its frame times), and
sign-in in front of everything with ``--auth local`` (annotate/ui/server.py).
Each browser session then runs this file as ``__main__``, which registers the pages.
"""

from pathlib import Path

import streamlit as st

# A file shipped with the package: a ":material/...:" page icon makes the browser fetch the favicon from
# Google's font server, which fails offline and tells a third party who is reviewing.
ICON = Path(__file__).resolve().parent / "annotate" / "ui" / "icon.png"

if __name__ == "__main__":
    from annotate.ui import nav

    st.set_page_config(page_title="cx-annotate", page_icon=str(ICON), layout="wide")
    st.navigation(nav.pages()).run()
else:
    from annotate.ui.server import app_middleware, app_routes

    app = st.App(__file__, routes=app_routes(), middleware=app_middleware())
