// The review player's filmstrip and waveform, above the timeline's rows: thumbnails to scrub by eye and the
// audio's loudness. Both come from the app's routes (annotate/ui/preview_routes.py), made once per recording
// by a job: the index and the sprite once, the peaks for the width shown (asked again when it grows).
// Hovering shows the thumbnail of that time and the time; a click seeks (the timeline's own click handler).
// Until the job has made them the routes answer 404, and the player asks again every few seconds.

import { el, fmt } from "./util.js";

const RETRY_MS = 4000;
const MAX_TRIES = 150; // ten minutes

export class Scrub {
  loadScrub() {
    const p = this.data.preview;
    const key = p ? p.index : null;
    if (key === this.scrubKey) { if (p && p.ready && !this.strip) this.fetchScrub(p); return; }
    this.scrubKey = key;
    this.strip = null; this.stripImg = null; this.peaks = null; this.peaksWidth = 0; this.scrubTries = 0;
    clearTimeout(this.scrubTimer);
    this.ui.scrub.hidden = !p;
    if (p) this.fetchScrub(p);
  }

  async fetchScrub(p) {
    if (this.scrubBusy) return;
    this.scrubBusy = true;
    try {
      const r = await fetch(p.index, { credentials: "same-origin" });
      if (p.index !== this.scrubKey) return;
      if (!r.ok) { this.scrubLater(p); return; }
      this.strip = await r.json();
      const img = new Image();
      img.onload = () => { if (p.index === this.scrubKey) { this.stripImg = img; this.drawScrub(); } };
      img.src = p.sprite;
      await this.fetchPeaks();
    } catch (_) {
      this.scrubLater(p);
    } finally {
      this.scrubBusy = false;
    }
  }

  scrubLater(p) {
    if (++this.scrubTries > MAX_TRIES) return;
    clearTimeout(this.scrubTimer);
    this.scrubTimer = setTimeout(() => this.fetchScrub(p), RETRY_MS);
  }

  async fetchPeaks() {
    const p = this.data.preview;
    const width = this.ui.wave.clientWidth;
    if (!p || !width || width <= this.peaksWidth) return;
    this.peaksWidth = width;
    const r = await fetch(`${p.peaks}?n=${Math.round(width)}`, { credentials: "same-origin" });
    if (!r.ok || p.index !== this.scrubKey) return;
    this.peaks = await r.json();
    this.drawScrub();
  }

  drawScrub() {
    const d = this.duration();
    if (!(d > 0) || this.ui.scrub.hidden) return;
    if (this.ui.wave.clientWidth > this.peaksWidth) this.fetchPeaks();
    this.drawStrip(d);
    this.drawWave(d);
  }

  canvasFor(cv) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(cv.clientWidth * dpr), h = Math.round(cv.clientHeight * dpr);
    if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
    const g = cv.getContext("2d");
    g.clearRect(0, 0, w, h);
    return [g, w, h];
  }

  drawStrip(d) {
    const s = this.strip, img = this.stripImg;
    if (!s || !img) return;
    const [g, w, h] = this.canvasFor(this.ui.film);
    const tw = Math.max(1, Math.round(h * s.tile_w / s.tile_h));
    for (let x = 0; x < w; x += tw) {
      const i = this.tileAt(((x + tw / 2) / w) * d);
      const c = i % s.columns, r = Math.floor(i / s.columns);
      g.drawImage(img, c * s.tile_w, r * s.tile_h, s.tile_w, s.tile_h, x, 0, tw, h);
    }
  }

  drawWave(d) {
    const pk = this.peaks;
    const [g, w, h] = this.canvasFor(this.ui.wave);
    if (!pk || !pk.peaks.length) return;
    g.fillStyle = "rgba(60, 60, 70, 0.75)";
    const mid = h / 2;
    pk.peaks.forEach((v, i) => {
      const x0 = ((pk.start_s + i * pk.step_s) / d) * w, x1 = ((pk.start_s + (i + 1) * pk.step_s) / d) * w;
      const half = Math.max(0.5, (v / 255) * mid);
      g.fillRect(x0, mid - half, Math.max(1, x1 - x0), half * 2);
    });
  }

  tileAt(t) {
    // The last tile taken at or before t (times are the exact times of the tiles' frames).
    const times = this.strip.times;
    let lo = 0, hi = times.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (times[mid] <= t) lo = mid; else hi = mid - 1; }
    return lo;
  }

  onScrubMove(e) {
    const s = this.strip, d = this.duration(), tip = this.ui.scrubtip;
    if (!s || !(d > 0)) { tip.hidden = true; return; }
    const r = this.ui.film.getBoundingClientRect();
    const frac = Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1);
    const i = this.tileAt(frac * d);
    const c = i % s.columns, row = Math.floor(i / s.columns);
    const pic = tip.firstChild;
    pic.style.width = `${s.tile_w}px`; pic.style.height = `${s.tile_h}px`;
    pic.style.backgroundImage = `url("${this.data.preview.sprite}")`;
    pic.style.backgroundPosition = `-${c * s.tile_w}px -${row * s.tile_h}px`;
    tip.lastChild.textContent = fmt(frac * d);
    tip.style.left = `${Math.min(Math.max(frac * r.width - s.tile_w / 2, 0), r.width - s.tile_w) + 44}px`;
    tip.dataset.tile = String(i);
    tip.hidden = false;
  }

  scrubTip() {
    const tip = el("div", "cx-scrubtip");
    tip.dataset.role = "scrubtip";
    tip.hidden = true;
    tip.append(el("div", "cx-scrubpic"), el("div", "cx-scrubtime"));
    return tip;
  }
}
