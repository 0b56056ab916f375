// The review player's transport: times on the played file and from the first frame, frame stepping over the
// real frame times, seeking, play/pause/speed, and the clock. `mediaTime` from requestVideoFrameCallback is
// the presentation time of the frame on screen on the played file's own timeline; `data.offset` (the file's
// first frame time) converts it to seconds from the first frame.

import { fmt, nearestIndex, upperBound } from "./util.js";

const SEEK_EPS = 0.0001; // land just after a frame's time so the browser shows that frame

export class Transport {
  fetchFrames(url) {
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((j) => { if (j && Array.isArray(j.times) && url === this.data.frames_url) { this.frameTimes = j.times; this.updateStatus(); } })
      .catch(() => { /* stepping falls back to the frame rate */ });
  }

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
    this.skipSilence();
    this.followTranscript();
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
}
