"""Headline claims of "Length generalization in arithmetic transformers" (Jelassi et al., arXiv 2306.15400),
checked on the metrics of :mod:`paper_code.arithmetic.experiments`.

Every claim is stated in the abstract; the thresholds read its words literally where it gives numbers ("trained on
5-digit numbers can perform 15-digit sums"; "a few (10 to 50) long sequences"), and otherwise use fixed margins
stated here before any run: "fails" is below 10 % exact match (20 % for multiplication), "restores" is a gain of at
least 40 points at the primed length, "without hurting" is an in-distribution drop of at most 2 points. Accuracy is
exact match on held-out problems (every answer digit right), 1,000 per length at quick scale, so a difference of 4
points is about two standard errors.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, between, greater_than, is_true, less_than

CLAIMS = [
    Claim(
        "C1_models_learn_addition",
        "Every position encoding learns addition in distribution: the lowest exact-match accuracy of any "
        "padded-layout model with position information (any seed) at the longest training length is at least 0.95, "
        "so a failure to extrapolate is not a failure to train",
        "add_min_in_distribution",
        between(0.95, 1.0, inclusive=True),
        paper_value="§ addition: all encodings solve the training lengths (the abstract's failures are failures "
                    "to generalize)",
        not_reproduced={"quick": "the sinusoidal model did not learn the training lengths in 3,000 steps (exact match "
                                 "{add_padded_sinusoidal_acc_5:.1%} at 5 digits; the absolute ones reach "
                                 "{add_absolute_acc_in_distribution:.1%}); the model without positions cannot, by "
                                 "construction, and is left out of the metric"},
    ),
    Claim(
        "C2_relative_extrapolates_addition",
        "Relative position embeddings generalize addition: the better relative variant (mean over seeds), trained "
        "on operands of at most 5 digits, gets at least 0.9 exact match on 15-digit sums",
        "add_relative_acc_15",
        between(0.9, 1.0, inclusive=True),
        paper_value="abstract: models trained on 5-digit numbers can perform 15-digit sums (RPE)",
        not_reproduced={"quick": "seed-sensitive at our scale: the relative-key models reach "
                                 "{add_relative_max_seed_acc_15:.1%} and {add_relative_min_seed_acc_15:.1%} at 15 "
                                 "digits "
                                 "(mean {add_relative_acc_15:.1%} over {add_relative_seeds} seeds; at 10 digits "
                                 "{add_relative_max_seed_acc_10:.1%} and {add_relative_min_seed_acc_10:.1%})"},
    ),
    Claim(
        "C3_absolute_fails_past_training",
        "Absolute position embeddings fail just past the training length: the absolute model's mean exact match on "
        "operands one digit longer than any seen in training is below 0.1",
        "add_absolute_acc_first_longer",
        less_than(0.1),
        paper_value="abstract: transformers with absolute position embeddings fail to generalize to longer "
                    "operands",
    ),
    Claim(
        "C4_relative_fails_multiplication",
        "Relative embeddings alone fail on multiplication: the unprimed relative-key model's exact match at the "
        "target length is below 0.2",
        "mul_unprimed_acc_target",
        less_than(0.2),
        paper_value="abstract: RPE fails for multiplication (5 x 3 -> 35 x 3)",
    ),
    Claim(
        "C5_priming_restores_multiplication",
        "A few dozen primed long examples restore length generalization at the primed length: exact match at the "
        "target length of the model primed with the largest count (at most 50) minus the unprimed model's is at "
        "least 0.4",
        "mul_priming_gain_target",
        greater_than(0.4),
        paper_value="abstract: priming with 10 to 50 long sequences lets 5 x 3 models generalize to 35 x 3",
        not_reproduced={"quick": "{mul_primed_max_count:.0f} primes lift exact match at n = "
                                 "{mul_target_length:.0f} by only {mul_priming_gain_target:+.1%}; "
                                 "{mul_primed_largest_count:.0f} primes are needed for "
                                 "{mul_primed_largest_gain_target:+.1%} (the primes are memorised within a few "
                                 "hundred steps, and a 115k-parameter model learns less of the rule from them)"},
    ),
    Claim(
        "C6_priming_keeps_in_distribution",
        "Priming does not hurt in distribution: the largest drop of exact match at the longest training length from "
        "the unprimed model to any primed one is at most 0.02",
        "mul_priming_in_distribution_drop",
        less_than(0.02 + 1e-12),
        paper_value="§ priming: the primed examples are a 1e-5 fraction of the training set",
    ),
    Claim(
        "C7_priming_several_lengths",
        "Models can be primed for several generalization lengths at once: with the priming examples spread over "
        "several lengths, exact match at every primed length is at least 0.4 above the unprimed model's",
        "mul_multi_min_gain",
        greater_than(0.4),
        paper_value="abstract: models can be primed for different generalization lengths",
        not_reproduced={"quick": "every primed length gains, but the longest (12 digits) only "
                                 "{mul_multi_gain_12:+.1%}; the others gain {mul_multi_gain_6:+.1%}, "
                                 "{mul_multi_gain_8:+.1%} and {mul_multi_gain_10:+.1%}"},
    ),
    Claim(
        "C8_priming_count_grows_with_size",
        "The number of priming examples needed to reach the threshold at the target length does not fall as the "
        "training set grows, and is larger for the largest set than for the smallest",
        "law_needed_grows",
        is_true(),
        paper_value="abstract: the priming sample size scales with the training set size",
    ),
    Claim(
        "C9_priming_count_logarithmic",
        "The priming count needed grows like the logarithm of the training-set size: the least-squares fit "
        "a + b ln N explains it at least as well (R²) as a power law c N^p",
        "law_log_fit_at_least_as_good",
        is_true(),
        paper_value="abstract: the priming sample size scales as the logarithm of the training set size",
    ),
]
