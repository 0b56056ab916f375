"""The analysis's shortcuts give the numbers of the slow ways they replace, to the last bit."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import AdaptiveDetector

from annotate.suggest import audio, video
from annotate.testing.suggest_clips import make_scene_clip, scene_frames


def test_the_cut_score_is_pyscenedetects_own_to_the_bit():
    ours = video._Detector(adaptive_threshold=3.0, min_content_val=1.5, min_scene_len=8, window_width=2)
    theirs = AdaptiveDetector(adaptive_threshold=3.0, min_content_val=1.5, min_scene_len=8, window_width=2)
    rng = np.random.default_rng(4)
    pictures = list(scene_frames(60, 160, 90, cuts=[20, 41], still=(25, 35)))
    pictures += [rng.integers(0, 256, (90, 160, 3), dtype=np.uint8) for _ in range(20)]
    cuts_ours, cuts_theirs = [], []
    for i, picture in enumerate(pictures):
        tc = FrameTimecode(i, Fraction(30))
        cuts_ours += [t.frame_num for t in ours.process_frame(tc, cv2.cvtColor(picture, cv2.COLOR_BGR2HSV))]
        cuts_theirs += [t.frame_num for t in theirs.process_frame(tc, picture)]
        assert ours._frame_score == theirs._frame_score, i
    assert cuts_ours == cuts_theirs and 20 in cuts_ours and 41 in cuts_ours


def _frame_by_frame_16k(path) -> np.ndarray:
    """Every decoded audio frame resampled on its own (what the analysis did before it resampled in chunks)."""
    out = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=audio.RATE)
        for frame in container.decode(audio=0):
            out += [o.to_ndarray().reshape(-1) for o in resampler.resample(frame)]
        out += [o.to_ndarray().reshape(-1) for o in resampler.resample(None)]
    return np.concatenate(out)


def test_chunked_resampling_gives_the_samples_of_frame_by_frame(tmp_path):
    rate = 22050
    t = np.arange(rate * 7) / rate
    sound = (8000 * np.sin(2 * np.pi * 440 * t) * (t % 2 < 1.2)).astype(np.int16)  # several chunks, with pauses
    path = make_scene_clip(tmp_path / "tone.mp4", n_frames=7 * 30, fps=30, width=160, height=120, audio=sound,
                           audio_rate=rate, start_offset_s=Fraction(1, 3))
    chunks = list(audio._frames_16k(path))
    assert len(chunks) > 2
    assert chunks[0][0] is not None and all(start is None for start, _ in chunks[1:])
    ours = np.concatenate([samples for _, samples in chunks])
    theirs = _frame_by_frame_16k(path)
    assert ours.size == theirs.size and np.array_equal(ours, theirs)


def test_the_analysis_decodes_on_one_thread_only_where_the_analysing_thread_fills_the_cores():
    assert [video.decoder_threading(n) for n in (1, 2, 3, 8)] == ["NONE", "NONE", "AUTO", "AUTO"]
    assert video.decoder_threading() in ("NONE", "AUTO")  # this machine's own count


def test_the_analysis_read_gives_every_frame_once_in_order_as_the_positioned_decoder_does(tmp_path):
    from annotate.media import inspect
    from annotate.media.decoder import PositionedDecoder
    from annotate.testing.clips import make_clip

    times = [Fraction(k, 30) + (Fraction(1, 90) if k % 7 == 3 else 0) for k in range(90)]
    path = make_clip(tmp_path / "bframes.mp4", n_frames=90, frame_times=times, start_offset_s=Fraction(5, 2),
                     gop=25, bframes=True, audio=True)
    _, index = inspect(path)
    got = list(video.frames_in_order(path, index))
    assert [i for i, _ in got] == list(range(index.frame_count)) == list(range(90))
    assert [frame.pts for _, frame in got] == [int(p) for p in index.pts]
    decoder = PositionedDecoder(path, index, thread_type="NONE", skip_nonref=False, cache_bytes=0)
    try:
        for i in (0, 1, 24, 25, 26, 57, 89):
            assert np.array_equal(got[i][1].to_ndarray(), decoder.decode(i).to_ndarray()), i
    finally:
        decoder.close()


def test_a_picture_is_the_same_whichever_thread_prepared_it(tmp_path, monkeypatch):
    import threading
    import time

    from annotate.media import inspect

    path = make_scene_clip(tmp_path / "scenes.mp4", n_frames=40, cuts=[12, 30], fps=30, width=320, height=180)
    _, index = inspect(path)
    prepare = video._preparer(160, 90)
    expected = [prepare(frame) for _, frame in video.frames_in_order(path, index)]
    where: list[str] = []
    real = video._preparer

    def counted(width, height):  # the real preparer, noting which thread runs it
        inner = real(width, height)
        return lambda frame: (where.append(threading.current_thread().name), inner(frame))[1]

    monkeypatch.setattr(video, "_preparer", counted)
    got = []
    for i, picture in video.pictures(path, index, 160, 90):
        got.append((i, picture))
        if i < 20:
            time.sleep(0.01)  # a slow analysis: the decoding thread fills the queue and prepares frames itself
    assert [i for i, _ in got] == list(range(40)) and len(where) == 40
    assert "cx-suggest-decode" in where and threading.current_thread().name in where
    for (_, ours), theirs in zip(got, expected):
        assert np.array_equal(ours.hsv, theirs.hsv) and np.array_equal(ours.grey, theirs.grey)
