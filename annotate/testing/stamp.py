"""The frame-index stamp drawn into every test clip's frames, and read back from decoded pictures.

The stamp is drawn in the *upright* picture (as a player shows it): a grid of
black/white blocks, 20 bits of frame index in two rows and their complement in
the next two, plus the index in digits. Blocks are sized relative to the picture,
so the stamp survives lossy codecs, scaling, and cropping by a pixel or two.
``read_stamp`` returns the index or raises ValueError.
"""

from __future__ import annotations

import cv2
import numpy as np

STAMP_BITS = 20
_COLS = 10
_ROWS = 4  # two rows of bits, two rows of complemented bits


def _stamp_layout(width: int, height: int) -> tuple[int, int, int, int]:
    """Return (left, top, block_w, block_h) of the stamp grid in a width x height picture."""
    margin = max(2, width // 40)
    block_w = max(4, (width - 2 * margin) // _COLS)
    block_h = max(4, min(block_w, height // 12))
    return margin, margin, block_w, block_h


def draw_stamp(image: np.ndarray, index: int) -> np.ndarray:
    """Draw frame ``index`` (0 .. 2**20-1) into BGR ``image`` in place and return it."""
    if not 0 <= index < 2**STAMP_BITS:
        raise ValueError(f"frame index {index} does not fit in {STAMP_BITS} bits")
    h, w = image.shape[:2]
    left, top, bw, bh = _stamp_layout(w, h)
    bits = [(index >> (STAMP_BITS - 1 - k)) & 1 for k in range(STAMP_BITS)]
    image[top - 2 : top + _ROWS * bh + 2, left - 2 : left + _COLS * bw + 2] = 128
    for k, bit in enumerate(bits):
        row, col = divmod(k, _COLS)
        for r, value in ((row, bit), (row + 2, 1 - bit)):
            y, x = top + r * bh, left + col * bw
            image[y : y + bh, x : x + bw] = 255 * value
    text_y = top + _ROWS * bh + 2
    scale = max(0.4, bh / 16)
    (tw, th), base = cv2.getTextSize(str(index), cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    if text_y + th + base + 4 < h:
        image[text_y : text_y + th + base + 4, left : left + tw + 4] = 0
        cv2.putText(image, str(index), (left + 2, text_y + th + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image


def read_stamp(image: np.ndarray) -> int:
    """Return the frame index stamped into upright BGR (or grey) ``image``.

    Raises ValueError if the picture holds no readable stamp (wrong orientation,
    a blank frame, or a block that is neither clearly black nor clearly white).
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    left, top, bw, bh = _stamp_layout(w, h)
    qx, qy = max(1, bw // 4), max(1, bh // 4)
    means = np.empty((_ROWS, _COLS))
    for r in range(_ROWS):
        for c in range(_COLS):
            y, x = top + r * bh, left + c * bw
            means[r, c] = grey[y + qy : y + bh - qy, x + qx : x + bw - qx].mean()
    if np.any(np.abs(means - 127.5) < 50):
        raise ValueError("no readable frame stamp (a block is neither black nor white)")
    bits = (means[:2] > 127.5).ravel()
    complement = (means[2:] > 127.5).ravel()
    if np.any(bits == complement):
        raise ValueError("no readable frame stamp (bits and their complement disagree)")
    return int("".join("1" if b else "0" for b in bits), 2)
