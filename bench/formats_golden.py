"""Golden check of every event-file format: the same bytes out and the same events back, before and after a change.

Writes the sample's events, the shared test event sets and the events of the
test corpus (tests/data) in every format and option set into a folder, with
one ``.events`` file per written file: a digest of the events each import of
it gives back. Run it on main into one folder and on a branch into another,
then compare the two::

    .venv/bin/python bench/formats_golden.py write /tmp/formats-before
    .venv/bin/python bench/formats_golden.py write /tmp/formats-after
    .venv/bin/python bench/formats_golden.py compare /tmp/formats-before /tmp/formats-after
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: the code to check comes from there

from annotate.formats import FORMATS, dumps_events, loads_events, read_events  # noqa: E402
from annotate.model import Codebook, Event  # noqa: E402
from annotate.testing.events import make_recording, many_events, tricky_events  # noqa: E402

FIXED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
OPTIONS = {  # every format with its defaults, and the options that change the bytes
    "csv": [{}, {"delimiter": ";"}, {"delimiter": "\t", "bom": False}],
    "json": [{"exported_at": FIXED}, {"exported_at": FIXED, "indent": None}],
    "vtt": [{}], "srt": [{}],
    "eaf": [{"date": FIXED}, {"date": FIXED, "details": False}],
    "boris": [{}, {"delimiter": ","}],
    "xes": [{}],
    "eventlog": [{}, {"bom": False}],
}


def event_sets() -> dict[str, tuple[list[Event], object]]:
    """Return the event sets to write: name -> (events, recording)."""
    rec = make_recording()
    long_rec = make_recording(8, duration_s=3600.0, frame_count=None)
    sets = {"tricky": (tricky_events(rec), rec), "many": (many_events(long_rec, 3000), long_rec)}
    for events, _ in sets.values():
        for i, event in enumerate(events):  # fixed ids: new events get random ones
            event.id = f"{i * 7919:032x}"
    sample = ROOT / "sample_media" / "checkout.events.csv"
    sample_rec = make_recording(9, duration_s=600.0, frame_count=None)
    sets["sample"] = (read_events(sample, recording=sample_rec), sample_rec)
    corpus = {"boris_aggregated.tsv": {"mapping": ["greeting=MOT", "stock check=INT", "pays=moment of truth"]},
              "elan_store_visit.eaf": {}, "captions_bom.vtt": {"codebook": Codebook(), "mapping": {"Form error": "INT"}},
              "subtitles_crlf.srt": {"codebook": Codebook(), "mapping": {"Payment accepted": "DEC"}}}
    for name, opts in corpus.items():
        corpus_rec = make_recording(10, duration_s=3600.0, frame_count=None)
        try:
            sets[name] = (read_events(ROOT / "tests" / "data" / name, recording=corpus_rec, **opts), corpus_rec)
        except Exception as exc:  # noqa: BLE001 - the corpus file's outcome is part of what is compared
            sets[name] = ([], corpus_rec)
            print(f"{name}: {type(exc).__name__}: {exc}"[:200])
    return sets


def digest(events: list[Event]) -> str:
    """Return the count and a SHA-1 of every field of every event, in order."""
    text = "\n".join(repr(tuple(vars(e).items())) for e in events)
    return f"{len(events)} {hashlib.sha1(text.encode()).hexdigest()}"


def write(folder: Path) -> None:
    """Write every set in every format and option set into ``folder``, with what importing each gives back."""
    folder.mkdir(parents=True, exist_ok=True)
    book = Codebook()
    for set_name, (events, rec) in event_sets().items():
        for fmt, variants in OPTIONS.items():
            for k, opts in enumerate(variants):
                stem = f"{set_name}.{fmt}.{k}"
                data = dumps_events(events, [rec], format=fmt, codebook=book, **opts)
                (folder / f"{stem}{FORMATS[fmt].suffix}").write_bytes(data)
                try:
                    back = digest(loads_events(data, format=fmt, recording=rec, codebook=book))
                except Exception as exc:  # noqa: BLE001
                    back = f"{type(exc).__name__}: {exc}"
                (folder / f"{stem}.events").write_text(back + "\n")
    print(f"wrote {len(list(folder.iterdir()))} files into {folder}")


def compare(before: Path, after: Path) -> int:
    """Print every file that differs between the folders; return how many."""
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    bad = [n for n in names if not (before / n).is_file() or not (after / n).is_file()
           or (before / n).read_bytes() != (after / n).read_bytes()]
    for n in bad:
        print("differs:", n)
    print(f"{len(names) - len(bad)} of {len(names)} files the same")
    return len(bad)


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"] and len(sys.argv) == 3:
        write(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
    else:
        sys.exit(__doc__)
