"""The trainers' viewer on the Play page: a Streamlit v2 component (inline HTML/CSS/JS, no build step).

A ``<video>`` with the browser's own controls; the events' WebVTT captions as a text
track; the event list as buttons that set the video's ``currentTime`` to the event
(and a "clip" button beside each that plays from a few seconds before to a few after
and pauses); optionally the flashes drawn live over the original (border and tint in
the kind's colour, fading as the overlay video's do). Everything happens in the
browser: clicking an event never reruns the script. Mount it with a ``key`` so the
video element survives reruns; user text is only put in the page with textContent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import streamlit as st

from ..model import KINDS, Codebook, Event, Recording, parse_kind
from .player_data import flash_style, kinds_info

COMPONENT_NAME = "cx_annotate_play_view"

_HTML = """
<div class="pv" data-role="root">
  <div class="pv-main">
    <div class="pv-stage" data-role="stage">
      <video data-role="video" controls preload="auto" playsinline></video>
      <canvas data-role="overlay" class="pv-overlay" aria-hidden="true"></canvas>
      <div class="pv-msg" data-role="msg" hidden></div>
    </div>
    <div class="pv-status"><span data-role="clock" class="pv-clock"></span> <span data-role="status"></span></div>
  </div>
  <div class="pv-side">
    <div class="pv-head" data-role="count"></div>
    <div class="pv-list" data-role="list"></div>
    <p class="pv-empty" data-role="empty" hidden>No events on this recording yet: mark some on the Review page.</p>
  </div>
</div>
"""

_CSS = """
.pv { container-type: inline-size; display: grid; grid-template-columns: minmax(0, 3fr) minmax(220px, 2fr); gap: 12px;
  font-family: var(--st-font, sans-serif); font-size: 14px; color: var(--st-text-color, #262730); }
@container (max-width: 720px) { .pv { grid-template-columns: minmax(0, 1fr); } }
.pv-main { min-width: 0; }
.pv-stage { position: relative; margin: 0 auto; width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 4px; overflow: hidden; }
.pv-stage video, .pv-stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.pv-stage canvas { pointer-events: none; }
.pv-msg { position: absolute; inset: auto 8px 48px 8px; padding: 6px 10px; border-radius: 4px; background: rgba(0,0,0,.75); color: #fff; }
.pv-status { margin-top: 4px; font-size: 13px; opacity: .85; min-height: 1.3em; }
.pv-clock { font-family: var(--st-code-font, monospace); }
.pv-side { min-width: 0; display: flex; flex-direction: column; max-height: min(70vh, 640px); }
.pv-head { font-size: 13px; font-weight: 600; margin-bottom: 4px; }
.pv-list { overflow-y: auto; border: 1px solid var(--st-border-color, #ddd); border-radius: 4px; }
.pv-row { display: flex; align-items: stretch; border-bottom: 1px solid var(--st-border-color, #eee); }
.pv-row:last-child { border-bottom: none; }
.pv-row.current { background: rgba(128, 128, 128, .16); }
.pv-row button { font: inherit; color: inherit; background: transparent; border: none; cursor: pointer; text-align: left; }
.pv-row button:hover, .pv-row button:focus-visible { background: rgba(128, 128, 128, .22); }
.pv-jump { flex: 1; min-width: 0; display: flex; gap: 8px; align-items: baseline; padding: 5px 8px; }
.pv-clipbtn { flex: none; padding: 5px 10px; font-size: 12px !important; opacity: .85; border-left: 1px solid var(--st-border-color, #eee) !important; }
.pv-chip { flex: none; display: inline-block; min-width: 2.6em; text-align: center; padding: 0 5px; border-radius: 3px; color: #fff; font-weight: 700; font-size: 12px; }
.pv-time { flex: none; font-family: var(--st-code-font, monospace); font-size: 12px; opacity: .85; }
.pv-label { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pv-stagecell { flex: none; font-size: 12px; opacity: .7; }
.pv-empty { font-size: 13px; opacity: .75; }
"""

_JS = r"""
const VIEWS = new WeakMap();

function fmt(t) {
  if (t == null || !isFinite(t)) return "--:--.---";
  const ms = Math.max(0, Math.round(t * 1000));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  const p = (n, w) => String(n).padStart(w, "0");
  return (h ? `${h}:${p(m, 2)}` : `${m}`) + `:${p(s, 2)}.${p(ms % 1000, 3)}`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

class View {
  constructor(root) {
    this.root = root;
    const q = (r) => root.querySelector(`[data-role="${r}"]`);
    this.ui = { stage: q("stage"), video: q("video"), canvas: q("overlay"), msg: q("msg"), clock: q("clock"),
      status: q("status"), count: q("count"), list: q("list"), empty: q("empty") };
    this.d = {};
    this.src = null; this.vtt = null; this.trackEl = null; this.blobUrl = null;
    this.seekNonce = null; this.pendingSeek = null; this.clipEnd = null; this.current = null;
    this.events = []; this.rows = [];
    const v = this.ui.video;
    v.addEventListener("loadedmetadata", () => this.onMetadata());
    v.addEventListener("error", () => this.showMsg("The browser cannot play this video. Make a browser proxy on the Library page, or play the overlay video."));
    v.addEventListener("seeked", () => this.tick());
    v.addEventListener("timeupdate", () => this.tick());
    this.ui.list.addEventListener("click", (e) => this.onClick(e));
    this.onFrame = this.onFrame.bind(this);
    if ("requestVideoFrameCallback" in v) v.requestVideoFrameCallback(this.onFrame);
    else { const loop = () => { if (!this.dead) { this.tick(); requestAnimationFrame(loop); } }; requestAnimationFrame(loop); }
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.ui.stage);
  }

  destroy() {
    this.dead = true;
    this.resize.disconnect();
    try { this.ui.video.pause(); } catch (_) { /* detached */ }
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
  }

  offset() { return Number(this.d.offset || 0); }
  rel() { return Math.max(0, this.ui.video.currentTime - this.offset()); }
  kind(i) { return (this.d.kinds || [])[i] || { short: "?", color: "#888", title: "" }; }

  update(d) {
    this.d = d || {};
    const v = this.ui.video;
    if (this.d.src && this.d.src !== this.src) {
      const keep = this.src ? { t: this.rel(), play: !v.paused } : null;
      this.src = this.d.src;
      this.ui.msg.hidden = true;
      v.src = this.d.src;
      if (keep && !this.pendingSeek) this.pendingSeek = keep;
    }
    if (this.d.vtt !== this.vtt) this.setTrack();
    else if (this.trackEl) this.trackEl.track.mode = this.d.captions ? "showing" : "hidden";
    this.events = (this.d.events || []).map((r) => ({ id: r[0], k: r[1], s: r[2], e: r[3], label: r[4] || "", stage: r[5] || "" }));
    this.renderList();
    const seek = this.d.seek;
    if (seek && seek.nonce !== this.seekNonce) {
      this.seekNonce = seek.nonce;
      if (v.readyState >= 1) this.seekTo(seek.t); else this.pendingSeek = { t: seek.t, play: false };
    }
    this.ui.status.textContent = this.d.status || "";
    this.draw();
  }

  setTrack() {
    const v = this.ui.video;
    this.vtt = this.d.vtt;
    if (this.trackEl) { this.trackEl.remove(); this.trackEl = null; }
    if (this.blobUrl) { URL.revokeObjectURL(this.blobUrl); this.blobUrl = null; }
    if (!this.vtt) return;
    this.blobUrl = URL.createObjectURL(new Blob([this.vtt], { type: "text/vtt" }));
    const t = document.createElement("track");
    t.kind = "captions"; t.label = "Events (MOT / INT / DEC)"; t.srclang = "en"; t.src = this.blobUrl;
    const off = this.offset();
    t.addEventListener("load", () => {
      // Cue times count from the first frame; the played file may start later on its own timeline.
      if (off) for (const c of Array.from(t.track.cues || [])) { c.startTime += off; c.endTime += off; }
      t.track.mode = this.d.captions ? "showing" : "hidden";
      this.root.host && this.root.host.setAttribute("data-cues", String((t.track.cues || []).length));
    });
    t.default = !!this.d.captions;
    v.appendChild(t);
    t.track.mode = this.d.captions ? "showing" : "hidden";
    this.trackEl = t;
  }

  onMetadata() {
    const v = this.ui.video;
    if (v.videoWidth && v.videoHeight) {
      const ar = v.videoWidth / v.videoHeight;
      this.ui.stage.style.aspectRatio = `${v.videoWidth} / ${v.videoHeight}`;
      this.ui.stage.style.width = `min(100%, calc(62vh * ${ar.toFixed(5)}))`;
    }
    if (this.pendingSeek) {
      const p = this.pendingSeek;
      this.pendingSeek = null;
      this.seekTo(p.t);
      if (p.play) v.play().catch(() => {});
    }
    this.draw();
  }

  seekTo(t) {
    const v = this.ui.video;
    const dur = Number(this.d.duration || 0) || (isFinite(v.duration) ? v.duration - this.offset() : t);
    v.currentTime = Math.min(Math.max(Number(t) || 0, 0), Math.max(dur, 0)) + this.offset();
  }

  onClick(e) {
    const b = e.target.closest && e.target.closest("button[data-i]");
    if (!b) return;
    const ev = this.events[Number(b.dataset.i)];
    if (!ev) return;
    if (b.dataset.act === "clip") this.playClip(ev);
    else { this.clipEnd = null; this.seekTo(ev.s); this.ui.status.textContent = this.d.status || ""; }
  }

  playClip(ev) {
    const v = this.ui.video;
    const c = this.d.clip || { before: 3, after: 5 };
    const dur = Number(this.d.duration || 0) || Infinity;
    const start = Math.max(0, ev.s - c.before), end = Math.min(dur, ev.s + c.after);
    this.clipEnd = end;
    this.seekTo(start);
    v.play().catch(() => {});
    const k = this.kind(ev.k);
    this.ui.status.textContent = `Playing the clip ${fmt(start)}–${fmt(end)} around ${k.short} ${ev.label}`.trim();
  }

  renderList() {
    const key = JSON.stringify([this.d.events, this.d.kinds]);
    if (key === this.listKey) return;
    this.listKey = key;
    const list = this.ui.list;
    list.replaceChildren();
    this.rows = [];
    const counts = {};
    this.events.forEach((ev, i) => {
      const k = this.kind(ev.k);
      counts[k.short] = (counts[k.short] || 0) + 1;
      const row = el("div", "pv-row");
      row.dataset.kind = k.value || "";
      const jump = el("button", "pv-jump");
      jump.type = "button"; jump.dataset.i = String(i); jump.dataset.eventId = ev.id; jump.dataset.t = String(ev.s);
      jump.title = `Jump to ${k.title} at ${fmt(ev.s)}`;
      const chip = el("span", "pv-chip", k.short);
      chip.style.background = k.color;
      const time = ev.e != null ? `${fmt(ev.s)}–${fmt(ev.e)}` : fmt(ev.s);
      jump.append(chip, el("span", "pv-time", time), el("span", "pv-label", ev.label || "—"), el("span", "pv-stagecell", ev.stage));
      const clip = el("button", "pv-clipbtn", "▶ clip");
      clip.type = "button"; clip.dataset.i = String(i); clip.dataset.act = "clip";
      clip.title = `Play from ${this.d.clip ? this.d.clip.before : 3} s before to ${this.d.clip ? this.d.clip.after : 5} s after this ${k.short}`;
      row.append(jump, clip);
      list.appendChild(row);
      this.rows.push(row);
    });
    this.ui.empty.hidden = this.events.length > 0;
    const byKind = (this.d.kinds || []).map((k) => `${k.short} ${counts[k.short] || 0}`).join(" · ");
    this.ui.count.textContent = `${this.events.length} event${this.events.length === 1 ? "" : "s"} — ${byKind}`;
    this.current = null;
  }

  onFrame(now, md) {
    if (this.dead) return;
    this.mediaTime = md ? md.mediaTime : null;
    this.tick();
    this.ui.video.requestVideoFrameCallback(this.onFrame);
  }

  tick() {
    const v = this.ui.video;
    if (this.clipEnd != null && v.currentTime - this.offset() >= this.clipEnd - 1e-3) {
      v.pause(); this.clipEnd = null;
    }
    const rel = this.rel();
    this.ui.clock.textContent = fmt(rel);
    // The current event: the last one that has started.
    let cur = -1;
    for (let i = 0; i < this.events.length && this.events[i].s <= rel + 1e-3; i++) cur = i;
    if (cur !== this.current) {
      if (this.current != null && this.rows[this.current]) this.rows[this.current].classList.remove("current");
      this.current = cur;
      const row = this.rows[cur];
      if (row) {
        row.classList.add("current");
        const list = this.ui.list;
        if (row.offsetTop < list.scrollTop || row.offsetTop + row.offsetHeight > list.scrollTop + list.clientHeight)
          list.scrollTop = row.offsetTop - list.clientHeight / 3;
      }
    }
    this.draw();
  }

  draw() {
    const c = this.ui.canvas, v = this.ui.video;
    const cssW = c.clientWidth, cssH = c.clientHeight;
    if (!cssW || !cssH) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) { c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr); }
    const g = c.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, c.width, c.height);
    if (!this.d.live || !this.events.length) return;
    const f = this.d.flash || { seconds: 0.8, tint: 0.15 };
    const rel = this.mediaTime != null && !v.seeking ? Math.max(0, this.mediaTime - this.offset()) : this.rel();
    const frame = 1 / (Number(this.d.fps) || 30);
    const reached = (s) => rel + frame > s + 1e-9; // the frame on screen shows time s
    const vw = v.videoWidth || cssW, vh = v.videoHeight || cssH;
    const scale = c.width / vw;
    const evenUp = (x) => { const n = Math.ceil(x); return n + (n & 1); };
    const thick = evenUp(Math.max(8, 0.02 * Math.min(vw, vh))) * scale;
    const W = c.width, H = c.height;
    const border = (color, inset, th, alpha) => {
      g.globalAlpha = alpha; g.fillStyle = color;
      g.fillRect(inset, inset, W - 2 * inset, th); g.fillRect(inset, H - inset - th, W - 2 * inset, th);
      g.fillRect(inset, inset + th, th, H - 2 * inset - 2 * th); g.fillRect(W - inset - th, inset + th, th, H - 2 * inset - 2 * th);
    };
    const thin = Math.max(2, evenUp(thick / scale / 4)) * scale;
    let inset = 0;
    for (const ev of this.events) {
      if (ev.e != null && reached(ev.s) && rel <= ev.e) { border(this.kind(ev.k).color, inset, thin, 1); inset += thin; }
    }
    for (const ev of this.events) {
      if (ev.s > rel + frame) break;
      if (!reached(ev.s)) continue;
      const alpha = rel <= ev.s ? 1 : 1 - (rel - ev.s) / f.seconds;
      if (alpha <= 0) continue;
      const k = this.kind(ev.k);
      if (f.tint > 0) { g.globalAlpha = f.tint * alpha; g.fillStyle = k.color; g.fillRect(thick, thick, W - 2 * thick, H - 2 * thick); }
      border(k.color, 0, thick, alpha);
    }
    g.globalAlpha = 1;
  }

  showMsg(text) { this.ui.msg.textContent = text; this.ui.msg.hidden = false; }
}

export default function (component) {
  const { data, parentElement } = component;
  let view = VIEWS.get(parentElement);
  if (!view || !view.root.isConnected) {
    view = new View(parentElement);
    VIEWS.set(parentElement, view);
  }
  view.update(data);
  return () => { view.destroy(); VIEWS.delete(parentElement); };
}
"""


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component(COMPONENT_NAME, html=_HTML, css=_CSS, js=_JS)


def event_row(event: Event) -> list[Any]:
    """Return an event as the viewer reads it: [id, kind index, start_s, end_s, label, stage]."""
    return [event.id, list(KINDS).index(parse_kind(event.kind)), event.start_s, event.end_s, event.label, event.stage]


def view_data(
    recording: Recording,
    events: Sequence[Event],
    codebook: Codebook,
    *,
    src: str,
    offset_s: float,
    vtt: str,
    live: bool,
    captions: bool,
    clip_before_s: float,
    clip_after_s: float,
    status: str = "",
    seek: dict | None = None,
) -> dict[str, Any]:
    """Return the JSON-able data the viewer is mounted with.

    ``src`` is the video URL and ``offset_s`` its first frame's time on its own timeline
    (0 for a rendered overlay video); ``live`` draws the flashes over it; ``captions``
    shows the WebVTT track ``vtt``; ``seek`` is ``{"nonce", "t"}`` to move to ``t`` once.
    """
    fps = recording.fps or "30"
    try:
        num, _, den = str(fps).partition("/")
        fps_value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        fps_value = 30.0
    return {
        "rec": recording.id,
        "src": src,
        "offset": float(offset_s),
        "duration": float(recording.duration_s or 0.0),
        "fps": fps_value,
        "events": [event_row(e) for e in sorted(events, key=lambda e: e.start_s)],
        "kinds": kinds_info(codebook),
        "flash": flash_style(),
        "live": bool(live),
        "vtt": vtt,
        "captions": bool(captions),
        "clip": {"before": float(clip_before_s), "after": float(clip_after_s)},
        "status": status,
        "seek": seek,
    }


def play_view(data: dict[str, Any], *, key: str):
    """Mount the viewer with ``data`` (see :func:`view_data`)."""
    return _component()(data=data, key=key, height="content")
