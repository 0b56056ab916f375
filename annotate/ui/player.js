// cx-annotate review player: video, keyboard marking, timeline, event list, live flash.
//
// This module holds the Player's state and its answer to new data; its other jobs are mixed in from
// player_transport.js (time, seeking, stepping), player_keys.js (keys and buttons), player_timeline.js (the
// list and the timeline), player_scrub.js (the filmstrip and waveform), player_suggest.js (suggested moments), player_transcript.js (the transcript), player_resume.js (where the reviewer stopped), player_flash.js (the live flash, drawn by flash.js) and player_queue.js (the
// command queue and the two paths that carry it). The component imports this file from the app's own route
// (annotate/ui/scripts.py); the browser resolves the imports below against it.
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

import { Flash } from "./player_flash.js";
import { Keys, attachKeys, detachKeys } from "./player_keys.js";
import { Queue } from "./player_queue.js";
import { Resume } from "./player_resume.js";
import { Scrub } from "./player_scrub.js";
import { Suggest } from "./player_suggest.js";
import { Transcript } from "./player_transcript.js";
import { Timeline } from "./player_timeline.js";
import { Transport } from "./player_transport.js";
import { fmt } from "./util.js";

const BY_ROOT = new WeakMap();

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
      empty: q("empty"), scrub: q("scrub"), film: q("film"), wave: q("wave"),
      tabs: q("tabs"), tpane: q("tpane"), tsearch: q("tsearch"), tcount: q("tcount"), tlines: q("tlines"),
    };
    this.ui.markbtns.after(this.skipButton());
    this.ui.scrubtip = this.scrubTip();
    this.ui.timeline.appendChild(this.ui.scrubtip);
    this.ui.film.addEventListener("mousemove", (e) => this.onScrubMove(e));
    this.ui.film.addEventListener("mouseleave", () => { this.ui.scrubtip.hidden = true; });
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
    this.ui.tlines.addEventListener("click", (e) => this.onTranscriptClick(e));
    this.ui.tsearch.addEventListener("input", () => this.filterTranscript());
    this.onFrame = this.onFrame.bind(this);
    this.startFrameLoop();
    this.overlaySize = null; // the overlay's CSS size, kept here so drawing never forces a layout
    this.resize = new ResizeObserver((entries) => {
      for (const en of entries) if (en.target === this.ui.stage) this.overlaySize = [en.contentRect.width, en.contentRect.height];
      this.drawOverlay(); this.renderTimeline(true); this.drawScrub(); this.updateClock();
    });
    this.resize.observe(this.ui.stage);
    this.resize.observe(this.ui.timeline);
    this.timer = setInterval(() => { this.retry(); this.reportPosition(false); }, 1000);
    attachKeys(this);
    this.attachResume();
  }

  destroy() {
    clearInterval(this.timer);
    clearTimeout(this.pendingTimer);
    clearTimeout(this.scrubTimer);
    cancelAnimationFrame(this.overlayFrame);
    this.resize.disconnect();
    try { this.ui.video.pause(); } catch (_) { /* detached */ }
    detachKeys(this);
    this.detachResume();
  }

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
    this.takeSuggestions(d.suggestions);
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
    this.loadScrub();
    this.loadTranscript();
    this.offerResume();
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

  renderAll() {
    clearTimeout(this.pendingTimer);
    this.indexEvents();
    this.renderList();
    this.renderTimeline(false);
    this.updateStatus();
    this.overlaySoon();
  }

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
    // Rows arrive as [id, kind index, start, end, label, stage, reviewer] (see annotate.ui.player_data.event_row).
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
    this.maxWindow = Math.max(f.seconds || 0, f.caption_s || 0);
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
}

for (const job of [Transport, Keys, Timeline, Scrub, Suggest, Transcript, Resume, Flash, Queue]) {
  for (const name of Object.getOwnPropertyNames(job.prototype)) {
    if (name !== "constructor") Object.defineProperty(Player.prototype, name, Object.getOwnPropertyDescriptor(job.prototype, name));
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
