// The review player's keys: the one window listener that routes key presses to the player on the page,
// the keys themselves (marking, transport, undo, help), the buttons, and the help table.

import { el, hex32 } from "./util.js";

const PLAYERS = new Set();
let keysInstalled = false;

export function isTyping(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
  if (tag === "INPUT") {
    const type = (target.type || "text").toLowerCase();
    return !["button", "checkbox", "radio", "range", "submit", "reset", "file", "color"].includes(type);
  }
  const role = target.getAttribute && target.getAttribute("role");
  return role === "textbox" || role === "combobox" || role === "searchbox";
}

function activePlayer() {
  let found = null;
  for (const p of PLAYERS) if (p.root.isConnected || (p.host && p.host.isConnected)) found = p;
  return found;
}

function onKeyDown(e) {
  const p = activePlayer();
  if (!p || e.defaultPrevented) return;
  const target = (e.composedPath && e.composedPath()[0]) || e.target;
  if (isTyping(target)) {
    if (e.key === "Escape" && target.blur) target.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Enter" && target.closest && target.closest("button, a, [role=button]")) return;
  // Holding a stepping key scrubs; holding a marking key must not mark twenty times.
  if (e.repeat && ![",", ".", "ArrowLeft", "ArrowRight"].includes(e.key)) return;
  if (p.handleKey(e)) { e.preventDefault(); e.stopPropagation(); }
}

export function attachKeys(player) {
  PLAYERS.add(player);
  if (!keysInstalled) { window.addEventListener("keydown", onKeyDown, true); keysInstalled = true; }
}

export function detachKeys(player) {
  PLAYERS.delete(player);
  if (PLAYERS.size === 0 && keysInstalled) { window.removeEventListener("keydown", onKeyDown, true); keysInstalled = false; }
}

export class Keys {
  releaseFocus() {
    // After a form is saved, give the keys back to the player (a text field would keep them).
    const a = document.activeElement;
    if (a && a !== document.body && isTyping(a) && a.blur) a.blur();
  }

  handleKey(e) {
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const help = !this.ui.help.hidden;
    if (key === "?") { this.toggleHelp(); return true; }
    if (key === "Escape") { if (help) { this.toggleHelp(false); return true; } return false; }
    if (this.suggestKey(e, key)) return true;
    switch (key) {
      case " ": this.togglePlay(); return true;
      case ",": this.stepFrames(-1); return true;
      case ".": this.stepFrames(1); return true;
      case "ArrowLeft": if (e.shiftKey) this.jump(-1); else this.stepFrames(-1); return true;
      case "ArrowRight": if (e.shiftKey) this.jump(1); else this.stepFrames(1); return true;
      case "j": this.changeSpeed(-1); return true;
      case "k": this.ui.video.pause(); return true;
      case "l": this.changeSpeed(1); return true;
      case "z": this.send({ op: "undo" }); return true;
      case "Enter":
        if (this.lastMark) { this.select(this.lastMark, false); return true; }
        return false;
      case "Delete":
        if (this.selected) { this.send({ op: "delete", event_id: this.selected }); return true; }
        return false;
      default: break;
    }
    const hk = (this.data.hotkeys || {})[key];
    if (hk) { this.mark(hk.kind, hk.label, e.shiftKey); return true; }
    return false;
  }

  markAt(kind, media, note) {
    // A point event at a given media time (a transcript line's start), with a note.
    const id = hex32();
    this.lastMark = id;
    this.send({ op: "mark", kind, t: media, event_id: id, label: "", note: note || "", mode: "point" });
  }

  mark(kind, label, duration) {
    const media = this.shownMediaTime();
    if (duration) {
      const open = this.openDurations()[kind];
      if (open) { this.send({ op: "end", kind, t: media, event_id: open }); return; }
      const id = hex32();
      this.lastMark = id;
      this.send({ op: "mark", kind, t: media, event_id: id, label: label || "", mode: "start" });
    } else {
      const id = hex32();
      this.lastMark = id;
      this.send({ op: "mark", kind, t: media, event_id: id, label: label || "", mode: "point" });
    }
  }

  onClick(e) {
    const b = e.target.closest && e.target.closest("button");
    if (!b) return;
    const act = b.dataset.act;
    if (act === "play") this.togglePlay();
    else if (act === "prev") this.stepFrames(-1);
    else if (act === "next") this.stepFrames(1);
    else if (act === "back1s") this.jump(-1);
    else if (act === "fwd1s") this.jump(1);
    else if (act === "undo") this.send({ op: "undo" });
    else if (act === "help") this.toggleHelp();
    else if (act === "skipsil") this.toggleSkipSilences();
    else if (act === "tab") this.showTab(b.dataset.tab);
    else if (act === "mark") this.mark(b.dataset.kind, null, e.shiftKey);
    b.blur(); // keep the keys for the player
  }

  toggleHelp(force) {
    const h = this.ui.help;
    h.hidden = force === undefined ? !h.hidden : !force;
  }

  renderKeys() {
    const kinds = this.data.kinds || [];
    const sig = JSON.stringify([kinds, this.data.hotkeys]);
    if (sig === this.keysSig) return;
    this.keysSig = sig;
    const box = this.ui.markbtns;
    box.replaceChildren();
    for (const k of kinds) {
      const b = el("button", null, `${k.short} (${k.key})`);
      b.type = "button";
      b.dataset.act = "mark";
      b.dataset.kind = k.value;
      b.style.background = k.color;
      b.title = `Mark a ${k.title} at the frame on screen (${k.key}; Shift+${k.key} starts/ends a duration)`;
      box.appendChild(b);
    }
    const rows = [];
    for (const k of kinds) rows.push([k.key, `mark ${k.short} (${k.title}) at the frame on screen`], [`Shift+${k.key}`, `start a ${k.short} duration; again to end it`]);
    for (const [key, hk] of Object.entries(this.data.hotkeys || {})) {
      if (hk.label) rows.push([key.toUpperCase(), `mark ${this.kindInfo(hk.kind).short} “${hk.label}”`]);
    }
    rows.push(["Space", "play / pause"], [", .", "one frame back / forward (also ← →)"], ["Shift+← →", "one second back / forward"],
      ["J K L", "slower / pause / faster (0.25× to 4×)"], ["Z", "undo your last change"],
      ["Enter", "accept the suggestion shown (else: describe your last mark, in the form below)"],
      ["N / Shift+N", "next / previous open suggestion"], ["X", "dismiss the suggestion shown"],
      ["Delete", "delete the selected event"],
      ["?", "show or hide this help"]);
    const tb = this.ui.helpTable;
    tb.replaceChildren();
    for (const [k, what] of rows) {
      const tr = el("tr");
      const td = el("td");
      td.appendChild(el("kbd", null, k));
      tr.append(td, el("td", null, what));
      tb.appendChild(tr);
    }
  }
}
