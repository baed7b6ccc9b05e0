"""Human review of shadow pairs: a weighted sample, blind sides, agreement and the share of traffic
where the new model is worse.

Pure decisions over values; reading pairs from the store and writing verdicts happen at the edges.
"""

from modelswap.review.agreement import cohen_kappa, conflicts, fleiss_kappa
from modelswap.review.blind import Side, new_side
from modelswap.review.diffscore import diff_score
from modelswap.review.sampling import Candidate, Drawn, SampleSet, allocate, draw_sample

__all__ = [
    "Candidate",
    "Drawn",
    "SampleSet",
    "Side",
    "allocate",
    "cohen_kappa",
    "conflicts",
    "diff_score",
    "draw_sample",
    "fleiss_kappa",
    "new_side",
]
