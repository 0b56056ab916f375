"""Consensus page (admins, leads): two coders' lanes of one recording side by side, their agreement, and the
decision on every pair they disagree on, written as the recording's consensus.

Widgets only: the agreement is :func:`annotate.app.agreement.agreement_of`, the worksheet and the
decisions :mod:`annotate.app.team`, the write ``Store.consensus.apply`` (one undoable transaction: the
consensus becomes the recording's events, which the maps and metrics read).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import team
from annotate.app.agreement import agreement_of
from annotate.model import KINDS
from annotate.ui import access, common

if TYPE_CHECKING:
    from annotate.model import Event, Recording
    from annotate.store import Store

_W, _LANE, _PAD = 900, 34, 70


def page() -> None:
    """Render the Consensus page."""
    access.require("assign")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Consensus")
    with common.guard():
        store = common.store()
        recs = store.list_recordings()
        if not recs:
            st.info("No recordings yet. Assign a recording to two reviewers on the Library page first.")
            return
        by_id = {r.id: r for r in recs}
        rid = st.selectbox("Recording", list(by_id), format_func=lambda i: common.recording_label(by_id[i]),
                           key="cx_cons_rec")
        coders = [c for c in store.consensus.coders_on([rid])]
        if len(coders) < 2:
            st.info("This recording has fewer than two coders: assign it to two reviewers on the Library page.")
            return
        c1, c2, c3 = st.columns([2, 2, 1])
        a = c1.selectbox("Coder A", coders, index=0, key=f"cx_cons_a_{rid}")
        b = c2.selectbox("Coder B", [c for c in coders if c != a], index=0, key=f"cx_cons_b_{rid}")
        tol = c3.number_input("Tolerance (s)", 0.0, 60.0, 1.0, 0.5, key="cx_cons_tol")
        if not name:
            name = common.ask_reviewer()
            if not name:
                return
        _settle(store, by_id[rid], (a, b), float(tol), name)


def _settle(store: Store, rec: Recording, coders: tuple[str, str], tol: float, name: str) -> None:
    """The figures, the lanes, the worksheet and the button that writes the consensus."""
    notice = st.session_state.pop("cx_cons_done", None)
    if notice:
        st.success(notice)
    report, _, names = agreement_of(store, [rec.id], coders, tol)
    _figures(report)
    items = team.worksheet(store, rec.id, names, report)
    st.image(lanes_svg(rec, names, items), width="stretch", caption=f"A: {names[0]} · B: {names[1]}")
    done = [d for d in store.consensus.decisions(rec.id) if not d["undone"] and set(d["coders"]) == set(names)]
    if done:
        st.success(f"Settled by {common.md_text(done[0]['decided_by'])} ({len(done[0]['decisions'])} decisions): "
                   "these are the recording's events now. Undo it to decide again.")
        return
    if not items:
        st.info("Neither coder has any event on this recording.")
        return
    everything = st.toggle("Show the pairs they agree on too", key=f"cx_cons_all_{rec.id}")
    chosen = _worksheet([i for i in items if everything or i.disagrees], rec.id)
    disagree = sum(1 for i in items if i.disagrees)
    st.caption(f"{disagree} of {len(items)} disagree. Pairs not shown keep A's event; an event only one coder "
               "has keeps that event unless you choose otherwise.")
    if st.button("Write the consensus", key=f"cx_cons_go_{rec.id}", type="primary", icon=":material/done_all:"):
        with common.guard():
            made = store.consensus.apply(rec.id, names, team.resolutions(items, chosen), name)
            st.session_state["cx_cons_done"] = f"Consensus written: {len(made)} events."
            st.rerun()


def _figures(report) -> None:
    """The agreement figures: F1 overall, Cohen's kappa over time slices, and the table per kind."""
    k = report.slices
    cols = st.columns(4)
    cols[0].metric("F1 (B against A)", _num(report.overall.f1))
    cols[1].metric(f"Cohen's kappa ({report.slice_s:g} s slices)", _num(k.kappa))
    cols[2].metric("Observed agreement", _num(k.observed))
    cols[3].metric("Chance agreement", _num(k.chance))
    st.dataframe(team.figures(report), hide_index=True, key="cx_cons_figures")


def _num(value) -> str:
    return "—" if value is None else f"{float(value):.3f}"


def _worksheet(items: list[team.Item], rid: int) -> dict[str, str]:
    """One line per item with its decision; return item key -> the action chosen."""
    chosen: dict[str, str] = {}
    head = st.columns([4, 4, 1, 4])
    for col, text in zip(head, ("Coder A", "Coder B", "Offset", "Decision")):
        col.caption(text)
    for item in items:
        cols = st.columns([4, 4, 1, 4], vertical_alignment="center")
        cols[0].write(common.md_text(team.describe(item.a)))
        cols[1].write(common.md_text(team.describe(item.b)))
        cols[2].write("" if item.offset_s is None else f"{item.offset_s:+.2f}")
        chosen[item.key] = cols[3].segmented_control(
            "Decision", list(item.actions), default=item.default, format_func=team.ACTION_TEXT.get,
            key=f"cx_cons_{rid}_{item.key}", label_visibility="collapsed") or item.default
    return chosen


def lanes_svg(rec: Recording, coders: tuple[str, str], items: list[team.Item]) -> str:
    """Return an SVG of both coders' lanes on one timeline (a bar per duration, a tick per point event; the
    lines between a matched pair's starts), user text escaped."""
    span = max(float(rec.duration_s or 0.0), 1.0)

    def x(t: float) -> float:
        return _PAD + (_W - _PAD - 10) * min(max(t, 0.0), span) / span

    colours = {k: k.color for k in KINDS}
    height = 2 * _LANE + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" viewBox="0 0 {_W} {height}" '
             'class="cx-lanes" role="img">']
    for lane, who in enumerate(coders):
        y = 6 + lane * _LANE
        parts.append(f'<text x="4" y="{y + 18}" font-size="12">{html.escape(who[:10])}</text>'
                     f'<rect x="{_PAD}" y="{y}" width="{_W - _PAD - 10}" height="{_LANE - 8}" fill="#f3f3f3"/>')
    for item in items:
        if item.a is not None and item.b is not None:
            parts.append(f'<line x1="{x(item.a.start_s):.1f}" y1="{6 + _LANE - 8}" x2="{x(item.b.start_s):.1f}" '
                         f'y2="{6 + _LANE}" stroke="#999"/>')
        for lane, event in ((0, item.a), (1, item.b)):
            if event is not None:
                parts.append(_mark(event, x, 6 + lane * _LANE, colours[event.kind], item.disagrees))
    parts.append(f'<text x="{_PAD}" y="{2 * _LANE + 20}" font-size="11">0 s</text>'
                 f'<text x="{_W - 60}" y="{2 * _LANE + 20}" font-size="11">{span:.1f} s</text></svg>')
    return "".join(parts)


def _mark(event: Event, x, y: float, colour: str, disagrees: bool) -> str:
    """Return one event's SVG: a bar from start to end, or a tick; a disagreeing one outlined."""
    x0 = x(event.start_s)
    width = max(x(event.end_s) - x0, 3.0) if event.end_s is not None else 3.0
    outline = ' stroke="#d00" stroke-width="2"' if disagrees else ""
    title = html.escape(team.describe(event))
    return (f'<rect class="cx-lane-event" x="{x0:.1f}" y="{y + 2}" width="{width:.1f}" height="{_LANE - 12}" '
            f'fill="{colour}"{outline}><title>{title}</title></rect>')


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
