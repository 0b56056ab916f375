"""Agreement between two coders of the same recordings: event matching, Cohen's kappa over time slices,
and agreement on the fields of matched events (formulas in docs/agreement.md).

Library code on columns (numpy, pandas): a coding is a DataFrame of one coder's
events (``coding``), matched one-to-one per kind (``matching``), cut into slices
for kappa (``kappa``) and summed up in an :class:`Agreement` (``report``).
"""

from .coding import CODING_COLUMNS, coding_from_columns, coding_from_events, empty_coding, tolerance_ms
from .kappa import Kappa, code_name, cohen_kappa, slice_codes, slice_kappa
from .matching import Matches, match_events
from .report import FIELDS, Agreement, MatchStats, compare, field_agreement, match_stats

__all__ = [
    "CODING_COLUMNS", "FIELDS", "Agreement", "Kappa", "MatchStats", "Matches", "code_name", "coding_from_columns",
    "coding_from_events", "cohen_kappa", "compare", "empty_coding", "field_agreement", "match_events", "match_stats",
    "slice_codes", "slice_kappa", "tolerance_ms",
]
