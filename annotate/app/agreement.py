"""Agreement of two coders on stored recordings: resolve the coders' names, read each coder's set, compare.

Plain Python over the store and annotate.agreement, for ``annotate agreement`` and the Analyse page. A coder
is a reviewer name as the events carry it; an account's login is accepted for its display name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from ..agreement import Agreement, coding_from_columns, compare
from ..errors import ValidationError
from ..model import Event, Recording, clean_text
from ..store.consensus import ACTIONS, Resolution

if TYPE_CHECKING:
    from ..store import Store


def parse_coders(text: str) -> tuple[str, str]:
    """Return the two names of ``A,B``. Raises ValidationError unless there are exactly two different names."""
    names = [clean_text(n) for n in str(text).split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise ValidationError(f"--coders {text!r} does not name two different coders: write A,B (e.g. ana,ben)")
    return names[0], names[1]


def resolve_coder(store: Store, name: str, known: Sequence[str], recordings: Sequence[Recording]) -> str:
    """Return ``name`` as the events carry it (a login becomes its account's display name).

    Raises ValidationError naming the coders that exist on the recordings when it is none of them.
    """
    if name in known:
        return name
    user = store.accounts.find(name)
    if user is not None and user.display_name in known:
        return user.display_name
    ids = ", ".join(str(r.id) for r in recordings)
    there = ", ".join(known) if known else "none: nobody has coded them yet"
    raise ValidationError(f"no coder {name!r} on recording{'s' if len(recordings) > 1 else ''} {ids}; "
                          f"the coders there are: {there}")


def agreement_of(store: Store, refs: Iterable[str | int], coders: tuple[str, str], tolerance_s: float = 1.0,
                 slice_s: float = 1.0) -> tuple[Agreement, list[Recording], tuple[str, str]]:
    """Return (the agreement of coder B with coder A, the recordings, the coders' names as on their events).

    Each coder's set is their events on the recordings (also those a consensus
    superseded). Raises NotFoundError for an unknown recording, ValidationError
    for an unknown coder or a bad tolerance or slice.
    """
    by_id = {str(r.id): r for r in store.list_recordings()}  # one read for the usual refs, ids
    recs = list({r.id: r for r in (by_id.get(str(ref).strip()) or store.find_recording(ref)
                                   for ref in dict.fromkeys(refs))}.values())
    if not recs:
        raise ValidationError("no recording named: give one or more with --recording ID")
    known = store.consensus.coders_on([r.id for r in recs])
    a, b = (resolve_coder(store, name, known, recs) for name in coders)
    codings = [coding_from_columns(store.consensus.coder_columns([r.id for r in recs], who)) for who in (a, b)]
    report = compare(codings[0], codings[1], tolerance_s, slice_s, {r.id: r.duration_s for r in recs})
    return report, recs, (a, b)


def proposed_resolutions(report: Agreement, overrides: Iterable[dict] = ()) -> list[Resolution]:
    """Return one decision per pair and per unmatched event of ``report``: accept A's for a matched pair and an
    event only A has, accept B's for one only B has, each replaced by the override naming the same events.

    ``overrides`` are {"a": id or None, "b": id or None, "action": one of ACTIONS}. Raises ValidationError for
    an override that names no pair or unmatched event of the report, or an unknown action.
    """
    proposed: dict[tuple, Resolution] = {(a, b): Resolution(a, b, "accept_a") for a, b, _ in report.pairs}
    proposed.update({(a, None): Resolution(a, None, "accept_a") for a in report.only_a})
    proposed.update({(None, b): Resolution(None, b, "accept_b") for b in report.only_b})
    for number, item in enumerate(overrides, start=1):
        key = (item.get("a") or None, item.get("b") or None)
        if key not in proposed:
            raise ValidationError(f"decision {number} names a={key[0]} b={key[1]}, which is no matched pair or "
                                  "unmatched event of these coders: see `annotate agreement --json`")
        if item.get("action") not in ACTIONS:
            raise ValidationError(f"decision {number}: no action {item.get('action')!r}; "
                                  f"use one of {', '.join(ACTIONS)}")
        proposed[key] = Resolution(key[0], key[1], str(item["action"]))
    return list(proposed.values())


def settle(store: Store, ref: str | int, coders: tuple[str, str], actor: str, overrides: Iterable[dict] = (),
           tolerance_s: float = 1.0) -> list[Event]:
    """Write the consensus of two coders on one recording (decisions as :func:`proposed_resolutions`); return
    the consensus events. Raises as :func:`agreement_of` and ``Store.consensus.apply``."""
    report, recs, names = agreement_of(store, [ref], coders, tolerance_s)
    return store.consensus.apply(recs[0].id, names, proposed_resolutions(report, overrides), actor)
