// cx-annotate review player: video, keyboard marking, timeline, event list, live flash.
//
// Streamlit calls the default export on mount and again whenever `data` changes, with
// the same parentElement; one Player per parentElement keeps the <video> and its
// state across reruns. The browser never decides what is stored: every mark is a
// command with an id (and an event id) that is re-sent until the server lists it as
// acked, so a command lost on the way is retried and applied once.
//
// Two paths carry commands. First choice: a POST to the command route
// (`data.commands.url`, with the review session's token in the X-CX-Token header), whose answer is the stored
// list, shown at once without a Streamlit rerun. Fallback, when the POST fails or the
// route answers an error: the trigger `cmd`, which reruns the player's fragment. The
// server applies a command id once whichever path brings it. Both kinds of answer carry
// `token`, the change-log id the list reflects; the newer list wins, so a slow rerun
// never takes back a row a POST answer already showed.
//
// A command the server could not store just then (the database was busy) comes back
// with `retry` and is not acked: it stays queued and is sent again with a growing delay,
// and the bar says how many marks are waiting until they are stored. What an undo undid
// is said in the status line above the event list until the reviewer's next command.
//
// Times: `mediaTime` from requestVideoFrameCallback is the presentation time of the
// frame on screen on the played file's own timeline; `data.offset` (the file's first
// frame time) converts it to seconds from the first frame. User text is only ever put
// into the page with textContent.

const PLAYERS = new Set();
const BY_ROOT = new WeakMap();
const SEEK_EPS = 0.0001; // land just after a frame's time so the browser shows that frame
const PENDING_ROW_DELAY_MS = 150; // a mark not stored by then is listed as "saving…"
const WAITING_AFTER_MS = 4000; // a command queued longer than this is shown as waiting to be saved
const RETRY_MIN_MS = 1000, RETRY_MAX_MS = 30000; // the delay between resends of refused commands doubles up to this
let keysInstalled = false;

function hex32() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function fmt(t) {
  if (t == null || !isFinite(t)) return "--:--:--.---";
  const ms = Math.max(0, Math.round(t * 1000));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  const p = (n, w) => String(n).padStart(w, "0");
  return `${p(h, 2)}:${p(m, 2)}:${p(s, 2)}.${p(ms % 1000, 3)}`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

function isTyping(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
  if (tag === "INPUT") {
    const type = (target.type || "text").toLowerCase();
    return !["button", "checkbox", "radio", "range", "submit", "reset", "file", "color"].includes(type);
  }
  const role = target.getAttribute && target.getAttribute("role");
  return role === "textbox" || role === "combobox" || role === "searchbox";
}

function upperBound(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
  return lo;
}

function nearestIndex(arr, x) {
  const i = upperBound(arr, x);
  if (i <= 0) return 0;
  if (i >= arr.length) return arr.length - 1;
  return (arr[i] - x) < (x - arr[i - 1]) ? i : i - 1;
}

function activePlayer() {
  let found = null;
  for (const p of PLAYERS) if (p.root.isConnected || (p.host && p.host.isConnected)) found = p;
  return found;
}

function onKeyDown(e) {
  const p = activePlayer();
  if (!p || e.defaultPrevented) return;
  const target = (e.composedPath && e.composedPath()[0]) || e.target;
  if (isTyping(target)) {
    if (e.key === "Escape" && target.blur) target.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Enter" && target.closest && target.closest("button, a, [role=button]")) return;
  // Holding a stepping key scrubs; holding a marking key must not mark twenty times.
  if (e.repeat && ![",", ".", "ArrowLeft", "ArrowRight"].includes(e.key)) return;
  if (p.handleKey(e)) { e.preventDefault(); e.stopPropagation(); }
}

class Player {
  constructor(root) {
    this.root = root;
    this.host = root.host || null;
    const q = (r) => root.querySelector(`[data-role="${r}"]`);
    this.ui = {
      stage: q("stage"), video: q("video"), overlay: q("overlay"), msg: q("msg"), help: q("help"),
      helpTable: q("help-table"), play: q("play"), clock: q("clock"), rate: q("rate"), open: q("open"),
      saving: q("saving"), markbtns: q("markbtns"), timeline: q("timeline"), rows: q("rows"),
      playhead: q("playhead"), waiting: q("waiting"), notice: q("notice"), count: q("count"), list: q("list"), listbox: q("listbox"),
      empty: q("empty"),
    };
    this.data = {};
    this.stored = null; // the newest stored list seen: { token, events, version, open }
    this.pending = [];
    this.trigger = null;
    this.posting = false;
    this.postOffUntil = 0; // after a failed POST, use the trigger for a while (until a new token)
    this.postOffToken = null;
    this.fullNext = false; // the next POST asks for the whole list (an answer could not be merged)
    this.retryDelay = 0; // the current resend delay after the server said "retry" (0: none)
    this.retryAt = 0; // no resend by the timer before this time
    this.noticeId = undefined; // the id of the undo whose message was shown (undefined: not mounted yet)
    this.noticeShown = false; // the status line shows an undo's message (cleared by the next command)
    this.mediaTime = null;
    this.frameTimes = null;
    this.src = null;
    this.recId = null;
    this.seekNonce = null;
    this.blurNonce = null;
    this.selected = null;
    this.shownErrors = new Set();
    this.step = null;
    this.lastFlush = 0;
    this.renderedKey = null;
    this.sorted = [];
    this.spans = [];
    this.maxWindow = 3;
    const v = this.ui.video;
    v.addEventListener("loadedmetadata", () => this.onMetadata());
    v.addEventListener("play", () => this.updateButtons());
    v.addEventListener("pause", () => this.updateButtons());
    v.addEventListener("ratechange", () => this.updateButtons());
    v.addEventListener("seeked", () => { if (!("requestVideoFrameCallback" in v)) this.onFrame(null, null); });
    v.addEventListener("error", () => this.showMsg("The browser cannot play this file. Make a browser proxy on the Library page."));
    v.addEventListener("click", () => this.togglePlay());
    root.addEventListener("click", (e) => this.onClick(e));
    this.ui.timeline.addEventListener("click", (e) => this.onTimelineClick(e));
    this.ui.list.addEventListener("click", (e) => this.onListClick(e));
    this.onFrame = this.onFrame.bind(this);
    this.startFrameLoop();
    this.overlaySize = null; // the overlay's CSS size, kept here so drawing never forces a layout
    this.resize = new ResizeObserver((entries) => {
      for (const en of entries) if (en.target === this.ui.stage) this.overlaySize = [en.contentRect.width, en.contentRect.height];
      this.drawOverlay(); this.renderTimeline(true); this.updateClock();
    });
    this.resize.observe(this.ui.stage);
    this.resize.observe(this.ui.timeline);
    this.timer = setInterval(() => this.retry(), 1000);
    PLAYERS.add(this);
    if (!keysInstalled) { window.addEventListener("keydown", onKeyDown, true); keysInstalled = true; }
  }

  destroy() {
    clearInterval(this.timer);
    clearTimeout(this.pendingTimer);
    cancelAnimationFrame(this.overlayFrame);
    this.resize.disconnect();
    try { this.ui.video.pause(); } catch (_) { /* detached */ }
    PLAYERS.delete(this);
    if (PLAYERS.size === 0 && keysInstalled) { window.removeEventListener("keydown", onKeyDown, true); keysInstalled = false; }
  }

  // --- data from the server --------------------------------------------------

  update(data, trigger) {
    performance.mark("cx-update-start");
    this.trigger = trigger;
    this.data = data || {};
    const d = this.data;
    if (d.rec && d.rec.id !== this.recId) {
      this.recId = d.rec.id;
      this.stored = null;
      this.pending = this.loadPending();
    }
    this.takeStored(d);
    if (d.commands && d.commands.token !== this.postOffToken) this.postOffUntil = 0;
    if (d.src && d.src !== this.src) {
      this.src = d.src;
      this.frameTimes = null;
      this.mediaTime = null;
      this.ui.video.src = d.src;
      this.ui.msg.hidden = true;
      if (d.frames_url) this.fetchFrames(d.frames_url);
    }
    this.dropAcked(d.acked);
    this.takeNotice(d.notice);
    for (const msg of d.errors || []) {
      if (!this.shownErrors.has(msg)) { this.shownErrors.add(msg); this.toast(msg, true); }
    }
    if (!(d.errors || []).length) this.shownErrors.clear();
    this.indexEvents();
    this.renderKeys();
    this.renderList();
    this.renderTimeline(false);
    this.updateStatus();
    this.overlaySoon();
    if (d.selected !== this.lastServerSelected) {
      this.lastServerSelected = d.selected;
      this.selected = d.selected;
      this.highlight(true);
    }
    if (this.selected && this.rowEls && !this.rowEls.has(this.selected)) this.select(null, false); // it was undone or deleted
    if (d.seek && d.seek.nonce !== this.seekNonce) {
      const first = this.seekNonce === null;
      this.seekNonce = d.seek.nonce;
      if (!first || this.ui.video.currentTime === 0) this.seekFrame(d.seek.t);
    }
    if (d.blur !== this.blurNonce) {
      if (this.blurNonce !== null) this.releaseFocus();
      this.blurNonce = d.blur;
    }
    if (this.pending.length) this.flush();
    performance.mark("cx-update-end");
  }

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

  fetchFrames(url) {
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((j) => { if (j && Array.isArray(j.times) && url === this.data.frames_url) { this.frameTimes = j.times; this.updateStatus(); } })
      .catch(() => { /* stepping falls back to the frame rate */ });
  }

  releaseFocus() {
    // After a form is saved, give the keys back to the player (a text field would keep them).
    const a = document.activeElement;
    if (a && a !== document.body && isTyping(a) && a.blur) a.blur();
  }

  // --- the pending command queue --------------------------------------------

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

  renderAll() {
    clearTimeout(this.pendingTimer);
    this.indexEvents();
    this.renderList();
    this.renderTimeline(false);
    this.updateStatus();
    this.overlaySoon();
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

  // --- events as shown (stored + not yet confirmed) -------------------------

  kindInfo(kind) {
    return (this.data.kinds || []).find((k) => k.value === kind) || { short: "?", color: "#888", marker: "circle", title: kind };
  }

  openDurations() {
    const open = { ...((this.stored && this.stored.open) || {}) };
    for (const c of this.pending) {
      if (c.op === "mark" && c.mode === "start") open[c.kind] = c.event_id;
      if (c.op === "end") for (const k of Object.keys(open)) if (open[k] === c.event_id) delete open[k];
    }
    return open;
  }

  indexEvents() {
    const kinds = this.data.kinds || [];
    // Rows arrive as [id, kind index, start, end, label, stage, reviewer] (see annotate.review.event_row).
    const stored = ((this.stored && this.stored.events) || []).map((r) => ({
      id: r[0], kind: (kinds[r[1]] || {}).value, s: r[2], e: r[3], label: r[4] || "", stage: r[5] || "", who: r[6] || "",
      pending: false,
    }));
    const ids = new Set(stored.map((e) => e.id));
    for (const c of this.pending) {
      if (c.op === "mark" && !ids.has(c.event_id)) {
        const t = this.relTime(c.t);
        stored.push({ id: c.event_id, kind: c.kind, s: t, e: null, label: c.label || "", stage: "", who: "", pending: true });
        ids.add(c.event_id);
      }
    }
    stored.sort((a, b) => a.s - b.s || (a.id < b.id ? -1 : 1));
    this.sorted = stored;
    this.starts = stored.map((e) => e.s);
    this.spans = stored.filter((e) => e.e != null);
    const f = this.data.flash || {};
    this.maxWindow = Math.max(f.seconds || 0.8, f.caption_s || 2.5);
  }

  // --- time ------------------------------------------------------------------

  offset() { return Number(this.data.offset || 0); }
  duration() {
    const v = this.ui.video;
    const d = this.data.rec && this.data.rec.duration;
    return d || (isFinite(v.duration) ? v.duration - this.offset() : 0);
  }
  relTime(media) { return Math.max(0, media - this.offset()); }
  shownMediaTime() {
    const v = this.ui.video;
    return this.mediaTime != null && !v.seeking ? this.mediaTime : v.currentTime;
  }
  fps() {
    const text = String((this.data.rec && this.data.rec.fps) || "30");
    const [n, d] = text.split("/").map(Number);
    const f = d ? n / d : n;
    return f > 0 ? f : 30;
  }
  frameIndex(rel) {
    if (this.frameTimes && this.frameTimes.length) return nearestIndex(this.frameTimes, rel);
    return Math.round(rel * this.fps());
  }
  frameTime(i) {
    if (this.frameTimes && this.frameTimes.length) return this.frameTimes[Math.min(Math.max(i, 0), this.frameTimes.length - 1)];
    return Math.max(i, 0) / this.fps();
  }
  nextFrameTime(rel) {
    if (this.frameTimes && this.frameTimes.length) {
      const i = upperBound(this.frameTimes, rel + 1e-6);
      return i < this.frameTimes.length ? this.frameTimes[i] : rel + 1 / this.fps();
    }
    return rel + 1 / this.fps();
  }

  seekRel(rel) {
    const v = this.ui.video;
    const t = Math.min(Math.max(rel, 0), Math.max(this.duration(), 0));
    v.currentTime = t + this.offset();
  }

  seekFrame(rel) {
    // Show the frame whose time is `rel` (a frame time or an event's start_s).
    this.step = null;
    const i = this.frameTimes ? upperBound(this.frameTimes, rel + 1e-6) - 1 : null;
    const t = i != null && i >= 0 ? this.frameTime(i) : rel;
    this.seekRel(t + SEEK_EPS);
  }

  stepFrames(n) {
    const v = this.ui.video;
    v.pause();
    const cur = this.relTime(this.shownMediaTime());
    // Consecutive steps walk from the frame asked for: on variable frame rate the browser may still show the
    // frame before it (and then presents no new frame), which must not stop the walk.
    const base = this.step ? this.step.target : this.frameIndex(cur);
    const last = this.frameTimes ? this.frameTimes.length - 1 : Math.floor(this.duration() * this.fps());
    const target = Math.min(Math.max(base + n, 0), Math.max(last, 0));
    this.step = { target };
    this.seekRel(this.frameTime(target) + SEEK_EPS);
  }

  jump(seconds) {
    this.step = null;
    this.seekRel(this.relTime(this.shownMediaTime()) + seconds);
  }

  togglePlay() {
    const v = this.ui.video;
    if (v.paused || v.ended) { this.step = null; v.play().catch(() => {}); } else v.pause();
  }

  changeSpeed(dir) {
    const v = this.ui.video;
    const speeds = this.data.speeds || [0.25, 0.5, 1, 2, 4];
    let i = speeds.findIndex((s) => Math.abs(s - v.playbackRate) < 1e-6);
    if (i < 0) i = speeds.indexOf(1);
    i = Math.min(Math.max(i + dir, 0), speeds.length - 1);
    v.playbackRate = speeds[i];
    if (v.paused) { this.step = null; v.play().catch(() => {}); }
  }

  // --- keys ------------------------------------------------------------------

  handleKey(e) {
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const help = !this.ui.help.hidden;
    if (key === "?") { this.toggleHelp(); return true; }
    if (key === "Escape") { if (help) { this.toggleHelp(false); return true; } return false; }
    switch (key) {
      case " ": this.togglePlay(); return true;
      case ",": this.stepFrames(-1); return true;
      case ".": this.stepFrames(1); return true;
      case "ArrowLeft": if (e.shiftKey) this.jump(-1); else this.stepFrames(-1); return true;
      case "ArrowRight": if (e.shiftKey) this.jump(1); else this.stepFrames(1); return true;
      case "j": this.changeSpeed(-1); return true;
      case "k": this.ui.video.pause(); return true;
      case "l": this.changeSpeed(1); return true;
      case "z": this.send({ op: "undo" }); return true;
      case "Enter":
        if (this.lastMark) { this.select(this.lastMark, false); return true; }
        return false;
      case "Delete":
        if (this.selected) { this.send({ op: "delete", event_id: this.selected }); return true; }
        return false;
      default: break;
    }
    const hk = (this.data.hotkeys || {})[key];
    if (hk) { this.mark(hk.kind, hk.label, e.shiftKey); return true; }
    return false;
  }

  mark(kind, label, duration) {
    const media = this.shownMediaTime();
    if (duration) {
      const open = this.openDurations()[kind];
      if (open) { this.send({ op: "end", kind, t: media, event_id: open }); return; }
      const id = hex32();
      this.lastMark = id;
      this.send({ op: "mark", kind, t: media, event_id: id, label: label || "", mode: "start" });
    } else {
      const id = hex32();
      this.lastMark = id;
      this.send({ op: "mark", kind, t: media, event_id: id, label: label || "", mode: "point" });
    }
  }

  // --- clicks ----------------------------------------------------------------

  onClick(e) {
    const b = e.target.closest && e.target.closest("button");
    if (!b) return;
    const act = b.dataset.act;
    if (act === "play") this.togglePlay();
    else if (act === "prev") this.stepFrames(-1);
    else if (act === "next") this.stepFrames(1);
    else if (act === "back1s") this.jump(-1);
    else if (act === "fwd1s") this.jump(1);
    else if (act === "undo") this.send({ op: "undo" });
    else if (act === "help") this.toggleHelp();
    else if (act === "mark") this.mark(b.dataset.kind, null, e.shiftKey);
    b.blur(); // keep the keys for the player
  }

  select(id, seek) {
    this.selected = id || null;
    this.highlight(false);
    const ev = id ? this.sorted.find((x) => x.id === id) : null;
    if (seek && ev) this.seekFrame(ev.s);
    // The edit form lives in another fragment; its bridge component forwards this to the server.
    window.dispatchEvent(new CustomEvent("cx-annotate-select", { detail: { rec: this.recId, id: this.selected } }));
  }

  onTimelineClick(e) {
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

  // --- drawing ---------------------------------------------------------------

  onMetadata() {
    const v = this.ui.video;
    if (v.videoWidth && v.videoHeight) {
      const ar = v.videoWidth / v.videoHeight;
      this.ui.stage.style.aspectRatio = `${v.videoWidth} / ${v.videoHeight}`;
      this.ui.stage.style.width = `min(100%, calc(60vh * ${ar.toFixed(5)}))`;
    }
    this.updateButtons();
  }

  startFrameLoop() {
    const v = this.ui.video;
    if ("requestVideoFrameCallback" in v) v.requestVideoFrameCallback(this.onFrame);
    else {
      const tick = () => { if (!this.root.isConnected) return; this.onFrame(null, null); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    }
  }

  onFrame(now, md) {
    const v = this.ui.video;
    if (md) this.mediaTime = md.mediaTime;
    else this.mediaTime = v.currentTime;
    this.updateClock();
    this.drawOverlay();
    if (md && this.root.isConnected !== false) v.requestVideoFrameCallback(this.onFrame);
  }

  updateClock() {
    const rel = this.relTime(this.shownMediaTime());
    let text = fmt(rel);
    const n = this.frameTimes ? this.frameTimes.length : (this.data.rec && this.data.rec.frames) || 0;
    if (n) text += `  frame ${this.frameIndex(rel) + 1}/${n}`;
    this.ui.clock.textContent = text;
    const d = this.duration();
    if (this.tlWidth && d > 0) this.ui.playhead.style.left = `${(Math.min(rel / d, 1) * this.tlWidth).toFixed(1)}px`;
  }

  updateButtons() {
    const v = this.ui.video;
    this.ui.play.textContent = v.paused ? "▶" : "❚❚";
    this.ui.rate.textContent = `${v.playbackRate}×`;
  }

  updateStatus() {
    const open = this.openDurations();
    const parts = Object.entries(open).map(([k, id]) => {
      const ev = this.sorted.find((x) => x.id === id);
      return `${this.kindInfo(k).short} open since ${ev ? fmt(ev.s) : "…"}`;
    });
    this.ui.open.textContent = parts.join(" · ");
    const text = this.savingText();
    const waiting = text.includes("waiting");
    this.ui.saving.textContent = waiting ? "" : text;
    if (this.ui.waiting.textContent !== (waiting ? text : "")) this.ui.waiting.textContent = waiting ? text : "";
    this.updateClock();
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

  takeNotice(n) {
    // The message of an undo applied through the rerun path; shown once, not on the first mount.
    const id = n ? n.id : null;
    if (n && this.noticeId !== undefined && id !== this.noticeId) this.showNotice(n.message);
    if (n || this.noticeId === undefined) this.noticeId = id;
  }

  showNotice(text) {
    // Stays until the reviewer's next command (clearNotice), unlike a toast.
    const t = this.ui.notice;
    clearTimeout(this.toastTimer);
    t.textContent = text;
    t.classList.remove("err");
    this.noticeShown = true;
  }

  clearNotice() {
    if (!this.noticeShown) return;
    this.noticeShown = false;
    this.ui.notice.textContent = "";
  }

  showMsg(text) { this.ui.msg.textContent = text; this.ui.msg.hidden = false; }

  toast(text, error) {
    // A passing message (an error stays 8 s), in the status line above the list.
    const t = this.ui.notice;
    this.noticeShown = false;
    t.textContent = text;
    t.classList.toggle("err", !!error);
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { t.textContent = ""; }, error ? 8000 : 3000);
  }

  toggleHelp(force) {
    const h = this.ui.help;
    h.hidden = force === undefined ? !h.hidden : !force;
  }

  renderKeys() {
    const kinds = this.data.kinds || [];
    const sig = JSON.stringify([kinds, this.data.hotkeys]);
    if (sig === this.keysSig) return;
    this.keysSig = sig;
    const box = this.ui.markbtns;
    box.replaceChildren();
    for (const k of kinds) {
      const b = el("button", null, `${k.short} (${k.key})`);
      b.type = "button";
      b.dataset.act = "mark";
      b.dataset.kind = k.value;
      b.style.background = k.color;
      b.title = `Mark a ${k.title} at the frame on screen (${k.key}; Shift+${k.key} starts/ends a duration)`;
      box.appendChild(b);
    }
    const rows = [];
    for (const k of kinds) rows.push([k.key, `mark ${k.short} (${k.title}) at the frame on screen`], [`Shift+${k.key}`, `start a ${k.short} duration; again to end it`]);
    for (const [key, hk] of Object.entries(this.data.hotkeys || {})) {
      if (hk.label) rows.push([key.toUpperCase(), `mark ${this.kindInfo(hk.kind).short} “${hk.label}”`]);
    }
    rows.push(["Space", "play / pause"], [", .", "one frame back / forward (also ← →)"], ["Shift+← →", "one second back / forward"],
      ["J K L", "slower / pause / faster (0.25× to 4×)"], ["Z", "undo your last change"],
      ["Enter", "describe your last mark (opens the form below)"], ["Delete", "delete the selected event"],
      ["?", "show or hide this help"]);
    const tb = this.ui.helpTable;
    tb.replaceChildren();
    for (const [k, what] of rows) {
      const tr = el("tr");
      const td = el("td");
      td.appendChild(el("kbd", null, k));
      tr.append(td, el("td", null, what));
      tb.appendChild(tr);
    }
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
    const kinds = this.data.kinds || [];
    const d = this.duration();
    const rowsBox = this.ui.rows;
    const kindsKey = kinds.map((k) => k.value + k.color).join();
    if (kindsKey !== this.kindsKey) {
      this.kindsKey = kindsKey;
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
      resized = true;
    }
    const key = `${this.renderedKey}|${d}`;
    if (!resized && key === this.timelineKey) return;
    this.timelineKey = key;
    if (resized || !this.tlWidth) this.tlWidth = rowsBox.firstChild ? rowsBox.firstChild.clientWidth : 0;
    if (!(d > 0)) return;
    const marks = this.markEls;
    const wanted = new Set(this.sorted.map((e) => e.id));
    for (const [id, m] of marks) if (!wanted.has(id)) { m.mk.remove(); if (m.span) m.span.remove(); marks.delete(id); }
    const pct = (x) => `${(Math.min(Math.max(x, 0), 1) * 100).toFixed(3)}%`;
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
    // Short names beside the markers wherever they do not overlap (a few dozen elements at most).
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
    this.highlight(false);
    this.updateClock();
  }

  overlaySoon() {
    // Drawn in the next frame: setting a canvas font right after the list changed would make the
    // browser recompute the page's style there and then, delaying the row.
    if (this.overlayFrame) return;
    this.overlayFrame = requestAnimationFrame(() => { this.overlayFrame = 0; this.drawOverlay(); });
  }

  drawOverlay() {
    const c = this.ui.overlay, v = this.ui.video;
    if (!this.overlaySize) this.overlaySize = [c.clientWidth, c.clientHeight];
    const [cssW, cssH] = this.overlaySize;
    if (!cssW || !cssH) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, c.width, c.height);
    if (!this.sorted.length) return;
    const f = this.data.flash || { seconds: 0.8, tint: 0.15, caption_s: 2.5 };
    const rel = this.relTime(this.shownMediaTime());
    const next = this.nextFrameTime(rel);
    const reached = (s) => next > s + 1e-9;
    // Sizes as the rendered overlay video draws them, scaled from video pixels to the screen.
    const vw = v.videoWidth || cssW, vh = v.videoHeight || cssH;
    const scale = c.width / vw;
    const evenUp = (x) => { const n = Math.ceil(x); return n + (n & 1); };
    const thick = evenUp(Math.max(8, 0.02 * Math.min(vw, vh))) * scale;
    const W = c.width, H = c.height;
    const border = (color, inset, th, alpha) => {
      g.globalAlpha = alpha; g.fillStyle = color;
      g.fillRect(inset, inset, W - 2 * inset, th);
      g.fillRect(inset, H - inset - th, W - 2 * inset, th);
      g.fillRect(inset, inset + th, th, H - 2 * inset - 2 * th);
      g.fillRect(W - inset - th, inset + th, th, H - 2 * inset - 2 * th);
    };
    let inset = 0;
    const thin = Math.max(2, evenUp(thick / scale / 4)) * scale;
    for (const ev of this.spans) {
      if (reached(ev.s) && rel <= ev.e) { border(this.kindInfo(ev.kind).color, inset, thin, 1); inset += thin; }
    }
    const lo = upperBound(this.starts, rel - this.maxWindow - 1e-9);
    const hi = upperBound(this.starts, next);
    const captions = [];
    for (let i = lo; i < hi; i++) {
      const ev = this.sorted[i];
      if (!reached(ev.s)) continue;
      const k = this.kindInfo(ev.kind);
      const alpha = rel <= ev.s ? 1 : Math.max(0, 1 - (rel - ev.s) / f.seconds);
      if (alpha > 0) {
        if (f.tint > 0) {
          g.globalAlpha = f.tint * alpha; g.fillStyle = k.color;
          g.fillRect(thick, thick, W - 2 * thick, H - 2 * thick);
        }
        border(k.color, 0, thick, alpha);
      }
      if (rel < ev.s + f.caption_s) captions.push([k, ev.label || ""]);
    }
    g.globalAlpha = 1;
    const font = Math.max(12, Math.round(0.045 * Math.min(vw, vh))) * scale;
    const pad = Math.max(2, Math.round(font * 0.35));
    let y = thick + Math.max(2, 0.01 * Math.min(vw, vh) * scale);
    const x0 = y;
    g.font = `${font}px sans-serif`;
    g.textBaseline = "top";
    for (const [k, label] of captions.slice(-4)) {
      const sw = g.measureText(k.short).width + 2 * pad;
      const lw = label ? g.measureText(label).width + 2 * pad : 0;
      const h = font + 2 * pad;
      const room = W - x0 - sw - thick * 2;
      g.fillStyle = k.color; g.fillRect(x0, y, sw, h);
      g.fillStyle = "#fff"; g.fillText(k.short, x0 + pad, y + pad);
      if (label) {
        g.globalAlpha = 0.72; g.fillStyle = "#000"; g.fillRect(x0 + sw, y, Math.min(lw, room), h);
        g.globalAlpha = 1; g.fillStyle = "#fff";
        g.save(); g.beginPath(); g.rect(x0 + sw, y, Math.min(lw, room), h); g.clip();
        g.fillText(label, x0 + sw + pad, y + pad); g.restore();
      }
      y += h + Math.max(2, 0.01 * H);
    }
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let player = BY_ROOT.get(parentElement);
  if (!player || !player.root.isConnected) {
    player = new Player(parentElement);
    BY_ROOT.set(parentElement, player);
  }
  player.update(data, setTriggerValue);
  return () => { player.destroy(); BY_ROOT.delete(parentElement); };
}
