// The Analyse page's map viewer: an SVG the maps layer drew, parsed as XML and inserted (scripts, foreignObject,
// <a> and on* / javascript: attributes removed), with zoom, pan, full screen and links from events to the Review page.

const SVGNS = "http://www.w3.org/2000/svg";
const STEP = 1.25, MIN = 0.25, MAX = 8;

function clean(svg) {
  for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
  for (const a of svg.querySelectorAll('a')) a.replaceWith(...a.childNodes);  // only the links made below
  for (const node of [svg, ...svg.querySelectorAll('*')]) {
    for (const a of [...node.attributes]) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) node.removeAttribute(a.name);
  }
}

function link(svg, links) {
  for (const el of [...svg.querySelectorAll('[data-event-id]')]) {
    const href = links[el.getAttribute('data-event-id')];
    if (!href) continue;
    const a = document.createElementNS(SVGNS, 'a');
    a.setAttribute('href', href);
    a.setAttribute('target', '_blank');
    a.setAttribute('class', 'cx-event-link');
    el.replaceWith(a);
    a.appendChild(el);
  }
}

class MapView {
  constructor(parent) {
    this.wrap = Object.assign(document.createElement('div'), { className: 'cx-mapwrap' });
    this.bar = Object.assign(document.createElement('div'), { className: 'cx-mapbar' });
    const button = (text, title, act) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text, title });
      b.dataset.act = act;
      return b;
    };
    this.label = Object.assign(document.createElement('span'), { className: 'cx-zoom' });
    this.bar.append(button('−', 'Zoom out', 'out'), this.label, button('+', 'Zoom in', 'in'),
      button('Fit', 'Fit to the width', 'fit'), button('Full screen', 'Show the map alone (Esc to leave)', 'full'),
      Object.assign(document.createElement('span'), { className: 'cx-hint', textContent: 'Drag to pan · Ctrl + wheel to zoom · click an event to review it' }));
    this.box = Object.assign(document.createElement('div'), { className: 'cx-map' });
    this.wrap.append(this.bar, this.box);
    parent.appendChild(this.wrap);
    this.zoom = 1;
    this.bar.addEventListener('click', (e) => this.act(e.target.closest('button')));
    this.box.addEventListener('wheel', (e) => { if (e.ctrlKey) { e.preventDefault(); this.setZoom(this.zoom * (e.deltaY < 0 ? STEP : 1 / STEP)); } }, { passive: false });
    this.pan();
    new ResizeObserver(() => this.apply()).observe(this.box);
    document.addEventListener('fullscreenchange', () => this.apply());
  }

  act(b) {
    if (!b) return;
    if (b.dataset.act === 'in') this.setZoom(this.zoom * STEP);
    else if (b.dataset.act === 'out') this.setZoom(this.zoom / STEP);
    else if (b.dataset.act === 'fit') this.setZoom(1);
    else if (b.dataset.act === 'full') {
      if (document.fullscreenElement) document.exitFullscreen(); else this.wrap.requestFullscreen().catch(() => {});
    }
  }

  pan() {
    let start = null;
    this.box.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, y: e.clientY, left: this.box.scrollLeft, top: this.box.scrollTop, moved: false };
    });
    this.box.addEventListener('pointermove', (e) => {
      if (!start) return;
      const dx = e.clientX - start.x, dy = e.clientY - start.y;
      if (!start.moved && Math.hypot(dx, dy) < 4) return;
      start.moved = true;
      this.box.classList.add('dragging');
      this.box.scrollLeft = start.left - dx; this.box.scrollTop = start.top - dy;
    });
    const end = () => { if (start && start.moved) this.justDragged = true; start = null; this.box.classList.remove('dragging'); };
    this.box.addEventListener('dragstart', (e) => e.preventDefault());
    this.box.addEventListener('pointerup', end);
    this.box.addEventListener('pointerleave', end);
    this.box.addEventListener('click', (e) => { if (this.justDragged) { e.preventDefault(); e.stopPropagation(); } this.justDragged = false; }, true);
  }

  natural() {
    const vb = this.svg && this.svg.viewBox && this.svg.viewBox.baseVal;
    return (vb && vb.width) || Number(this.svg && this.svg.getAttribute('width')) || 800;
  }

  setZoom(z) {
    const old = this.zoom;
    this.zoom = Math.min(MAX, Math.max(MIN, z));
    const b = this.box, cx = (b.scrollLeft + b.clientWidth / 2) / (b.scrollWidth || 1), cy = (b.scrollTop + b.clientHeight / 2) / (b.scrollHeight || 1);
    this.apply();
    if (old !== this.zoom) { b.scrollLeft = cx * b.scrollWidth - b.clientWidth / 2; b.scrollTop = cy * b.scrollHeight - b.clientHeight / 2; }
  }

  apply() {
    if (!this.svg) return;
    const fit = Math.min(this.natural(), Math.max(this.box.clientWidth, 50));
    this.svg.style.width = `${Math.round(fit * this.zoom)}px`;
    this.label.textContent = `${Math.round(100 * this.zoom * fit / this.natural())}%`;
  }

  show(data) {
    if (this.sig === data.sig) return;
    this.sig = data.sig;
    const doc = new DOMParser().parseFromString(data.svg, 'image/svg+xml');
    const svg = doc.documentElement;
    if (!svg || svg.nodeName !== 'svg') {
      this.svg = null;
      this.box.replaceChildren(Object.assign(document.createElement('p'), { className: 'cx-map-err', textContent: 'This map could not be shown; download it as SVG or PNG instead.' }));
      return;
    }
    clean(svg);
    link(svg, data.links || {});
    if (data.label) svg.setAttribute('aria-label', data.label);
    svg.removeAttribute('height');
    this.svg = document.importNode(svg, true);
    this.box.replaceChildren(this.svg);
    this.zoom = 1;
    this.apply();
  }
}

const VIEWS = new WeakMap();
export default function ({ data, parentElement }) {
  let view = VIEWS.get(parentElement);
  if (!view) { view = new MapView(parentElement); VIEWS.set(parentElement, view); }
  view.show(data);
}
