"""Cached renders for trainers: the overlay video, clips around an event, highlight reels.

Plain Python (no Streamlit). A *plan* names the file a render would write under
``settings.render_dir`` and how to write it. The name is a digest of everything the
picture depends on (the recording's file, its events' version from
``store.events_version``, the clip or reel settings and the export options), so:

- a plan whose file exists is ready: nothing is rendered again until events change;
- when events change the name changes, the next render writes a new file and the
  older versions of the same thing (its *family*) are deleted once it is written.

A plan also names the job that makes it (``kind``/``params``): renders run on the job
queue (:mod:`annotate.jobs`), one job per file however many sessions ask for it, and a
job reports ``done``/``total`` frames for a progress bar. The export library writes
atomically, so a failed or interrupted job leaves no file under the final name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from ..config import Settings
from ..errors import RenderError, ValidationError
from ..export import ExportOptions, ReelItem, reel_items, render_clip, render_overlay, render_reel
from ..model import Codebook, Event, Kind, Recording, fold_name, parse_kind
from ..render.subtitles import lines_from

if TYPE_CHECKING:
    from ..store import Store

Progress = Callable[[int, int], None]
CLIP_BEFORE_S, CLIP_AFTER_S = 3.0, 5.0
REELS_KEPT = 5  # reels are many selections of one family: keep the newest few


def source_version(path: str | Path) -> str:
    """Return a short text that changes when the file at ``path`` changes (size and modification time).

    Raises RenderError when the file is missing.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise RenderError(f"the video file {p} is missing; add the recording again on the Library page") from None
    return f"{st.st_size:x}-{st.st_mtime_ns:x}"


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Plan:
    """A render to make: the file it writes, what to call it, and how to write it.

    ``family`` is the glob (inside ``path``'s folder) matching older versions of the same
    thing; after a render the newest ``keep`` of them stay and the rest are deleted.
    """

    path: Path
    label: str
    family: str
    write: Callable[[Path, Progress | None], Path] = field(repr=False, compare=False)
    keep: int = 1
    download_name: str = ""
    kind: str = ""  # the job that makes it on the queue: annotate.jobs.kinds rebuilds the plan from these
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    recording_id: int | None = None

    @property
    def ready(self) -> bool:
        """Return True when the file is already written."""
        return self.path.is_file()

    def run(self, progress: Progress | None = None) -> Path:
        """Write the file unless it exists; return its path. Raises what the export library raises."""
        if self.ready:
            return self.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.write(self.path, progress)
        prune_family(self.path, self.family, self.keep)
        return self.path


def prune_family(path: Path, family: str, keep: int = 1) -> list[Path]:
    """Delete the older files of ``family`` beside ``path`` so ``keep`` remain (``path`` always stays).

    Returns the paths deleted. Temporary files of renders in progress start with a dot and are
    never matched.
    """
    others = [p for p in path.parent.glob(family) if p != path and p.is_file()]
    others.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    removed = []
    for old in others[max(keep - 1, 0):]:
        try:
            old.unlink()
            removed.append(old)
        except OSError:
            pass  # someone is reading it on a system that forbids unlinking; try again next time
    return removed


def safe_stem(text: str, limit: int = 40) -> str:
    """Return ``text`` as a download file name's stem: letters, digits, - and _ only, at most ``limit`` long."""
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.strip())
    return "-".join(part for part in keep.split("-") if part)[:limit] or "recording"


# --- plans -------------------------------------------------------------------------------------


def plan_overlay(store: Store, settings: Settings, recording_id: int, options: ExportOptions | None = None) -> Plan:
    """Return the plan of the overlay video of a recording with its current events.

    Raises NotFoundError for an unknown recording and RenderError when its file is missing.
    """
    options = options or ExportOptions()
    rec = store.get_recording(recording_id)
    version = store.events_version(rec.id)
    events = store.list_events(rec.id)
    said = store.transcripts.info(rec.id) if options.overlay.subtitles else None
    digest = _digest("overlay", rec.id, rec.path, source_version(rec.path), version, repr(options),
                     *([said.id] if said is not None else []))  # a new transcript is a new file
    path = Path(settings.render_dir) / f"rec{rec.id}-overlay-{digest}.mp4"

    def write(dst: Path, progress: Progress | None) -> Path:
        lines = lines_from(store.transcripts.lines(rec.id)) if said is not None else ()
        return render_overlay(rec.path, events, dst, options=options, progress=progress, subtitles=lines)

    return Plan(
        path=path, label=f"overlay video of #{rec.id}", family=f"rec{rec.id}-overlay-*.mp4", write=write,
        download_name=f"{safe_stem(rec.title or Path(rec.path).stem)}-overlay.mp4", kind="overlay",
        params={"recording_id": rec.id, "options": options.to_dict()}, recording_id=rec.id,
    )


def plan_clip(
    store: Store,
    settings: Settings,
    event_id: str,
    *,
    before_s: float = CLIP_BEFORE_S,
    after_s: float = CLIP_AFTER_S,
    overlay: bool = True,
    options: ExportOptions | None = None,
) -> Plan:
    """Return the plan of the clip from ``before_s`` before an event to ``after_s`` after it.

    The clip shows the overlay of all the recording's events unless ``overlay`` is False.
    Raises NotFoundError for an unknown event, ValidationError for a negative margin.
    """
    if before_s < 0 or after_s < 0:
        raise ValidationError("seconds before and after the event cannot be negative; use 0 or more")
    options = options or ExportOptions()
    event = store.get_event(event_id)
    rec = store.get_recording(event.recording_id)
    version = store.events_version(rec.id)
    events = store.list_events(rec.id)
    before, after = round(float(before_s), 3), round(float(after_s), 3)
    digest = _digest("clip", rec.id, source_version(rec.path), version, event.id, before, after, overlay, repr(options))
    path = Path(settings.render_dir) / f"rec{rec.id}-clip-{event.id[:12]}-{digest}.mp4"
    kind = parse_kind(event.kind)

    def write(dst: Path, progress: Progress | None) -> Path:
        return render_clip(
            rec.path, event.start_s, before, after, dst, events=events, overlay=overlay, options=options,
            progress=progress,
        )

    stamp = f"{int(event.start_s // 60)}m{event.start_s % 60:06.3f}s".replace(".", "_")
    return Plan(
        path=path, label=f"clip around {kind.short} {event.label or ''}".strip(),
        family=f"rec{rec.id}-clip-{event.id[:12]}-*.mp4", write=write,
        download_name=f"{safe_stem(rec.title or Path(rec.path).stem)}-{kind.short}-{stamp}.mp4", kind="clip",
        params={"event_id": event.id, "before_s": before, "after_s": after, "overlay": overlay,
                "options": options.to_dict()}, recording_id=rec.id,
    )


def reel_selection(
    store: Store,
    recording_ids: Iterable[int],
    kinds: Iterable[Kind | str] | None = (Kind.MOMENT_OF_TRUTH,),
    stage: str | None = None,
    codebook: Codebook | None = None,
) -> list[ReelItem]:
    """Return the reel's items: every event of ``kinds`` (None: all kinds) in ``stage`` (None: any stage),
    recordings in the order given, events in time order within each.

    Stages are compared in the codebook's spelling, case-insensitively. Raises NotFoundError for an
    unknown recording, UnknownKindError for an unknown kind.
    """
    book = codebook or store.get_codebook()
    wanted = None if stage is None else fold_name(stage)
    pairs: list[tuple[Recording, list[Event]]] = []
    for rid in recording_ids:
        pairs.append((store.get_recording(rid), store.list_events(rid)))
    items = reel_items(pairs, kinds)
    if wanted is not None:
        items = [it for it in items if fold_name(book.stage_of(it.event)) == wanted]
    return items


def describe_selection(kinds: Iterable[Kind | str] | None, stage: str | None) -> str:
    """Return how a reel selection reads: 'MOT', 'MOT and DEC in Care', 'all events'."""
    names = [parse_kind(k).short for k in kinds] if kinds is not None else []
    what = " and ".join(names) if names else "all events"
    return f"{what} in {stage}" if stage else what


def plan_reel(
    store: Store,
    settings: Settings,
    recording_ids: Sequence[int],
    *,
    kinds: Iterable[Kind | str] | None = (Kind.MOMENT_OF_TRUTH,),
    stage: str | None = None,
    before_s: float = CLIP_BEFORE_S,
    after_s: float = CLIP_AFTER_S,
    options: ExportOptions | None = None,
) -> Plan:
    """Return the plan of a highlight reel: a title card and a clip for every matching event.

    Raises RenderError when no event matches (the reel would be empty), ValidationError for a
    negative margin, NotFoundError for an unknown recording.
    """
    if before_s < 0 or after_s < 0:
        raise ValidationError("seconds before and after each event cannot be negative; use 0 or more")
    options = options or ExportOptions()
    kinds = None if kinds is None else tuple(parse_kind(k) for k in kinds)
    ids = list(dict.fromkeys(int(r) for r in recording_ids))
    items = reel_selection(store, ids, kinds, stage)
    what = describe_selection(kinds, stage)
    if not items:
        raise RenderError(f"no {what} to put in a reel; pick another kind or stage, or mark some events first")
    versions = [(rid, store.events_version(rid), source_version(store.get_recording(rid).path)) for rid in ids]
    before, after = round(float(before_s), 3), round(float(after_s), 3)
    digest = _digest("reel", versions, [k.value for k in kinds] if kinds else None, fold_name(stage),
                     before, after, repr(options))
    scope = f"rec{ids[0]}" if len(ids) == 1 else f"{len(ids)}recs"
    path = Path(settings.render_dir) / f"reel-{scope}-{digest}.mp4"

    def write(dst: Path, progress: Progress | None) -> Path:
        return render_reel(items, dst, before_s=before, after_s=after, options=options, progress=progress)

    name = safe_stem(f"reel-{what}")
    return Plan(
        path=path, label=f"reel of {len(items)} × {what}", family="reel-*.mp4", write=write, keep=REELS_KEPT,
        download_name=f"{name}.mp4", kind="reel",
        params={"recording_ids": ids, "kinds": [k.value for k in kinds] if kinds is not None else None,
                "stage": stage, "before_s": before, "after_s": after, "options": options.to_dict()},
        recording_id=ids[0] if len(ids) == 1 else None,
    )
