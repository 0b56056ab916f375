// The live flash: the rendered overlay's border, tint, duration borders and captions, drawn on a canvas over
// the <video> (the Review player and the Play page's viewer). Every number comes from the server as
// `data.flash` (annotate/render/flash.py, the overlay video's own definition); this file only applies them,
// in the played video's pixels scaled to the canvas.

function evenUp(x) { const n = Math.ceil(x); return n + (n & 1); }

export function clearCanvas(c, cssW, cssH) {
  // Size the canvas to its CSS box in device pixels and clear it; returns its 2D context.
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
    c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr);
  }
  const g = c.getContext("2d");
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, c.width, c.height);
  return g;
}

export function geometry(f, W, H, vw, vh) {
  // Sizes on a W x H canvas showing a vw x vh video, as the rendered overlay draws them.
  const scale = W / vw, short = Math.min(vw, vh);
  const thick = evenUp(Math.max(f.border_min_px, f.border_share * short)) * scale;
  const thin = Math.max(f.span_min_px, evenUp((thick / scale) * f.span_share)) * scale;
  return { W, H, scale, short, thick, thin };
}

function border(g, geo, color, inset, th, alpha) {
  const { W, H } = geo;
  g.globalAlpha = alpha; g.fillStyle = color;
  g.fillRect(inset, inset, W - 2 * inset, th);
  g.fillRect(inset, H - inset - th, W - 2 * inset, th);
  g.fillRect(inset, inset + th, th, H - 2 * inset - 2 * th);
  g.fillRect(W - inset - th, inset + th, th, H - 2 * inset - 2 * th);
}

export function drawSpans(g, geo, spans, rel, reached, colorOf) {
  // The thin opaque border of each duration on screen, nested inwards.
  let inset = 0;
  for (const ev of spans) {
    if (ev.e != null && reached(ev.s) && rel <= ev.e) { border(g, geo, colorOf(ev), inset, geo.thin, 1); inset += geo.thin; }
  }
}

export function flashAlpha(f, s, rel) {
  // Opaque on the event's first frame, then fading linearly to nothing over f.seconds.
  return rel <= s ? 1 : Math.max(0, 1 - (rel - s) / f.seconds);
}

export function drawFlash(g, geo, f, color, alpha) {
  if (!(alpha > 0)) return;
  if (f.tint > 0) {
    g.globalAlpha = f.tint * alpha; g.fillStyle = color;
    g.fillRect(geo.thick, geo.thick, geo.W - 2 * geo.thick, geo.H - 2 * geo.thick);
  }
  border(g, geo, color, 0, geo.thick, alpha);
}

export function drawCaptions(g, geo, f, captions) {
  // captions: [kind info, label] of the events whose caption shows, oldest first; the newest few are drawn.
  const { W, H, scale, short, thick } = geo;
  g.globalAlpha = 1;
  const font = Math.max(f.font_min_px, Math.round(f.font_share * short)) * scale;
  const pad = Math.max(f.pad_min_px, Math.round(font * f.pad_share));
  let y = thick + Math.max(f.gap_min_px, f.gap_share * short * scale);
  const x0 = y;
  g.font = `${font}px sans-serif`;
  g.textBaseline = "top";
  for (const [k, label] of captions.slice(-f.caption_rows)) {
    const sw = g.measureText(k.short).width + 2 * pad;
    const lw = label ? g.measureText(label).width + 2 * pad : 0;
    const h = font + 2 * pad;
    const room = W - x0 - sw - thick * 2;
    g.fillStyle = k.color; g.fillRect(x0, y, sw, h);
    g.fillStyle = "#fff"; g.fillText(k.short, x0 + pad, y + pad);
    if (label) {
      g.globalAlpha = f.live_box_alpha; g.fillStyle = "#000"; g.fillRect(x0 + sw, y, Math.min(lw, room), h);
      g.globalAlpha = 1; g.fillStyle = "#fff";
      g.save(); g.beginPath(); g.rect(x0 + sw, y, Math.min(lw, room), h); g.clip();
      g.fillText(label, x0 + sw + pad, y + pad); g.restore();
    }
    y += h + Math.max(f.gap_min_px, f.gap_share * H);
  }
}
