// The review player's transcript, beside the event list: the recording's lines (time, speaker, text) from
// the app's route (GET /cx/transcript/{id}, fetched once per imported transcript), the line being heard
// highlighted while playing, a click on a line to go to its start, a search box that keeps the lines holding
// the words typed, and a kind's button on each line that marks an event at the line's start with the
// line's text as its note. User text only ever goes into the page as textContent.

import { el, fmt } from "./util.js";

export class Transcript {
  loadTranscript() {
    const t = this.data.transcript;
    const id = t ? t.id : null;
    this.ui.tabs.hidden = !t;
    if (!t) this.showTab("events");
    if (id === this.transcriptId) return;
    this.transcriptId = id;
    this.tlines = [];
    this.ui.tlines.replaceChildren();
    this.curLine = -1;
    if (!t) return;
    fetch(t.url, { credentials: "same-origin", cache: "no-store" })
      .then((r) => (r.ok ? r.json() : null))
      .then((j) => { if (j && j.id === this.transcriptId) this.renderTranscript(j.lines || []); })
      .catch(() => this.toast("the transcript could not be loaded; reload the page", true));
  }

  renderTranscript(lines) {
    this.tlines = lines.map((l, i) => ({ i, s: l[0], e: l[1], who: l[2] || "", text: l[3] || "" }));
    const kinds = this.data.kinds || [];
    const rows = this.tlines.map((l) => {
      const row = el("div", "cx-tline");
      row.dataset.line = String(l.i);
      const marks = el("span", "cx-tmarks");
      for (const k of kinds) {
        const b = el("button", "cx-tmark", k.short);
        b.type = "button";
        b.dataset.act = "tmark";
        b.dataset.kind = k.value;
        b.style.background = k.color;
        b.title = `Mark a ${k.title} at this line's start, with its text as the note`;
        marks.appendChild(b);
      }
      row.append(el("span", "cx-ttime", fmt(l.s).slice(this.duration() < 3600 ? 3 : 0)),
        el("b", "cx-tspeaker", l.who), el("span", "cx-ttext", l.text), marks);
      l.row = row;
      return row;
    });
    this.ui.tlines.replaceChildren(...rows);
    this.filterTranscript();
  }

  showTab(name) {
    const transcript = name === "transcript";
    this.ui.tpane.hidden = !transcript;
    this.ui.listbox.hidden = transcript;
    for (const b of this.ui.tabs.querySelectorAll("button")) b.classList.toggle("on", b.dataset.tab === name);
  }

  onTranscriptClick(e) {
    const mk = e.target.closest && e.target.closest("button[data-act=tmark]");
    const row = e.target.closest && e.target.closest(".cx-tline");
    if (!row) return;
    const l = this.tlines[Number(row.dataset.line)];
    if (!l) return;
    if (mk) {
      e.stopPropagation();
      this.markAt(mk.dataset.kind, l.s + this.offset(), l.text);
      mk.blur();
      return;
    }
    this.seekFrame(l.s);
  }

  followTranscript() {
    // The line heard now: the last one starting at or before the time shown (lines are in time order).
    const lines = this.tlines;
    if (!lines || !lines.length) return;
    const t = this.relTime(this.shownMediaTime());
    let lo = -1, hi = lines.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (lines[mid].s <= t + 1e-6) lo = mid; else hi = mid - 1; }
    const cur = lo >= 0 && t < Math.max(lines[lo].e, lines[lo].s) + 0.001 ? lo : -1;
    if (cur === this.curLine) return;
    if (this.curLine >= 0 && lines[this.curLine]) lines[this.curLine].row.classList.remove("cur");
    this.curLine = cur;
    if (cur >= 0) {
      lines[cur].row.classList.add("cur");
      if (!this.ui.tpane.hidden && !this.ui.video.paused) lines[cur].row.scrollIntoView({ block: "nearest" });
    }
  }

  filterTranscript() {
    const words = (this.ui.tsearch.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const l of this.tlines || []) {
      const hay = `${l.who} ${l.text}`.toLowerCase();
      const keep = words.every((w) => hay.includes(w));
      l.row.hidden = !keep;
      if (keep) shown += 1;
    }
    const n = (this.tlines || []).length;
    this.ui.tcount.textContent = words.length ? `${shown} of ${n} lines` : `${n} lines`;
  }
}
