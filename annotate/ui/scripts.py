"""The components' browser files: where they are, how a component loads its script, and which are served.

The markup, style and scripts of the two components (the Review player, the
Play page's viewer) are real files beside this module. Markup and style are
passed inline; a script is an ES module served by the app's own route
(``GET /cx/static/{name}.js``, :mod:`annotate.ui.routes`) and imported by a
one-line inline loader (:func:`loader_js`), so the browser fetches it once
instead of with every rerun, and its own ``import "./x.js"`` lines resolve
against that route. The entry URL carries :func:`scripts_version`, a digest of
every script, so a changed script is fetched again.

Plain Python (no Streamlit): the route serves these outside any script run.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/cx/static/"
_SCRIPT_NAME = re.compile(r"^[a-z][a-z_]*\.js$")


def script_names() -> list[str]:
    """Return the file names of the scripts the route serves (every ``*.js`` beside this module), sorted."""
    return sorted(p.name for p in HERE.glob("*.js") if _SCRIPT_NAME.match(p.name))


def script_path(name: str) -> Path | None:
    """Return the script called ``name`` (``"player.js"``), or None when there is no such script."""
    if not _SCRIPT_NAME.match(name):
        return None
    path = HERE / name
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def scripts_version() -> str:
    """Return a digest of every script, put in an entry script's URL so a changed one is fetched again."""
    digest = hashlib.sha1()
    for name in script_names():
        digest.update(name.encode() + b"\0" + (HERE / name).read_bytes())
    return digest.hexdigest()[:12]


def loader_js(entry: str) -> str:
    """Return the inline module a component is given: it imports ``entry`` from the route and runs its default."""
    # A blob-URL module cannot resolve "/cx/...", so the origin is spelled out.
    return (
        "export default async function (component) {\n"
        f"  const mod = await import(window.location.origin + '{STATIC_PREFIX}{entry}?v={scripts_version()}');\n"
        "  return mod.default(component);\n"
        "}\n"
    )


def inline_text(name: str) -> str:
    """Return the markup or style file ``name`` without blank lines, comment-only lines and indentation.

    They are sent with every rerun, so they are kept small.
    """
    lines = (line.strip() for line in (HERE / name).read_text(encoding="utf-8").splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))
