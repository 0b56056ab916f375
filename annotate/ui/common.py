"""What every page shares: the store, error display, the reviewer's name, kind badges."""

from __future__ import annotations

import contextlib
import functools
import html
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterator, Mapping

import streamlit as st

from ..accounts.mode import auth_mode
from ..errors import AnnotateError
from ..model import KINDS, Kind, Recording, Status, parse_kind
from . import access, services, signin

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from ..config import Settings
    from ..store import Store

REVIEWER_KEY = "cx_reviewer"
_BRIDGE_JS = """
export default function ({ data, setStateValue }) {
  const KEY = "cx-annotate-reviewer";
  try {
    if (data && data.clear) { sessionStorage.removeItem(KEY); return; }
    if (data && data.name) { sessionStorage.setItem(KEY, data.name); return; }
    setStateValue("name", sessionStorage.getItem(KEY) || "");
  } catch (_) { setStateValue("name", ""); }
}
"""


def settings() -> Settings:
    """Return the app's settings (data directory and database from the environment)."""
    return services.settings()


def store() -> Store:
    """Return the shared Store (the sample is loaded into an empty one on first use)."""
    return services.store()


@contextlib.contextmanager
def guard(where: DeltaGenerator | None = None) -> Iterator[None]:
    """Show an AnnotateError raised in the block as ``st.error`` (one line, no traceback)."""
    try:
        yield
    except AnnotateError as exc:
        show_error(exc, where)


def kind_badges(counts: Mapping[str, int] | None = None, *, size: str = "0.8rem") -> str:
    """Return HTML badges, one per kind, coloured with the kind's short name and (optionally) a count."""
    parts = []
    for kind in KINDS:
        text = kind.short if counts is None else f"{kind.short} {int(counts.get(kind.value, 0))}"
        parts.append(
            f'<span title="{html.escape(kind.title)}" style="display:inline-block;padding:0 6px;margin-right:4px;'
            f'border-radius:4px;background:{kind.color};color:#fff;font-weight:700;font-size:{size}">'
            f"{html.escape(text)}</span>"
        )
    return "".join(parts)


def kind_badge(kind: Kind | str) -> str:
    """Return the HTML badge of one kind: its short name on its colour."""
    kind = parse_kind(kind)
    return (
        f'<span title="{html.escape(kind.title)}" style="display:inline-block;padding:0 6px;border-radius:4px;'
        f'background:{kind.color};color:#fff;font-weight:700;font-size:0.8rem">{html.escape(kind.short)}</span>'
    )


_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_WORD_JOINER = "\u2060"  # invisible; breaks the link Markdown would make of a bare URL or e-mail address
_BARE_WWW = re.compile(r"(?i)\b(www)\.")


def md_text(text: object) -> str:
    """Return user text to show *as text* in anything Streamlit renders as Markdown.

    st.markdown / caption / error / warning / info / success / toast, widget labels,
    image captions: every ASCII punctuation character is backslash-escaped (no links,
    emphasis, HTML, ``:red[...]`` directives, emoji codes or ``$math$``, with or
    without ``unsafe_allow_html``), and an invisible word joiner goes into ``://``,
    ``www.`` and ``@``, which Markdown would otherwise turn into links even escaped.
    """
    plain = str(text).replace("://", ":" + _WORD_JOINER + "//").replace("@", "@" + _WORD_JOINER)
    plain = _BARE_WWW.sub(r"\1" + _WORD_JOINER + ".", plain)
    return _MD_PUNCT.sub(r"\\\1", plain)


def show_error(message: object, where: DeltaGenerator | None = None, icon: str | None = ":material/error:") -> None:
    """Show an error message (it may quote user text: names, labels, file names) as text, in ``where``."""
    (where or st).error(md_text(message), icon=icon)


def status_text(status: Status) -> str:
    """Return the status as shown: New, In review, Reviewed."""
    return Status(status).title


def when(at: datetime | None) -> str:
    """Return a timestamp as local-looking text (UTC, minutes), or an em dash."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def duration_text(seconds: float) -> str:
    """Return 75.5 as '1:15.5' (minutes:seconds)."""
    m, s = divmod(float(seconds or 0), 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:04.1f}" if h else f"{m}:{s:04.1f}"


def recording_label(rec: Recording) -> str:
    """Return how a recording is named in pickers: '#3 Title (1:15.5)'."""
    return f"#{rec.id} {rec.title} ({duration_text(rec.duration_s)})"


def progress_bar(label: str):
    """Return ``(bar, report)``: an st.progress and the ``report(done, total)`` callback that moves it."""
    bar = st.progress(0.0, text=label)

    def report(done: int, total: int) -> None:
        total = max(int(total), 1)
        bar.progress(min(max(done / total, 0.0), 1.0), text=f"{label}: {done} of {total} frames")

    return bar, report


def browser_copy(store: Store, settings: Settings, rec: Recording) -> None:
    """Show the state of a recording's browser proxy: its queued job's progress (the page reruns when it is
    ready), or a button that queues it (with the last try's error, if it failed)."""
    from ..jobs import board
    from ..jobs.kinds import proxy_target, submit_proxy

    job = board.get(proxy_target(settings, store, rec.id))
    if job is not None and not job.finished:
        _proxy_progress(job.output)
        return
    if job is not None and job.state == "failed":
        show_error(job.error)
    if st.button("Make browser proxy", key=f"cx_proxy_make_{rec.id}", type="primary"):
        submit_proxy(store, settings, rec.id)
        st.rerun()


@st.fragment(run_every=1.0)
def _proxy_progress(output: str) -> None:
    from ..jobs import board

    job = board.get(output)
    if job is None or job.finished:
        st.rerun(scope="app")
    waiting = "waiting for a worker (`annotate serve` starts one)" if board.no_worker() else "waiting its turn"
    text = f"Making a browser proxy: {job.done} of {job.total or '…'} frames" if job.state == "running" else (
        f"Browser proxy queued, {waiting}…")
    st.progress(job.fraction, text=text)


# --- bringing a part of the page into view ------------------------------------

_SCROLL_JS = """
const DONE = new Map();  // key -> the last nonce handled (the page's lifetime, across remounts)
export default function ({ data, parentElement }) {
  if (!data.nonce || (DONE.get(data.key) || 0) >= data.nonce) return;
  DONE.set(data.key, data.nonce);
  const anchor = parentElement.host || parentElement;
  anchor.style.scrollMarginTop = "64px";  // below Streamlit's top bar
  const bring = () => {
    if (!anchor.isConnected) return;
    const top = anchor.getBoundingClientRect().top;
    if (top < 48 || top > window.innerHeight * 0.3) anchor.scrollIntoView({ block: "start", behavior: "instant" });
  };
  // What follows the anchor (the form) is drawn just after it: try again while the page grows under it.
  for (const ms of [0, 120, 300, 600, 1000]) setTimeout(bring, ms);
}
"""


@functools.lru_cache(maxsize=1)
def _scroll_component():
    return st.components.v2.component("cx_annotate_scroll_into_view", js=_SCROLL_JS)


def scroll_into_view(nonce: int, *, key: str) -> None:
    """Mount an invisible anchor here; scroll the page so it is at the top each time ``nonce`` grows."""
    _scroll_component()(data={"nonce": int(nonce), "key": key}, key=key, height=0)


# --- the reviewer's name ----------------------------------------------------


def _bridge():
    return st.components.v2.component("cx_annotate_reviewer_bridge", js=_BRIDGE_JS)


def reviewer() -> str:
    """Return the reviewer's name for this browser session ('' until given).

    With accounts on it is the signed-in account's display name, never typed.
    Otherwise the name is kept in the browser's sessionStorage through a tiny
    component, so it is asked once per browser session and survives reloads of the tab.
    """
    if access.accounts_on():
        return access.current_user().reviewer
    name = st.session_state.get(REVIEWER_KEY, "")
    clear = st.session_state.pop("cx_reviewer_clear", False)
    data = {"name": name or None, "clear": clear}
    with st.sidebar:
        result = _bridge()(data=data, key="cx_reviewer_bridge", on_name_change=lambda: None, height=0)
    stored = (result or {}).get("name") if result is not None else None
    if not name and stored and not clear:
        name = stored.strip()[:80]
        st.session_state[REVIEWER_KEY] = name
    return name


def sidebar(name: str) -> None:
    """Show who is reviewing, with a way to change it (or, with accounts, to sign out)."""
    with st.sidebar:
        if access.accounts_on():
            user = access.current_user()
            st.caption(f"Signed in as **{md_text(user.display_name)}** ({', '.join(sorted(user.roles))})")
            if auth_mode() == "oidc":
                from . import oidc

                oidc.sign_out_button()
            else:
                st.link_button("Sign out", signin.LOGOUT_PATH, icon=":material/logout:")
            return
        if name:
            st.caption(f"Reviewer: **{md_text(name)}**")
            if st.button("Change reviewer", key="cx_change_reviewer"):
                st.session_state[REVIEWER_KEY] = ""
                st.session_state["cx_reviewer_clear"] = True
                st.rerun()


def ask_reviewer() -> str:
    """Ask for the reviewer's name (stamped on every event); return it once given, else ''."""
    if access.accounts_on():
        return access.current_user().reviewer
    name = st.session_state.get(REVIEWER_KEY, "")
    if name:
        return name
    with st.form("cx_reviewer_form", border=True):
        st.markdown("**Who is reviewing?** Your name is stamped on every event you mark or edit.")
        typed = st.text_input("Your name", key="cx_reviewer_input", max_chars=80)
        ok = st.form_submit_button("Start reviewing", type="primary")
    if ok:
        typed = (typed or "").strip()
        if not typed:
            st.error("Type your name first; it is stamped on every event.")
            return ""
        st.session_state[REVIEWER_KEY] = typed
        st.rerun()
    return ""
