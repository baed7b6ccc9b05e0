"""Statistics behind the gates: small pure functions over arrays, each tested against published values.

- ``proportions``: Wilson interval for one pass rate.
- ``paired``: old vs new on the same cases — discordance, Tango and Newcombe intervals, exact McNemar.
- ``percentiles``: numpy's percentile and distribution-free intervals and bounds from order statistics.
- ``quantile_ratio``: an order-statistic interval for a ratio of percentiles (p95 latency new / old).
- ``bootstrap``: seeded percentile/BCa intervals for p95 ratios and mean costs.
- ``samplesize``: cases needed to decide a non-inferiority margin (plug-in and predictive).
- ``sequential``: always-valid mSPRT for canaries, Mann-Whitney for latency shifts.
"""

from modelswap.stats.bootstrap import (
    BootstrapInterval,
    mean_interval,
    mean_ratio_interval,
    p95_ratio_interval,
    quantile_ratio_interval,
)
from modelswap.stats.interval import Interval
from modelswap.stats.paired import (
    Discordance,
    discordance,
    mcnemar_exact,
    newcombe_paired_bounds,
    newcombe_paired_interval,
    paired_difference_interval,
    tango_interval,
    tango_score,
)
from modelswap.stats.percentiles import (
    QuantileInterval,
    min_n_for_quantile_bound,
    min_n_for_quantile_interval,
    percentile,
    quantile_bound,
    quantile_interval,
)
from modelswap.stats.proportions import wilson_bounds, wilson_interval, z_two_sided
from modelswap.stats.quantile_ratio import QuantileRatioInterval, min_n_for_quantile_ratio, quantile_ratio_bounds
from modelswap.stats.samplesize import (
    FurtherCases,
    paired_cases_needed,
    paired_cases_to_decide,
    predictive_decision_probability,
    unpaired_cases_needed,
)
from modelswap.stats.sequential import (
    SequentialLook,
    ShiftTest,
    always_valid_p,
    latency_shift_test,
    mixture_log_lr,
    normal_mean_log_lr,
    rate_difference,
    rate_increase_look,
)

__all__ = [
    "BootstrapInterval",
    "Discordance",
    "FurtherCases",
    "Interval",
    "QuantileInterval",
    "QuantileRatioInterval",
    "SequentialLook",
    "ShiftTest",
    "always_valid_p",
    "discordance",
    "latency_shift_test",
    "mcnemar_exact",
    "mean_interval",
    "mean_ratio_interval",
    "min_n_for_quantile_bound",
    "min_n_for_quantile_interval",
    "min_n_for_quantile_ratio",
    "mixture_log_lr",
    "newcombe_paired_bounds",
    "newcombe_paired_interval",
    "normal_mean_log_lr",
    "p95_ratio_interval",
    "paired_cases_needed",
    "paired_cases_to_decide",
    "paired_difference_interval",
    "percentile",
    "predictive_decision_probability",
    "quantile_bound",
    "quantile_interval",
    "quantile_ratio_bounds",
    "quantile_ratio_interval",
    "rate_difference",
    "rate_increase_look",
    "tango_interval",
    "tango_score",
    "unpaired_cases_needed",
    "wilson_bounds",
    "wilson_interval",
    "z_two_sided",
]
