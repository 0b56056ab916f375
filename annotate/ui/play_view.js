// The Play page's viewer: a <video> with the browser's own controls, the events' WebVTT captions as a text
// track, the event list as buttons that jump to an event (and a "clip" button beside each), and optionally
// the flashes drawn live over the original by flash.js, with the numbers the server sends (data.flash).
// Everything happens in the browser: clicking an event never reruns the script. User text is only put in the
// page with textContent.

import { clearCanvas, drawFlash, drawSpans, flashAlpha, geometry } from "./flash.js";
import { el, fmtShort } from "./util.js";

const VIEWS = new WeakMap();

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
    this.ui.status.textContent = `Playing the clip ${fmtShort(start)}–${fmtShort(end)} around ${k.short} ${ev.label}`.trim();
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
      jump.title = `Jump to ${k.title} at ${fmtShort(ev.s)}`;
      const chip = el("span", "pv-chip", k.short);
      chip.style.background = k.color;
      const time = ev.e != null ? `${fmtShort(ev.s)}–${fmtShort(ev.e)}` : fmtShort(ev.s);
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
    this.ui.clock.textContent = fmtShort(rel);
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
    const g = clearCanvas(c, cssW, cssH);
    const f = this.d.flash;
    if (!this.d.live || !this.events.length || !f) return;
    const rel = this.mediaTime != null && !v.seeking ? Math.max(0, this.mediaTime - this.offset()) : this.rel();
    const frame = 1 / (Number(this.d.fps) || 30);
    const reached = (s) => rel + frame > s + 1e-9; // the frame on screen shows time s
    const geo = geometry(f, c.width, c.height, v.videoWidth || cssW, v.videoHeight || cssH);
    drawSpans(g, geo, this.events, rel, reached, (ev) => this.kind(ev.k).color);
    for (const ev of this.events) {
      if (ev.s > rel + frame) break;
      if (reached(ev.s)) drawFlash(g, geo, f, this.kind(ev.k).color, flashAlpha(f, ev.s, rel));
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
