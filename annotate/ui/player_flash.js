// The review player's live flash: the events near the frame on screen, drawn with flash.js.

import { clearCanvas, drawCaptions, drawFlash, drawSpans, flashAlpha, geometry } from "./flash.js";
import { upperBound } from "./util.js";

export class Flash {
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
    const g = clearCanvas(c, cssW, cssH);
    const f = this.data.flash;
    if (!this.sorted.length || !f) return;
    const rel = this.relTime(this.shownMediaTime());
    const next = this.nextFrameTime(rel);
    const reached = (s) => next > s + 1e-9;
    const geo = geometry(f, c.width, c.height, v.videoWidth || cssW, v.videoHeight || cssH);
    drawSpans(g, geo, this.spans, rel, reached, (ev) => this.kindInfo(ev.kind).color);
    const lo = upperBound(this.starts, rel - this.maxWindow - 1e-9);
    const hi = upperBound(this.starts, next);
    const captions = [];
    for (let i = lo; i < hi; i++) {
      const ev = this.sorted[i];
      if (!reached(ev.s)) continue;
      const k = this.kindInfo(ev.kind);
      drawFlash(g, geo, f, k.color, flashAlpha(f, ev.s, rel));
      if (rel < ev.s + f.caption_s) captions.push([k, ev.label || ""]);
    }
    drawCaptions(g, geo, f, captions);
  }
}
