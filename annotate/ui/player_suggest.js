// The review player's suggested moments (annotate/suggest): their own lane on the timeline, N / Shift+N to
// jump to the next / previous open one, Enter to accept it as its suggested kind (M / I / D as another),
// X to dismiss it; and "skip silences", which plays through the silences the analysis found.
//
// Suggestions arrive as rows [id, type, start, end, reason, kind index, score, state] (see
// annotate.ui.player_data.suggestion_rows) with the page's data and with every command answer, so an answer
// (accepted, dismissed) shows at once. Accepting is a command like a mark ({op: "accept", suggestion, kind}):
// queued, retried and applied once; the event it makes is the reviewer's, and Z undoes it.

import { el, fmt } from "./util.js";

const NEAR_S = 0.25; // the current suggestion stays current while the picture is this near its start
const SKIP_KEY = "cx-annotate-skip-silences";
const SKIP_MARGIN_S = 0.3; // the last moments of a silence are played: speech starts there

export class Suggest {
  takeSuggestions(rows) {
    if (!Array.isArray(rows)) return;
    const kinds = this.data.kinds || [];
    this.suggestions = rows.map((r) => ({
      id: r[0], type: r[1], s: r[2], e: r[3], reason: r[4] || "", kind: (kinds[r[5]] || {}).value, score: r[6], state: r[7],
    })).sort((a, b) => a.s - b.s);
    this.suggestSig = null;
    if (this.currentSuggestion && !this.openSuggestion(this.currentSuggestion)) this.currentSuggestion = null;
  }

  openSuggestion(id) {
    return (this.suggestions || []).find((x) => x.id === id && x.state === "open") || null;
  }

  renderSuggestLane(d) {
    const list = this.suggestions || [];
    if (!this.laneRow || this.laneRow.parentNode !== this.ui.rows) {
      this.laneRow = el("div", "cx-row cx-lane");
      const name = el("span", "cx-rowname cx-lanename", "SUG");
      name.title = "Suggested moments: N / Shift+N to go to one, Enter to accept, X to dismiss";
      this.laneRow.appendChild(name);
      this.ui.rows.appendChild(this.laneRow);
      this.sgEls = new Map();
      this.suggestSig = null;
    }
    this.laneRow.hidden = list.length === 0;
    const sig = `${d}|${this.currentSuggestion}|${list.map((x) => x.id + x.state).join()}`;
    if (sig === this.suggestSig || !(d > 0)) return;
    this.suggestSig = sig;
    const wanted = new Set(list.map((x) => x.id));
    for (const [id, m] of this.sgEls) if (!wanted.has(id)) { m.remove(); this.sgEls.delete(id); }
    for (const x of list) {
      let m = this.sgEls.get(x.id);
      if (!m) { m = el("div"); m.dataset.suggestionId = x.id; this.sgEls.set(x.id, m); this.laneRow.appendChild(m); }
      m.className = `cx-sg ${x.type} ${x.state}${x.id === this.currentSuggestion ? " cur" : ""}`;
      m.style.left = `${((Math.min(x.s / d, 1)) * 100).toFixed(3)}%`;
      m.style.width = x.e != null ? `${(((x.e - x.s) / d) * 100).toFixed(3)}%` : "";
      m.title = `${fmt(x.s)} ${x.reason} (${x.state})`;
    }
  }

  pickSuggestion(id, seek) {
    const x = (this.suggestions || []).find((y) => y.id === id);
    if (!x) return;
    this.currentSuggestion = x.state === "open" ? x.id : null;
    if (seek) this.seekFrame(x.s);
    const k = this.kindInfo(x.kind);
    const what = x.state === "open"
      ? `Enter: accept as ${k.short} · ${(this.data.kinds || []).map((y) => y.key).join("/")}: as another kind · X: dismiss`
      : `already ${x.state}`;
    this.showNotice(`Suggestion at ${fmt(x.s)}: ${x.reason}. ${what}`);
    this.suggestSig = null;
    this.renderSuggestLane(this.duration());
  }

  jumpSuggestion(dir) {
    const t = this.relTime(this.shownMediaTime());
    const open = (this.suggestions || []).filter((x) => x.state === "open");
    const x = dir > 0 ? open.find((y) => y.s > t + 1e-3) : open.slice().reverse().find((y) => y.s < t - 1e-3);
    if (!x) { this.toast(dir > 0 ? "no open suggestion after this point" : "no open suggestion before this point"); return; }
    this.pickSuggestion(x.id, true);
  }

  activeSuggestion() {
    const x = this.currentSuggestion && this.openSuggestion(this.currentSuggestion);
    if (!x) return null;
    // The frame on screen (requestVideoFrameCallback) may not have been reported yet after the seek that
    // showed the suggestion: the element's own time counts too.
    const near = (media) => Math.abs(this.relTime(media) - x.s) <= NEAR_S;
    return near(this.shownMediaTime()) || near(this.ui.video.currentTime) ? x : null;
  }

  answerSuggestion(op, kind) {
    const x = this.activeSuggestion();
    if (!x) return false;
    this.currentSuggestion = null;
    this.send(op === "accept" ? { op, suggestion: x.id, kind: kind || x.kind } : { op, suggestion: x.id });
    x.state = op === "accept" ? "accepted" : "dismissed"; // shown now; the answer confirms it
    this.suggestSig = null;
    this.renderSuggestLane(this.duration());
    return true;
  }

  suggestKey(e, key) {
    // Returns true when the key was about a suggestion.
    if (key === "n") { this.jumpSuggestion(e.shiftKey ? -1 : 1); return true; }
    if (key === "x") return this.answerSuggestion("dismiss");
    if (key === "Enter") return this.answerSuggestion("accept");
    const hk = (this.data.hotkeys || {})[key];
    if (hk && !hk.label && !e.shiftKey && this.activeSuggestion()) return this.answerSuggestion("accept", hk.kind);
    return false;
  }

  toggleSkipSilences(force) {
    this.skipSilences = force === undefined ? !this.skipSilences : !!force;
    try { localStorage.setItem(SKIP_KEY, this.skipSilences ? "1" : ""); } catch (_) { /* private mode */ }
    if (this.ui.skip) { this.ui.skip.classList.toggle("on", this.skipSilences); this.ui.skip.setAttribute("aria-pressed", String(this.skipSilences)); }
  }

  skipSilence() {
    // Called for each frame shown: inside a silence (with time to spare), go to its end.
    const v = this.ui.video;
    if (!this.skipSilences || v.paused || v.seeking) return;
    const t = this.relTime(this.shownMediaTime());
    const gap = (this.suggestions || []).find((x) => x.type === "silence" && x.e != null && x.s <= t && t < x.e - SKIP_MARGIN_S);
    if (gap) this.seekRel(gap.e - SKIP_MARGIN_S);
  }

  skipButton() {
    const b = el("button", "cx-skip", "Skip silences");
    b.type = "button";
    b.dataset.act = "skipsil";
    b.title = "Play through the silences the analysis found";
    let saved = "";
    try { saved = localStorage.getItem(SKIP_KEY) || ""; } catch (_) { /* private mode */ }
    this.ui.skip = b;
    this.toggleSkipSilences(saved === "1");
    return b;
  }
}
