"""Analyse page (analysts): filter events across recordings; the table, the maps, the metrics, the files.

Widgets only: the logic is :mod:`annotate.app.analysis_library` (and
:mod:`annotate.app.analysis`, :mod:`annotate.maps`, :mod:`annotate.formats` behind it).
Nothing reads every event as an object: the filters run in SQL, the table is read a
page at a time from the database, and the flow map and metrics are measured on one
frame of columns of the kept events. Everything is cached per events-version (the
change log's newest id) and filters, and each tab is a fragment, so moving the flow
map's slider or switching the metrics' grouping reruns that tab only. Slow files
(PNG, every event format) are made when their download button is clicked.
"""

from __future__ import annotations

import html

import streamlit as st

from annotate import maps

from annotate.app import analysis, analysis_library
from annotate.app.analysis import Filters
from annotate.app.analysis_library import Library
from annotate.ui.pages._agreement_panel import panel as agreement_panel
from annotate.ui.pages._transcript_search import section as transcript_search
from annotate.errors import AnnotateError
from annotate.formats import FORMATS
from annotate.maps.output import flow_html
from annotate.ui import access, common, nav
from annotate.ui.pages._filters import filter_widgets
from annotate.ui.svg_view import svg_view

FLOW_DEFAULT_TOP = 15
_GROUPINGS = {"recording": "Recording", "stage": "Stage", "kind": "Kind", "selection": "Whole selection"}


def page() -> None:
    """Render the Analyse page."""
    access.require("analyse")
    name = common.reviewer()
    common.sidebar(name)
    st.title("Analyse")
    with common.guard():
        store = common.store()
        dataset = _dataset(store.url, analysis.data_signature(store))
        if not dataset.recordings:
            st.info("No recordings yet. Add one on the Library page and mark its events on the Review page.")
            st.page_link(nav.page("library"), label="Go to the Library", icon=":material/video_library:")
            return
        filters = filter_widgets(dataset)
        kept = _selection(dataset.signature, filters)
        in_recs = kept["recording_id"].nunique()
        st.markdown(
            f"**{len(kept)}** of {dataset.total} events, in **{in_recs}** of {len(dataset.recordings)} recordings"
            + (" (filtered)" if filters.active else "")
        )
        linked = _linked_recording(dataset)
        table, swimlane, flow, numbers, said = st.tabs(
            ["Events", "Process map", "Flow map", "Metrics", "Transcripts"], default="Process map" if linked else None
        )
        with table:
            _events_tab(dataset.signature, filters)
        with swimlane:
            _map_tab(dataset.signature, filters)
        with flow:
            _flow_tab(dataset.signature, filters)
        with numbers:
            _metrics_tab(dataset.signature, filters)
        with said:
            transcript_search(store)
        agreement_panel(store)


def _linked_recording(dataset: Library) -> int | None:
    """Return the recording of an ``?rec=ID`` link (its map is shown first); the map picker follows it once."""
    try:
        rec = int(st.query_params.get("rec", ""))
    except ValueError:
        return None
    if rec not in dataset.recordings:
        return None
    # The link names the map shown on every run. The picker of a linked recording is its own widget (its key
    # names the link), created on that recording: a browser still holding an older picker's value cannot
    # bring that value back. Picking another recording rewrites the link (_follow_picker), so the two agree.
    st.session_state["cx_an_linked"] = rec
    return rec


def _picker_key() -> str:
    """Return the map picker's widget key: one per linked recording (see _linked_recording)."""
    linked = st.session_state.get("cx_an_linked")
    return f"cx_an_map_rec_{linked}" if linked is not None else "cx_an_map_rec"


def _follow_picker(key: str) -> None:
    """Point the page's ``?rec=`` link at the recording just picked for the map."""
    if "rec" in st.query_params:
        st.query_params["rec"] = str(st.session_state[key])


# --- data, cached ---------------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(url: str, signature: str) -> Library:
    return analysis_library.load_library(common.store())


def _dataset(url: str, signature: str) -> Library:
    """Return what the filters offer, read again only when the change log has grown (no event is read)."""
    return _load(url, signature)


def _current(signature: str) -> Library:
    store = common.store()
    return _load(store.url, signature)


@st.cache_resource(max_entries=16, show_spinner=False)
def _where(signature: str, filters: Filters):
    return analysis_library.where_of(_current(signature), filters)


@st.cache_resource(max_entries=8, show_spinner=False)
def _selection(signature: str, filters: Filters):
    """Return the kept events as a frame of columns (read in SQL once per events-version and filters)."""
    return analysis_library.selection_frame(common.store(), _where(signature, filters))


@st.cache_resource(max_entries=16, show_spinner=False)
def _table(signature: str, filters: Filters, sort: str, descending: bool, number: int):
    frame = analysis_library.table_page(common.store(), _current(signature), _where(signature, filters), sort,
                                        descending, number, PAGE_ROWS)
    frame.insert(0, "play", [f"play?rec={r}&t={t:.3f}" for r, t in zip(frame["recording_id"], frame["start_s"])])
    return frame


@st.cache_resource(max_entries=8, show_spinner=False)
def _swimlane(signature: str, filters: Filters, recording_id: int):
    dataset = _current(signature)
    events = analysis_library.selected_events(common.store(), dataset, filters, recording_id)
    return analysis.map_files(dataset, recording_id, events)


@st.cache_resource(max_entries=8, show_spinner=False)
def _graph(signature: str, filters: Filters):
    return analysis_library.flow_graph(_current(signature), _selection(signature, filters))


@st.cache_resource(max_entries=8, show_spinner=False)
def _flow(signature: str, filters: Filters, top: int | None, view: str):
    return analysis.flow_picture(_graph(signature, filters), top=top, view=view)


@st.cache_resource(max_entries=8, show_spinner=False)
def _metrics(signature: str, filters: Filters, by: str):
    return analysis_library.metrics_of(_current(signature), _selection(signature, filters), by)


# --- filters --------------------------------------------------------------------------------------


# --- tabs -----------------------------------------------------------------------------------------


def _deferred(make):
    """Return a download callable that makes the bytes on click (errors become a one-line text file)."""

    def data() -> bytes:
        try:
            return make()
        except AnnotateError as exc:  # no page to show it on: the file says what went wrong
            return f"error: {exc}\n".encode("utf-8")

    return data


PAGE_ROWS = 1000


def _page_controls(rows: int) -> tuple[str, bool, int]:
    """Draw the sort and page pickers of a long table; return (sort, descending, page number)."""
    pages = -(-rows // PAGE_ROWS)
    c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
    sort = c1.selectbox("Sort all rows by", list(analysis_library.SORTS), key="cx_an_sort")
    descending = c2.toggle("Descending", key="cx_an_desc")
    if st.session_state.get("cx_an_page", 1) > pages:
        st.session_state["cx_an_page"] = pages
    number = int(c3.number_input(f"Page (of {pages})", 1, pages, 1, key="cx_an_page"))
    first = (number - 1) * PAGE_ROWS
    st.caption(
        f"Rows {first + 1:,}–{min(first + PAGE_ROWS, rows):,} of {rows:,}. "
        "A click on a column header sorts this page only."
    )
    return sort, descending, number


@st.fragment
def _events_tab(signature: str, filters: Filters) -> None:
    dataset = _current(signature)
    rows = len(_selection(signature, filters))
    if not rows:
        st.info("No event matches the filters." if filters.active else "No events yet: mark some on the Review page.")
    sort, descending, number = _page_controls(rows) if rows > PAGE_ROWS else ("Recording and time", False, 1)
    frame = _table(signature, filters, sort, descending, number)
    st.dataframe(
        frame,
        hide_index=True,
        height=420,
        column_order=["play", "recording_id", "recording", "kind", "time", "label", "stage", "channel", "actor",
                      "emotion", "expectation", "duration_s", "reviewer", "note", "updated_at", "start_s", "end_s", "id"],
        column_config={
            "play": st.column_config.LinkColumn("Play", display_text="▶ play", help="Open on the Play page at this event", width="small"),
            "recording_id": st.column_config.NumberColumn("Rec", format="%d", width="small"),
            "recording": st.column_config.TextColumn("Recording"),
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "time": st.column_config.TextColumn("Time", help="m:ss.mmm from the first frame"),
            "start_s": st.column_config.NumberColumn("Start (s)", format="%.3f"),
            "end_s": st.column_config.NumberColumn("End (s)", format="%.3f"),
            "duration_s": st.column_config.NumberColumn("Duration (s)", format="%.3f"),
            "emotion": st.column_config.NumberColumn("Emotion", format="%+d", width="small"),
            "updated_at": st.column_config.DatetimeColumn("Changed (UTC)", format="YYYY-MM-DD HH:mm"),
            "id": st.column_config.TextColumn("Event id"),
        },
    )
    st.markdown(f"**Download the {rows} events shown**")
    cols = st.columns(4)
    store = common.store()

    def file_of(fmt: str) -> bytes:  # the events as objects only now, on the click
        return analysis.events_file(analysis_library.selected_events(store, dataset, filters), dataset, fmt).data

    for i, fmt in enumerate(FORMATS.values()):
        cols[i % 4].download_button(
            fmt.title, _deferred(lambda f=fmt.name: file_of(f)),
            file_name=f"events{fmt.suffix}", mime=fmt.media_type, key=f"cx_an_dl_{fmt.name}",
            icon=":material/download:", width="stretch", disabled=not rows,
        )


@st.fragment
def _map_tab(signature: str, filters: Filters) -> None:
    dataset = _current(signature)
    kept = _selection(signature, filters)
    ids = sorted(int(r) for r in kept["recording_id"].unique()) or sorted(dataset.recordings)
    linked = st.session_state.get("cx_an_linked")
    if linked in dataset.recordings and linked not in ids:  # a link's recording, even with no event shown
        ids = sorted([*ids, linked])
    key = _picker_key()
    if key in st.session_state and st.session_state[key] not in ids:
        del st.session_state[key]  # the recording it held is filtered out: start from the first one
    index = ids.index(linked) if key != "cx_an_map_rec" and linked in ids else 0
    rec_id = st.selectbox(
        "Recording", ids, index=index, format_func=lambda i: common.recording_label(dataset.recordings[i]),
        key=key, help="The process-activity map of one recording, drawn from the events that pass the filters.",
        on_change=_follow_picker, args=(key,),
    )
    try:
        picture, table = _swimlane(signature, filters, rec_id)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    _map_view(picture, table, rec_id)
    stem = f"map-recording-{rec_id}"
    c1, c2, c3 = st.columns(3)
    c1.download_button("Map as SVG", picture.svg.encode("utf-8"), file_name=f"{stem}.svg", mime="image/svg+xml",
                       key="cx_an_map_svg", icon=":material/download:", width="stretch")
    c2.download_button("Map as PNG", _deferred(picture.png), file_name=f"{stem}.png", mime="image/png",
                       key="cx_an_map_png", icon=":material/download:", width="stretch")
    c3.download_button("Activity table (CSV)", analysis.csv_bytes(table), file_name=f"{stem}-activities.csv",
                       mime="text/csv", key="cx_an_map_csv", icon=":material/download:", width="stretch")


def _map_view(picture, table, rec_id: int) -> None:
    """The map fitted to the width, then its activity table; events on both link to the Review page."""
    links = [nav.link("review", rec=rec_id, t=f"{start:.3f}") for start in table["start_s"]]
    svg_view(picture.svg, key="cx_an_map_view", label="Process-activity map",
             links=dict(zip((str(e) for e in table["event_id"]), links)))
    st.caption(
        "Lanes are actors (dashed line: line of visibility), bands are journey stages; "
        "MOT ● red, INT ■ blue, DEC ◆ green; waits over 30 s are labelled; the strip below is emotion. "
        "Click an event to open it on the Review page at its frame."
    )
    shown = table.drop(columns=["event_id", "start_s"])
    shown.insert(0, "review", links)
    st.dataframe(
        shown, hide_index=True, height=300,
        column_config={
            "review": st.column_config.LinkColumn("Review", display_text="▶ review", width="small",
                                                  help="Open on the Review page at this event's frame"),
            "to_next_s": st.column_config.NumberColumn("To next (s)", format="%.1f"),
            "wait_s": st.column_config.NumberColumn("Wait (s)", format="%.1f"),
            "emotion": st.column_config.NumberColumn("Emotion", format="%+d"),
        },
    )


@st.fragment
def _flow_tab(signature: str, filters: Filters) -> None:
    if _selection(signature, filters).empty:
        st.info("No event matches the filters, so there is no flow to draw.")
        return
    total = _graph(signature, filters).total_nodes
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    view = c1.segmented_control("Edge labels", ["frequency", "time"], default="frequency", key="cx_an_flow_view",
                                format_func=lambda v: "How often" if v == "frequency" else "Median time") or "frequency"
    if total > 1:
        top = c2.slider(
            "Activities shown (most frequent first)", 1, total, min(total, FLOW_DEFAULT_TOP), key="cx_an_flow_top",
        )
    else:
        top = total
    try:
        flow = _flow(signature, filters, None if top >= total else top, view)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    if flow.note:
        st.warning(common.md_text(flow.note), icon=":material/visibility_off:")
    svg_view(flow.picture.svg, key="cx_an_flow_view_svg", label="Flow map")
    with st.expander("Connections and activities as tables"):
        a, b = st.columns(2)
        a.dataframe(maps.edges_table(flow.graph), hide_index=True)
        b.dataframe(maps.nodes_table(flow.graph), hide_index=True)
    stem = "flow-map" + ("" if view == "frequency" else "-time")
    cols = st.columns(4)
    cols[0].download_button("Flow map as SVG", flow.picture.svg.encode("utf-8"), file_name=f"{stem}.svg",
                            mime="image/svg+xml", key="cx_an_flow_svg", icon=":material/download:", width="stretch")
    cols[1].download_button("Flow map as PNG", _deferred(flow.picture.png), file_name=f"{stem}.png", mime="image/png",
                            key="cx_an_flow_png", icon=":material/download:", width="stretch")
    cols[2].download_button("Graphviz .dot", flow.dot.encode("utf-8"), file_name=f"{stem}.dot", mime="text/vnd.graphviz",
                            key="cx_an_flow_dot", icon=":material/download:", width="stretch")
    cols[3].download_button("Interactive HTML", _deferred(lambda: flow_html(flow.graph, view).encode("utf-8")),
                            file_name=f"{stem}.html", mime="text/html", key="cx_an_flow_html",
                            icon=":material/download:", width="stretch")


@st.fragment
def _metrics_tab(signature: str, filters: Filters) -> None:
    by = st.segmented_control("Group by", list(_GROUPINGS), default="recording", format_func=_GROUPINGS.get,
                              key="cx_an_metrics_by") or "recording"
    try:
        table = _metrics(signature, filters, by)
    except AnnotateError as exc:
        common.show_error(exc)
        return
    if _selection(signature, filters).empty:
        st.info("No event matches the filters; the metrics below are empty.")
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Metrics as CSV", analysis.csv_bytes(table), file_name=f"metrics-by-{by}.csv", mime="text/csv",
        key="cx_an_metrics_csv", icon=":material/download:",
    )
    with st.expander("What each metric measures (formulas in docs/metrics.md)"):
        st.html(
            "<table style='font-size:0.85rem'>"
            + "".join(
                f"<tr><td>{n}</td><td><code>{html.escape(col)}</code></td><td>{html.escape(what)}</td></tr>"
                for n, col, what in maps.METRICS
            )
            + "</table>"
        )


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
