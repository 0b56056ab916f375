// The review player's command queue: every mark, end, undo and delete is a command with an id, kept (and
// saved in sessionStorage) until the server lists it as acked. First choice: a POST to the command route,
// whose answer is the stored list; fallback: the trigger `cmd`, which reruns the player's fragment. A
// command the server could not store just then comes back with `retry` and is sent again with a growing delay.

import { hex32 } from "./util.js";

const PENDING_ROW_DELAY_MS = 150; // a mark not stored by then is listed as "saving…"
const WAITING_AFTER_MS = 4000; // a command queued longer than this is shown as waiting to be saved
const RETRY_MIN_MS = 1000, RETRY_MAX_MS = 30000; // the delay between resends of refused commands doubles up to this

export class Queue {
  takeStored(s) {
    // Keep whichever stored list is newer (a larger change-log token); a list without a token is taken as it
    // comes. Returns false when `s` holds only changes to a list this player no longer has.
    if (!s) return true;
    const t = s.token == null ? null : Number(s.token);
    if (this.stored && t != null && this.stored.token != null && t < this.stored.token) return true;
    let events = s.events;
    if (!Array.isArray(events)) {
      if (!Array.isArray(s.upserts)) return true;
      if (!this.stored || this.stored.token !== s.since) return this.stored && this.stored.token === t;
      const gone = new Set(s.removed || []);
      for (const r of s.upserts) gone.add(r[0]);
      events = this.stored.events.filter((r) => !gone.has(r[0])).concat(s.upserts);
    }
    this.stored = { token: t, events, version: s.version, open: s.open || {} };
    return true;
  }

  dropAcked(ids) {
    const acked = new Set(ids || []);
    const before = this.pending.length;
    this.pending = this.pending.filter((c) => !acked.has(c.id));
    if (this.pending.length !== before) this.savePending();
  }

  pendingKey() { return `cx-annotate-pending-${this.recId}`; }

  loadPending() {
    try { return JSON.parse(sessionStorage.getItem(this.pendingKey()) || "[]").filter((c) => c.op === "mark" || c.op === "end"); }
    catch (_) { return []; }
  }

  savePending() {
    try {
      const keep = this.pending.filter((c) => c.op === "mark" || c.op === "end");
      if (keep.length) sessionStorage.setItem(this.pendingKey(), JSON.stringify(keep));
      else sessionStorage.removeItem(this.pendingKey());
    } catch (_) { /* storage full or blocked: the queue still lives in memory */ }
  }

  send(cmd) {
    cmd.id = hex32();
    cmd.queued = Date.now();
    this.clearNotice();
    this.pending.push(cmd);
    this.savePending();
    this.flush();
    // The flash shows at once. The list and the timeline wait a moment for the stored row: drawing a
    // "saving…" row first costs a layout and paint of the page that would delay the stored one.
    setTimeout(() => { this.indexEvents(); this.overlaySoon(); }, 0);
    clearTimeout(this.pendingTimer);
    this.pendingTimer = setTimeout(() => this.renderAll(), PENDING_ROW_DELAY_MS);
  }

  flush() {
    if (!this.pending.length) return;
    const route = this.data.commands;
    if (route && route.url && route.token && performance.now() >= this.postOffUntil) {
      if (!this.posting) this.post(route); // else the rest go when the batch on its way is answered
      return;
    }
    this.flushTrigger();
  }

  flushTrigger() {
    // The fallback: the commands ride on a rerun of the player's fragment.
    if (!this.trigger || !this.pending.length) return;
    this.lastFlush = performance.now();
    this.trigger("cmd", this.pending.map((c) => ({ ...c })));
  }

  askRerun() {
    // Something the rest of the page shows has changed (status, an error): rerun without waiting for it.
    if (this.trigger) this.trigger("cmd", this.pending.map((c) => ({ ...c })));
  }

  async post(route) {
    this.posting = true;
    this.postCount = (this.postCount || 0) + 1;
    this.lastFlush = performance.now();
    const rec = this.recId;
    let answer = null;
    try {
      const r = await fetch(route.url, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        // The token rides in a header: the server checks it before it reads the body.
        headers: { "Content-Type": "application/json", "X-CX-Token": route.token },
        body: JSON.stringify({
          commands: this.pending.map((c) => ({ ...c })),
          since: this.fullNext || !this.stored ? null : this.stored.token,
        }),
      });
      if (r.ok) answer = await r.json();
    } catch (_) { /* unreachable: fall back below */ }
    this.posting = false;
    if (rec !== this.recId) return;
    if (!answer) {
      this.postOffUntil = performance.now() + 15000;
      this.postOffToken = route.token;
      this.flushTrigger();
      return;
    }
    this.fullNext = !this.applyAnswer(answer);
    const refused = (answer.results || []).some((r) => r.retry);
    this.backoff(refused);
    if (answer.rerun) this.askRerun();
    if (this.fullNext && !refused) this.post(route); // the list changed under the answer: ask for all of it
    else if (this.pending.length && !answer.rerun && !refused) this.flush();
  }

  backoff(refused) {
    // After the server said "retry" (busy database) wait 1 s, 2 s, 4 s … up to 30 s before resending.
    this.retryDelay = refused ? Math.min(Math.max(this.retryDelay * 2, RETRY_MIN_MS), RETRY_MAX_MS) : 0;
    this.retryAt = refused ? performance.now() + this.retryDelay : 0;
    this.updateStatus();
  }

  applyAnswer(a) {
    // Returns false when the answer held changes to a list this player no longer has.
    const merged = this.takeStored(a);
    this.takeSuggestions(a.suggestions);
    this.dropAcked(a.acked);
    for (const msg of a.errors || []) {
      if (!this.shownErrors.has(msg)) { this.shownErrors.add(msg); this.toast(msg, true); }
    }
    for (const r of a.results || []) {
      if (r.op === "undo" && r.ok) { this.noticeId = r.id; this.showNotice(r.message); }
    }
    this.renderAll();
    if (this.selected && this.rowEls && !this.rowEls.has(this.selected)) this.select(null, false);
    return merged;
  }

  retry() {
    if (this.pending.length || this.ui.saving.textContent) this.updateStatus(); // "saving…" turns into "waiting"
    if (!this.pending.length || performance.now() - this.lastFlush <= 2500) return;
    if (performance.now() < this.retryAt) return; // the server asked for a pause (busy database)
    if (this.posting) {
      // A POST that hangs must not hold the marks back: try the rerun path, once per POST (on a busy
      // database each rerun waits out the busy timeout too, holding the review session meanwhile).
      if (this.triggeredFor !== this.postCount) { this.triggeredFor = this.postCount; this.flushTrigger(); }
    } else this.flush();
  }

  savingText() {
    const n = this.pending.length;
    if (!n) return "";
    const oldest = Math.min(...this.pending.map((c) => c.queued || Date.now()));
    if (!this.retryDelay && Date.now() - oldest < WAITING_AFTER_MS) return `saving ${n}…`;
    const marks = this.pending.every((c) => c.op === "mark" || c.op === "end");
    const what = marks ? (n === 1 ? "mark" : "marks") : (n === 1 ? "change" : "changes");
    return `${n} ${what} waiting to be saved — retrying`;
  }
}
