"""The Analyse page's agreement panel: how well two coders agree on the chosen recordings (event matching
with F1, Cohen's kappa over time slices, kappa per field of the matched pairs; docs/agreement.md).

Widgets only: the figures are :func:`annotate.app.agreement.agreement_of`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from annotate.app import team
from annotate.app.agreement import agreement_of
from annotate.errors import AnnotateError
from annotate.ui import common

if TYPE_CHECKING:
    from annotate.store import Store


def panel(store: Store) -> None:
    """Draw the panel in an expander: recordings, two coders, tolerance and slice; then the figures."""
    recs = store.list_recordings()
    if not recs:
        return
    by_id = {r.id: r for r in recs}
    doubled = sorted({a.recording_id for a in store.assignments.list()} & set(by_id))
    with st.expander("Agreement between coders", icon=":material/compare_arrows:", expanded=False):
        chosen = st.multiselect("Recordings", list(by_id), default=doubled,
                                format_func=lambda i: common.recording_label(by_id[i]), key="cx_agree_recs")
        if not chosen:
            st.caption("Pick the recordings two reviewers coded.")
            return
        coders = store.consensus.coders_on(chosen)
        if len(coders) < 2:
            st.caption("These recordings have fewer than two coders.")
            return
        c1, c2, c3, c4 = st.columns(4)
        a = c1.selectbox("Coder A", coders, key="cx_agree_a")
        b = c2.selectbox("Coder B", [c for c in coders if c != a], key="cx_agree_b")
        tol = c3.number_input("Tolerance (s)", 0.0, 60.0, 1.0, 0.5, key="cx_agree_tol")
        slice_s = c4.number_input("Slice (s)", 0.1, 60.0, 1.0, 0.5, key="cx_agree_slice")
        try:
            report, _, _ = agreement_of(store, chosen, (a, b), float(tol), float(slice_s))
        except AnnotateError as exc:
            common.show_error(exc)
            return
        _show(report)


def _show(report) -> None:
    """The figures: F1 and kappa as metrics, the table per kind, kappa per field."""
    def num(value) -> str:
        return "—" if value is None else f"{float(value):.3f}"

    k = report.slices
    cols = st.columns(4)
    cols[0].metric("F1 (B against A)", num(report.overall.f1))
    cols[1].metric("Cohen's kappa", num(k.kappa))
    cols[2].metric("Observed agreement", num(k.observed))
    cols[3].metric("Chance agreement", num(k.chance))
    st.dataframe(team.figures(report), hide_index=True, key="cx_agree_table")
    fields = [{"field": name, "pairs": f.units, "kappa": None if f.kappa is None else round(float(f.kappa), 3),
               "observed": None if f.observed is None else round(float(f.observed), 3)}
              for name, f in report.fields.items()]
    if fields:
        st.caption("Per field, over the matched pairs")
        st.dataframe(fields, hide_index=True, key="cx_agree_fields")
