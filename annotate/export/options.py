"""What an export writes: the overlay's elements and the encoder settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..errors import RenderError
from ..render import OverlayOptions, strip_band_px

STRIP_PLACES = ("below", "overlay")
ENCODERS = ("libx264", "h264_nvenc")
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


@dataclass(frozen=True)
class ExportOptions:
    """Overlay elements plus H.264 settings. ``preset``/``crf`` are libx264's (for h264_nvenc the preset
    maps to p1..p7 and crf to its constant-quality value). ``strip``: where the timeline strip goes,
    "below" the picture (a band added under it, so the picture keeps every pixel; the default) or
    "overlay" (over the picture's bottom rows, the frame keeps the source's size). ``bframes`` False
    turns B-frames off and ``gop`` (frames) sets the keyframe distance (None: the encoder's default):
    the browser proxy uses both so a player seeks quickly and exactly."""

    overlay: OverlayOptions = field(default_factory=OverlayOptions)
    strip: str = "below"
    encoder: str = "libx264"
    preset: str = "veryfast"
    crf: int = 23
    audio: bool = True
    bframes: bool = True
    gop: int | None = None

    def __post_init__(self) -> None:
        if self.strip not in STRIP_PLACES:
            raise RenderError(f"strip '{self.strip}' is not a place for the timeline; use one of {', '.join(STRIP_PLACES)}")
        if self.encoder not in ENCODERS:
            raise RenderError(f"encoder '{self.encoder}' is not supported; use one of {', '.join(ENCODERS)}")
        if self.encoder == "libx264" and self.preset not in X264_PRESETS:
            raise RenderError(f"preset '{self.preset}' is not a libx264 preset; use one of {', '.join(X264_PRESETS)}")
        if not 0 <= int(self.crf) <= 51:
            raise RenderError(f"crf {self.crf} is out of range; use 0 (lossless) to 51 (worst), 23 is the default")

    @classmethod
    def make(
        cls,
        *,
        flash_s: float = 0.8,
        captions: bool = True,
        timeline: bool = True,
        flash: bool = True,
        overlay: bool = True,
        strip: str = "below",
        subtitles: bool = False,
        **encoder: object,
    ) -> "ExportOptions":
        """Return options from flat keywords (what the CLI and the app collect); ``overlay=False`` draws nothing."""
        ov = OverlayOptions(flash=flash and overlay, captions=captions and overlay, timeline=timeline and overlay,
                            flash_s=flash_s, subtitles=subtitles and overlay)
        return cls(overlay=ov, strip=strip, **encoder)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """Return these options as JSON-ready values (how a queued job carries them)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> "ExportOptions":
        """Return the options :meth:`to_dict` wrote. Raises RenderError / ValidationError for bad values."""
        rest = dict(values)
        return cls(overlay=OverlayOptions(**rest.pop("overlay", {})), **rest)  # type: ignore[arg-type]

    def without_overlay(self) -> "ExportOptions":
        """Return these encoder settings with every overlay element off (a plain transcode)."""
        return replace(self, overlay=replace(self.overlay, flash=False, captions=False, timeline=False, subtitles=False))

    def band_px(self, width: int, height: int) -> int:
        """Return the rows added below a ``width`` x ``height`` picture for the timeline strip (even; 0 when the
        strip is overlaid or the timeline is off)."""
        if self.strip != "below" or not self.overlay.timeline:
            return 0
        return strip_band_px(width, height)

    def encoder_options(self) -> dict[str, str]:
        """Return the codec options for the chosen encoder."""
        gop = {} if self.gop is None else {"g": str(max(1, int(self.gop)))}
        bf = {} if self.bframes else {"bf": "0"}
        if self.encoder == "h264_nvenc":
            preset = self.preset if self.preset.startswith("p") else _NVENC_PRESET.get(self.preset, "p4")
            return {"preset": preset, "rc": "vbr", "cq": str(int(self.crf)), "b": "0", **bf, **gop}
        return {"preset": self.preset, "crf": str(int(self.crf)), **bf, **gop}


_NVENC_PRESET = {
    "ultrafast": "p1",
    "superfast": "p2",
    "veryfast": "p3",
    "faster": "p3",
    "fast": "p4",
    "medium": "p5",
    "slow": "p6",
    "slower": "p7",
    "veryslow": "p7",
}
