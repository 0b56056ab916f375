"""User-written text reaches the pages as text, never as Markdown or HTML (AppTest).

A reviewer, label, stage, note, recording title... may be written as a Markdown
link (a phishing link in the other reviewers' pages), HTML, or a bare URL that
Markdown would turn into a link. ``common.md_text`` escapes it; every page must
pass such text through it (or show it in an element that renders no Markdown).
The browser side (no ``<a href>`` in the page's DOM, the literal text visible)
is in ``test_browser_layout.py``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from streamlit.testing.v1 import AppTest

from annotate.app import review
from annotate.model import Kind
from annotate.app.review_session import ReviewSession
from annotate.testing import make_clip
from annotate.ui import common, services

LINK = "[Your session expired - sign in again](https://evil.example/login)"
EVIL = f"{LINK} <b>x</b> www.evil.example me@evil.example"
# What must never reach a Markdown-rendering element unescaped.
RAW = ("](https://", "https://evil", "<b>", "www.evil", "me@evil")


def markdown_bodies(at: AppTest) -> list[str]:
    """Every text the page renders as Markdown: markdown, captions, alerts, toasts, widget labels."""
    bodies = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "toast")
              for e in at.get(kind)]
    for kind in ("selectbox", "text_input", "text_area", "button", "multiselect", "select_slider", "checkbox"):
        bodies += [w.label for w in at.get(kind) if getattr(w, "label", None)]
    return bodies


def assert_no_raw_markup(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for body in markdown_bodies(at):
        for raw in RAW:
            assert raw not in body, f"{raw!r} reaches Markdown unescaped in {body!r}"


@pytest.fixture
def evil(data_dir, no_sample, tmp_path):
    """A recording titled, and an event labelled, staged, noted and marked by, the evil text."""
    from annotate.app.recordings import add_recording

    clip = make_clip(tmp_path / "clips" / "call.mp4", n_frames=45, fps=Fraction(15), audio=False)
    store = services.store()
    rec, _ = add_recording(store, services.settings(), clip, title=EVIL)
    event = review.mark(store, rec, Kind.MOMENT_OF_TRUTH, 1.0, EVIL, label=EVIL)
    event = review.save_details(store, event.id, event.version, EVIL, stage=EVIL, channel=EVIL, actor=EVIL,
                                expectation=EVIL, note=EVIL)
    return rec, event


def test_md_text_escapes_markdown_html_and_bare_links():
    text = common.md_text(EVIL + " **bold** :red[red] $x$ \\")
    for raw in RAW + ("**", ":red[", "$x$"):
        assert raw not in text
    # Only backslashes and invisible word joiners were added: the reader sees the same characters.
    assert text.replace("\u2060", "").replace("\\\\", "\0").replace("\\", "").replace("\0", "\\") == (
        EVIL + " **bold** :red[red] $x$ \\"
    )


def test_review_shows_the_by_line_and_the_edit_form_as_text(evil, run_page):
    rec, event = evil
    session = ReviewSession(rec.id, reviewer="Tess", selected=event.id)
    at = run_page("review", **{f"cx_session_{rec.id}": session})
    assert_no_raw_markup(at)
    [by_line] = [m.value for m in at.markdown if " by " in m.value]
    assert by_line.endswith("by " + common.md_text(EVIL))
    assert "Reviewer: **Tess**" in [c.value for c in at.caption]


def test_a_conflict_error_quotes_the_other_reviewer_as_text(evil, run_page):
    from annotate.errors import ConflictError

    rec, event = evil
    store = services.store()
    review.save_details(store, event.id, event.version, EVIL, note="changed meanwhile")
    with pytest.raises(ConflictError) as conflict:  # Tess saves the version she loaded
        review.save_details(store, event.id, event.version, "Tess", note="mine")
    assert LINK in str(conflict.value)
    session = ReviewSession(rec.id, reviewer="Tess", selected=event.id, messages=[str(conflict.value)])
    at = run_page("review", **{f"cx_session_{rec.id}": session})
    assert_no_raw_markup(at)
    errors = [e.value for e in at.error]
    assert any("changed by " + common.md_text(EVIL) in e for e in errors), errors


def test_the_reviewer_s_own_name_in_the_sidebar_is_text(evil, run_page):
    at = run_page("review", reviewer=EVIL)
    assert_no_raw_markup(at)
    assert f"Reviewer: **{common.md_text(EVIL)}**" in [c.value for c in at.caption]


def test_a_missing_file_error_shows_its_path_as_text(data_dir, no_sample, tmp_path, run_page):
    from annotate.app.recordings import add_recording

    folder = tmp_path / "[click](https:" / "evil.example"
    clip = make_clip(folder / "call.mp4", n_frames=20, fps=Fraction(10), audio=False)
    rec, _ = add_recording(services.store(), services.settings(), clip, title="Call")
    clip.unlink()
    at = run_page("review")
    assert_no_raw_markup(at)
    assert any("missing" in e.value and common.md_text(str(clip)) in e.value for e in at.error)


@pytest.mark.parametrize("page", ["play", "analyse"])
def test_play_and_analyse_show_titles_labels_and_stages_as_text(evil, page, run_page):
    at = run_page(page)
    assert_no_raw_markup(at)


def test_play_clip_download_names_the_event_label_as_text(evil, run_page):
    at = run_page("play")
    labels = [b.label for b in at.button if b.label.startswith("Make this clip")]
    assert labels  # the clip tab's start button is drawn
    assert_no_raw_markup(at)


def test_settings_shows_a_codebook_error_quoting_a_label_as_text(data_dir, no_sample, run_page):
    evil_name = "[sign in again](https://evil.example/login) <b>x</b>.json"
    bad_codebook = b'{"labels": {"moment_of_truth": [{"text": "[a](https://evil.example)", "hotkey": "toolong"}]}}'
    at = run_page("settings")
    at.file_uploader(key="cx_codebook_upload").set_value((evil_name, bad_codebook, "application/json")).run()
    at.button(key="cx_codebook_import").click().run()
    assert not at.exception
    [shown] = [e.value for e in at.error]
    assert "toolong" in shown and "](https://evil" not in shown and "\\[a\\]" in shown, shown
