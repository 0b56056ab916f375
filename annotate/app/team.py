"""The team pages' plain logic: assignment progress, blind coding of the Review list, the consensus worksheet,
and whose inbox a signed-in person reads. No Streamlit (the widgets are in annotate/ui/pages).

Built on ``Store.assignments``, ``Store.consensus``, ``Store.comments`` and
:mod:`annotate.app.agreement`; see docs/team.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from ..model import Event
from ..store.assignments import STATUSES
from ..store.consensus import ACTIONS, Resolution
from ..timebase import format_timecode

if TYPE_CHECKING:
    from ..agreement import Agreement
    from ..store import Store
    from ..store.assignments import Assignment

DONE = ("submitted", "approved")  # a coding handed in
ACTION_TEXT = {"accept_a": "accept A", "accept_b": "accept B", "merge": "merge", "drop": "drop"}
COMPARED = ("label", "stage", "channel", "actor", "end_s")  # fields whose difference makes a matched pair disagree


def progress(rows: Sequence[Assignment], by: str) -> list[dict[str, object]]:
    """Return one row per recording (``by="recording"``) or per reviewer (``by="reviewer"``) of the assignments:
    the count in each status, ``total`` and ``done`` (submitted or approved, as "n of m")."""
    groups: dict[object, Counter] = {}
    for a in rows:
        key = a.recording_id if by == "recording" else a.reviewer
        groups.setdefault(key, Counter())[a.status] += 1
    out = []
    for key, counts in groups.items():
        total = sum(counts.values())
        done = sum(counts[s] for s in DONE)
        out.append({by: key, **{s: counts[s] for s in STATUSES}, "total": total, "done": f"{done} of {total}"})
    return out


def inbox_names(login: str, display_name: str) -> list[str]:
    """Return the names a person's mentions may use: their login and their display name (either may be '')."""
    return [n for n in dict.fromkeys((login, display_name)) if n]


@dataclass(frozen=True)
class Item:
    """One line of the consensus worksheet: a matched pair or an event only one coder has."""

    a: Event | None
    b: Event | None
    offset_s: float | None

    @property
    def key(self) -> str:
        """Return a stable widget key of the item (the two ids)."""
        return f"{self.a.id if self.a else '-'}_{self.b.id if self.b else '-'}"

    @property
    def disagrees(self) -> bool:
        """Return True for an event only one coder has, or a matched pair (starts within the tolerance) whose
        end or fields differ."""
        if self.a is None or self.b is None:
            return True
        return any(getattr(self.a, f) != getattr(self.b, f) for f in COMPARED)

    @property
    def actions(self) -> tuple[str, ...]:
        """Return the actions that fit the item (merge only for a pair; accept only a side that has an event)."""
        if self.a is None:
            return ("accept_b", "drop")
        if self.b is None:
            return ("accept_a", "drop")
        return ACTIONS

    @property
    def default(self) -> str:
        """Return the action proposed for it: A's event unless only B has one."""
        return "accept_b" if self.a is None else "accept_a"


def worksheet(store: Store, recording_id: int, coders: tuple[str, str], report: Agreement) -> list[Item]:
    """Return the consensus worksheet of ``report`` (the agreement of the two coders on the recording): every
    matched pair and every unmatched event, by time."""
    by_a = {e.id: e for e in store.consensus.coder_events(recording_id, coders[0])}
    by_b = {e.id: e for e in store.consensus.coder_events(recording_id, coders[1])}
    items = [Item(by_a.get(a), by_b.get(b), off) for a, b, off in report.pairs]
    items += [Item(by_a.get(a), None, None) for a in report.only_a]
    items += [Item(None, by_b.get(b), None) for b in report.only_b]
    items = [i for i in items if i.a is not None or i.b is not None]
    return sorted(items, key=lambda i: min(e.start_s for e in (i.a, i.b) if e is not None))


def resolutions(items: Iterable[Item], chosen: dict[str, str]) -> list[Resolution]:
    """Return one decision per item: the action in ``chosen`` (by item key), else the item's default."""
    out = []
    for item in items:
        action = chosen.get(item.key) or item.default
        out.append(Resolution(item.a.id if item.a else None, item.b.id if item.b else None,
                              action if action in item.actions else item.default))
    return out


def describe(event: Event | None) -> str:
    """Return a one-line plain-text summary of an event (kind, time, label, stage), '—' for none."""
    if event is None:
        return "—"
    span = format_timecode(event.start_s) + ("" if event.end_s is None else f"–{format_timecode(event.end_s)}")
    extra = " · ".join(x for x in (event.label, event.stage, event.channel) if x)
    return f"{event.kind.short} {span}" + (f" · {extra}" if extra else "")


def figures(report: Agreement) -> list[dict[str, object]]:
    """Return the agreement's match figures per kind and overall as table rows (F1 etc. as floats or None)."""
    def num(value) -> float | None:
        return None if value is None else round(float(value), 3)

    rows = []
    for stats in [*report.by_kind, report.overall]:
        rows.append({"kind": stats.kind, "matched": stats.matched, "only A": stats.only_a, "only B": stats.only_b,
                     "precision": num(stats.precision), "recall": num(stats.recall), "F1": num(stats.f1),
                     "median offset s": stats.median_offset_s})
    return rows
