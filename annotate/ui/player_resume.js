// The review player's memory of where the reviewer stopped: it reports the position to the app's route
// (POST /cx/position/{id}, the review session's token in X-CX-Token) every few seconds while playing, on pause
// and when the page is left, and when a recording opens where the reviewer stopped before, it offers to
// resume there (a button in the status line; the video is not moved unless asked). Playback at any speed keeps
// the audio's pitch (preservesPitch, on by default in browsers, set explicitly).

import { el, fmt } from "./util.js";

const EVERY_MS = 5000;
const MIN_OFFER_S = 3; // nearer the start than this there is nothing to resume

export class Resume {
  attachResume() {
    const v = this.ui.video;
    v.preservesPitch = true;
    v.addEventListener("pause", () => this.reportPosition(true));
    this.onPageHide = () => this.reportPosition(true);
    window.addEventListener("pagehide", this.onPageHide);
    document.addEventListener("visibilitychange", this.onPageHide);
  }

  detachResume() {
    window.removeEventListener("pagehide", this.onPageHide);
    document.removeEventListener("visibilitychange", this.onPageHide);
  }

  reportPosition(force) {
    const p = this.data.position, c = this.data.commands;
    if (!p || !c || !c.token || this.ui.video.readyState < 1) return;
    const t = this.relTime(this.shownMediaTime());
    const now = performance.now();
    if (!force && (this.ui.video.paused || now - (this.reportedAt || 0) < EVERY_MS)) return;
    if (this.reported != null && Math.abs(t - this.reported) < 0.5) return;
    this.reported = t; this.reportedAt = now;
    fetch(p.url, {
      method: "POST", credentials: "same-origin", cache: "no-store", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CX-Token": c.token }, body: JSON.stringify({ t }),
    }).catch(() => { /* the next report tries again */ });
  }

  offerResume() {
    const p = this.data.position;
    if (!p || p.rec === this.offeredFor) return;
    this.offeredFor = p.rec;
    this.reported = p.at;
    const at = p.at;
    if (at == null || at < MIN_OFFER_S || at > this.duration() - 1 || (this.data.seek && this.data.seek.t)) return;
    const b = el("button", "cx-resume", `Resume at ${fmt(at)}`);
    b.type = "button";
    b.dataset.act = "resume";
    b.title = "Go back to where you stopped last time";
    b.addEventListener("click", (e) => { e.stopPropagation(); this.seekFrame(at); b.remove(); });
    this.ui.waiting.after(b);
    this.resumeButton = b;
  }
}
