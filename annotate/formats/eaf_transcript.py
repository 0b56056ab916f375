"""The transcript tier of an ELAN file: one time-aligned ``transcript`` tier beside the kinds' tiers.

Its annotations (``Speaker: text`` from :meth:`annotate.transcripts.events.EventTranscript.eaf_tier`) have
time slots of their own (``tr1``, ``tr2``, ...), listed after the events' slots in the TIME_ORDER; ELAN
orders slots by their time values. Values are XML-escaped like every other text of the file.
"""

from __future__ import annotations

from typing import Any

from . import xmlsafe

TYPE = "transcript"


def transcript_parts(transcript: Any) -> tuple[str, list[str]]:
    """Return (the TIME_SLOT lines, the TIER lines) of ``transcript`` (anything with ``eaf_tier()``)."""
    tier_id, annotations = transcript.eaf_tier()
    slots, tier = [], [f'    <TIER LINGUISTIC_TYPE_REF="{TYPE}" TIER_ID="{xmlsafe.attr(tier_id)}">']
    for n, (start_ms, end_ms, value) in enumerate(annotations, 1):
        slots += [f'        <TIME_SLOT TIME_SLOT_ID="tr{2 * n - 1}" TIME_VALUE="{int(start_ms)}"/>',
                  f'        <TIME_SLOT TIME_SLOT_ID="tr{2 * n}" TIME_VALUE="{int(end_ms)}"/>']
        tier += ["        <ANNOTATION>",
                 f'            <ALIGNABLE_ANNOTATION ANNOTATION_ID="atr{n}" TIME_SLOT_REF1="tr{2 * n - 1}" '
                 f'TIME_SLOT_REF2="tr{2 * n}">',
                 f"                <ANNOTATION_VALUE>{xmlsafe.text(value)}</ANNOTATION_VALUE>",
                 "            </ALIGNABLE_ANNOTATION>", "        </ANNOTATION>"]
    tier.append("    </TIER>")
    return "\n".join(slots), tier


def transcript_type() -> str:
    """Return the LINGUISTIC_TYPE line the transcript tier refers to."""
    return f'    <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="{TYPE}" TIME_ALIGNABLE="true"/>'
