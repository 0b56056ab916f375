"""The set of ids a streamed import has seen (``formats.ids.SeenKeys``): exact whatever the ids, few parts."""

from __future__ import annotations

import numpy as np

from annotate.formats.ids import SeenKeys

_MIX = 0x9E3779B97F4A7C15
_U64 = (1 << 64) - 1


def _hex(hi: int, lo: int) -> str:
    """Return the 32-hex id whose 16 bytes read as the little-endian halves ``hi`` then ``lo``."""
    return (hi.to_bytes(8, "little") + lo.to_bytes(8, "little")).hex()


def test_ids_added_block_by_block_are_found_and_no_others_and_parts_stay_few():
    seen = SeenKeys()
    ids = [f"{i:032x}" for i in range(0, 60_000, 2)]  # an export's ids: long runs of equal halves
    for lo in range(0, len(ids), 700):
        seen.add(SeenKeys.keys(ids[lo:lo + 700]))
    assert len(seen.parts) <= 6  # about log2(30,000 / 700), not one per block
    assert seen.contains(SeenKeys.keys(ids)).all()
    others = [f"{i:032x}" for i in range(1, 60_000, 2)] + ["f" * 32, "0" * 31 + "1"]
    assert not seen.contains(SeenKeys.keys(others)).any()


def test_two_ids_that_mix_alike_are_both_found():
    hi, lo, other_lo = 0x1234, 0x5678, 0x9ABC
    twin = hi ^ ((lo * _MIX) & _U64) ^ ((other_lo * _MIX) & _U64)  # the same 64-bit mix as (hi, lo)
    first, second = _hex(hi, lo), _hex(twin, other_lo)
    keys = SeenKeys.keys([first, second])
    assert SeenKeys._words(keys)[0][0] == SeenKeys._words(keys)[0][1]
    seen = SeenKeys()
    seen.add(SeenKeys.keys([first, "ab" * 16]))
    seen.add(SeenKeys.keys([second]))  # merged into one part holding both: kept sorted by the keys
    assert len(seen.parts) == 1 and seen.parts[0][0] is None
    found = seen.contains(SeenKeys.keys([second, first, "ab" * 16, _hex(twin, lo), "cd" * 16]))
    assert found.tolist() == [True, True, True, False, False]
    assert np.array_equal(np.sort(seen.parts[0][1]), seen.parts[0][1])


def test_lookups_after_many_merges_agree_with_a_set():
    import random

    rng = random.Random(7)
    seen, added = SeenKeys(), set()
    pool = [f"{rng.getrandbits(128):032x}" for _ in range(20_000)] + [f"{i:032x}" for i in range(5_000)]
    rng.shuffle(pool)
    at = 0
    while at < len(pool):
        size = rng.choice((1, 7, 300, 1500))
        block = pool[at:at + size]
        at += size
        probe = block + rng.sample(pool, 50)
        assert seen.contains(SeenKeys.keys(probe)).tolist() == [p in added for p in probe]
        seen.add(SeenKeys.keys(block))
        added.update(block)
    assert seen.contains(SeenKeys.keys(pool)).all()
    for mixes, rest in seen.parts:
        assert mixes is not None and (mixes[1:] > mixes[:-1]).all() and len(rest) == len(mixes)
