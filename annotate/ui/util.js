// Small helpers the review player and the Play page's viewer share: ids, times as text, elements, lookups.

export function hex32() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function parts(t) {
  const ms = Math.max(0, Math.round(t * 1000));
  return { h: Math.floor(ms / 3600000), m: Math.floor(ms / 60000) % 60, s: Math.floor(ms / 1000) % 60, ms: ms % 1000 };
}

const pad = (n, w) => String(n).padStart(w, "0");

export function fmt(t) {
  // HH:MM:SS.mmm, as the server writes timecodes.
  if (t == null || !isFinite(t)) return "--:--:--.---";
  const p = parts(t);
  return `${pad(p.h, 2)}:${pad(p.m, 2)}:${pad(p.s, 2)}.${pad(p.ms, 3)}`;
}

export function fmtShort(t) {
  // M:SS.mmm, with hours only when there are any.
  if (t == null || !isFinite(t)) return "--:--.---";
  const p = parts(t);
  return (p.h ? `${p.h}:${pad(p.m, 2)}` : `${p.m}`) + `:${pad(p.s, 2)}.${pad(p.ms, 3)}`;
}

export function el(tag, cls, text) {
  // User text only ever goes into the page through textContent.
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

export function upperBound(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
  return lo;
}

export function nearestIndex(arr, x) {
  const i = upperBound(arr, x);
  if (i <= 0) return 0;
  if (i >= arr.length) return arr.length - 1;
  return (arr[i] - x) < (x - arr[i - 1]) ? i : i - 1;
}
