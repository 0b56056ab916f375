// The review player's event list and timeline: keyed by event id so a mark touches one row and one marker,
// and selecting an event (a click in either) for the edit form.

import { el, fmt } from "./util.js";

const pct = (x) => `${(Math.min(Math.max(x, 0), 1) * 100).toFixed(3)}%`;

export class Timeline {
  select(id, seek) {
    this.selected = id || null;
    this.highlight(false);
    const ev = id ? this.sorted.find((x) => x.id === id) : null;
    if (seek && ev) this.seekFrame(ev.s);
    // The edit form lives in another fragment; its bridge component forwards this to the server.
    window.dispatchEvent(new CustomEvent("cx-annotate-select", { detail: { rec: this.recId, id: this.selected } }));
  }

  onTimelineClick(e) {
    const sg = e.target.closest && e.target.closest("[data-suggestion-id]");
    if (sg) { this.pickSuggestion(sg.dataset.suggestionId, true); return; }
    const mk = e.target.closest && e.target.closest("[data-event-id]");
    if (mk) { this.select(mk.dataset.eventId, true); return; }
    const row = this.ui.rows.querySelector(".cx-row");
    if (!row) return;
    const r = row.getBoundingClientRect();
    const frac = Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1);
    this.seekFrame(frac * this.duration());
  }

  onListClick(e) {
    const tr = e.target.closest && e.target.closest("tr[data-event-id]");
    if (tr) this.select(tr.dataset.eventId, true);
  }

  renderList() {
    // Keyed by event id: only rows that are new, changed or gone touch the DOM, so a mark on a
    // recording with 500 events costs one row, not 500.
    const key = `${this.stored && this.stored.version}|${this.sorted.length}|${this.pending.map((c) => c.id).join(",")}`;
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const body = this.ui.list;
    const rows = this.rowEls || (this.rowEls = new Map());
    const wanted = new Set(this.sorted.map((e) => e.id));
    for (const [id, entry] of rows) if (!wanted.has(id)) { entry.tr.remove(); rows.delete(id); }
    const counts = {};
    let cursor = body.firstChild;
    for (const ev of this.sorted) {
      const k = this.kindInfo(ev.kind);
      if (!ev.pending) counts[k.short] = (counts[k.short] || 0) + 1;
      const sig = `${ev.kind}|${ev.s}|${ev.e}|${ev.label}|${ev.stage}|${ev.who}|${ev.pending}`;
      let entry = rows.get(ev.id);
      if (!entry) {
        entry = { tr: el("tr"), sig: null };
        entry.tr.dataset.eventId = ev.id;
        rows.set(ev.id, entry);
      }
      if (entry.sig !== sig) { this.fillRow(entry.tr, ev, k); entry.sig = sig; }
      if (entry.tr !== cursor) body.insertBefore(entry.tr, cursor);
      else cursor = cursor.nextSibling;
    }
    this.ui.empty.hidden = this.sorted.length > 0;
    const total = this.sorted.length - this.sorted.filter((e) => e.pending).length;
    const byKind = (this.data.kinds || []).map((k) => `${k.short} ${counts[k.short] || 0}`).join(" · ");
    this.ui.count.textContent = `${total} event${total === 1 ? "" : "s"} — ${byKind}`;
    this.highlight(false);
  }

  fillRow(tr, ev, k) {
    tr.className = ev.pending ? "pending" : "";
    if (this.selected === ev.id) tr.classList.add("sel");
    tr.dataset.kind = ev.kind;
    const chip = el("span", "cx-chip", k.short);
    chip.style.background = k.color;
    const c1 = el("td");
    c1.appendChild(chip);
    // Hours are left out of recordings shorter than an hour to leave room for the label.
    const short = (t) => (this.duration() < 3600 ? fmt(t).slice(3) : fmt(t));
    const time = ev.e != null ? `${short(ev.s)}–${short(ev.e)}` : short(ev.s);
    const stage = el("td", "stage", ev.stage || "");
    const who = el("td", "who", ev.who || "");
    stage.title = ev.stage || "";
    who.title = ev.who || "";
    tr.replaceChildren(c1, el("td", "cx-time", time), el("td", "lbl", ev.pending ? "saving…" : ev.label), stage, who);
  }

  highlight(scroll) {
    const id = this.selected;
    const tr = id && this.rowEls ? (this.rowEls.get(id) || {}).tr : null;
    const mk = id && this.markEls ? (this.markEls.get(id) || {}).mk : null;
    if (this.selTr && this.selTr !== tr) this.selTr.classList.remove("sel");
    if (this.selMk && this.selMk !== mk) this.selMk.classList.remove("sel");
    this.selTr = tr; this.selMk = mk;
    if (tr) { tr.classList.add("sel"); if (scroll) tr.scrollIntoView({ block: "nearest" }); }
    if (mk) mk.classList.add("sel");
  }

  renderTimeline(resized) {
    const d = this.duration();
    if (this.renderTimelineRows()) resized = true;
    const key = `${this.renderedKey}|${d}`;
    if (!resized && key === this.timelineKey) return;
    this.timelineKey = key;
    const rowsBox = this.ui.rows;
    if (resized || !this.tlWidth) this.tlWidth = rowsBox.firstChild ? rowsBox.firstChild.clientWidth : 0;
    if (!(d > 0)) return;
    this.placeMarks(d);
    this.placeMarkLabels(d);
    this.renderSuggestLane(d);
    this.highlight(false);
    this.updateClock();
  }

  renderTimelineRows() {
    // One row per kind; returns true when the rows were made afresh (the kinds changed).
    const kinds = this.data.kinds || [];
    const kindsKey = kinds.map((k) => k.value + k.color).join();
    if (kindsKey === this.kindsKey) return false;
    this.kindsKey = kindsKey;
    const rowsBox = this.ui.rows;
    rowsBox.replaceChildren();
    this.rowOf = {};
    this.markEls = new Map();
    for (const k of kinds) {
      const row = el("div", "cx-row");
      const name = el("span", "cx-rowname", k.short);
      name.style.background = k.color;
      name.title = k.title;
      row.appendChild(name);
      rowsBox.appendChild(row);
      this.rowOf[k.value] = row;
    }
    return true;
  }

  placeMarks(d) {
    // A marker per event (and a bar per duration), keyed by event id: only new or changed ones touch the DOM.
    const marks = this.markEls;
    const wanted = new Set(this.sorted.map((e) => e.id));
    for (const [id, m] of marks) if (!wanted.has(id)) { m.mk.remove(); if (m.span) m.span.remove(); marks.delete(id); }
    for (const ev of this.sorted) {
      const row = this.rowOf[ev.kind];
      if (!row) continue;
      const sig = `${ev.kind}|${ev.s}|${ev.e}|${ev.label}|${ev.pending}|${d}`;
      let m = marks.get(ev.id);
      if (m && m.sig === sig) continue;
      const k = this.kindInfo(ev.kind);
      if (!m) {
        m = { mk: el("div"), span: null, sig: null };
        m.mk.dataset.eventId = ev.id;
        marks.set(ev.id, m);
      }
      if (m.mk.parentNode !== row) row.appendChild(m.mk);
      m.mk.className = `cx-mk ${k.marker}${ev.pending ? " pending" : ""}${ev.id === this.selected ? " sel" : ""}`;
      m.mk.style.left = pct(ev.s / d);
      m.mk.style.background = k.color;
      m.mk.title = `${k.short} ${fmt(ev.s)}${ev.label ? " " + ev.label : ""}`;
      if (ev.e != null) {
        if (!m.span) { m.span = el("div", "cx-span"); m.span.dataset.eventId = ev.id; }
        if (m.span.parentNode !== row) row.insertBefore(m.span, row.children[1] || null);
        m.span.style.left = pct(ev.s / d);
        m.span.style.width = pct((ev.e - ev.s) / d);
        m.span.style.background = k.color;
      } else if (m.span) { m.span.remove(); m.span = null; }
      m.sig = sig;
    }
  }

  placeMarkLabels(d) {
    // Short names beside the markers wherever they do not overlap (a few dozen elements at most).
    const rowsBox = this.ui.rows;
    for (const lab of rowsBox.querySelectorAll(".cx-mklabel")) lab.remove();
    const width = this.tlWidth;
    const last = {};
    for (const ev of this.sorted) {
      const row = this.rowOf[ev.kind];
      if (!row || !width) continue;
      const px = Math.min(ev.s / d, 1) * width;
      if (last[ev.kind] !== undefined && px - last[ev.kind] <= 34) continue;
      const k = this.kindInfo(ev.kind);
      const lab = el("span", "cx-mklabel", k.short);
      lab.style.left = pct(ev.s / d);
      lab.style.color = k.color;
      row.appendChild(lab);
      last[ev.kind] = px;
    }
  }
}
